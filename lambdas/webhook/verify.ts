import { isUtf8 } from "node:buffer";
import { verify } from "@octokit/webhooks-methods";
import {
  InvalidJsonBodyError,
  InvalidSignatureError,
  METRICS,
  MissingSignatureError,
  PayloadTooLargeError,
  SECRET_CACHE_SECONDS,
  childLogger,
  emitMetric,
} from "../shared/core.js";

const log = childLogger("webhook.verify");

/** The parts of an API Gateway proxy event the webhook reads. */
export interface WebhookRequest {
  readonly headers: Readonly<Record<string, string | undefined>> | null;
  readonly body: string | null;
  readonly isBase64Encoded: boolean;
}

export const SIGNATURE_HEADER = "x-hub-signature-256";
export const EVENT_HEADER = "x-github-event";
export const DELIVERY_HEADER = "x-github-delivery";
export const CONTENT_TYPE_HEADER = "content-type";

/** A header by name, ignoring case (HTTP/2 lower-cases names, API Gateway keeps what the client sent). */
export function headerValue(request: Pick<WebhookRequest, "headers">, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const headers = request.headers ?? {};
  for (const key in headers) {
    const value = headers[key];
    if (value !== undefined && key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/**
 * The headers with lower-case names, each the value {@link headerValue} would find (the first
 * spelling that has one): built once per delivery, so each later lookup is one property read.
 */
export function lowerCaseHeaders(request: Pick<WebhookRequest, "headers">): Record<string, string> {
  const lower: Record<string, string> = Object.create(null) as Record<string, string>;
  const headers = request.headers ?? {};
  for (const key in headers) {
    const value = headers[key];
    if (value === undefined) continue;
    const name = key.toLowerCase();
    if (!Object.hasOwn(lower, name)) lower[name] = value;
  }
  return lower;
}

/**
 * The body as received, for {@link verifySignature} and {@link parseJsonBody} without copying it: API
 * Gateway's string as it is (lone surrogates replaced as a UTF-8 round trip would replace them, so the
 * signature and the parse see what {@link readBody}'s bytes decode to), or the decoded bytes when it
 * came base64-encoded. 413 when larger than `maxBodyBytes` in UTF-8.
 */
export function receivedBody(request: Pick<WebhookRequest, "body" | "isBase64Encoded">, maxBodyBytes: number): string | Buffer {
  if (request.isBase64Encoded) return readBody(request, maxBodyBytes);
  const raw = request.body ?? "";
  // A UTF-16 unit is at least one UTF-8 byte: the length alone refuses most oversized bodies.
  if (raw.length > maxBodyBytes || Buffer.byteLength(raw, "utf8") > maxBodyBytes) throw new PayloadTooLargeError();
  return wellFormed(raw);
}

/** `value` with lone surrogates replaced by U+FFFD (String.prototype.toWellFormed, ES2024: not in the compiler's lib here). */
function wellFormed(value: string): string {
  const text = value as string & { isWellFormed(): boolean; toWellFormed(): string };
  return text.isWellFormed() ? value : text.toWellFormed();
}

/** The body's bytes, decoded first when API Gateway delivered it base64-encoded; 413 when too large. */
export function readBody(request: Pick<WebhookRequest, "body" | "isBase64Encoded">, maxBodyBytes: number): Buffer {
  const raw = request.body ?? "";
  const bytes = request.isBase64Encoded ? Buffer.from(raw, "base64") : Buffer.from(raw, "utf8");
  if (bytes.byteLength > maxBodyBytes) throw new PayloadTooLargeError();
  return bytes;
}

// --- Signature check with webhook secret rotation (docs/security.md, "Rotating the webhook secret") -----------

/**
 * The value parameters created by the kit hold until the operator sets them (PLACEHOLDER_SECRET in
 * stacks/github-app-secrets.ts). It is never accepted as a secret: anyone can read it in this repository.
 */
export const PLACEHOLDER_SECRET = "replace-me";

/** At most one forced re-read of the secrets per this many milliseconds per execution environment. */
export const SECRET_REFRESH_INTERVAL_MS = 30_000;

/** The parameters' values: the current secret and, during a rotation, the raw previous-secret value. */
export interface WebhookSecrets {
  readonly current: string;
  readonly previous?: string;
}

/** Reads the secrets; `fresh` asks to bypass the five-minute cache (the loader may refuse, rate-limited). */
export type LoadWebhookSecrets = (fresh: boolean) => Promise<WebhookSecrets>;

/** Which secret a signature was made with. */
export type SecretMatch = "current" | "previous";

/**
 * The previous secret while it is active, else undefined. The parameter holds either the bare secret or
 * `{"secret": "...", "expiresAt": "<ISO 8601>"}`; the placeholder, an empty value, an expired or
 * unreadable expiry all mean "no previous secret". Pure.
 */
export function activePreviousSecret(raw: string | undefined, now: Date): string | undefined {
  const value = raw?.trim();
  if (value === undefined || value === "" || value === PLACEHOLDER_SECRET) return undefined;
  if (!value.startsWith("{")) return value;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return value;
  }
  if (typeof parsed !== "object" || parsed === null || typeof (parsed as { secret?: unknown }).secret !== "string") return value;
  const { secret, expiresAt } = parsed as { secret: string; expiresAt?: unknown };
  if (secret === "" || secret === PLACEHOLDER_SECRET) return undefined;
  if (expiresAt === undefined) return secret;
  const expiry = typeof expiresAt === "string" ? Date.parse(expiresAt) : Number.NaN;
  return Number.isFinite(expiry) && now.getTime() < expiry ? secret : undefined;
}

/** The secrets to try, in order: current, then the active previous one; never the placeholder. Pure. */
export function candidateSecrets(secrets: WebhookSecrets, now: Date): { secret: string; match: SecretMatch }[] {
  const candidates: { secret: string; match: SecretMatch }[] = [];
  if (secrets.current !== PLACEHOLDER_SECRET) candidates.push({ secret: secrets.current, match: "current" });
  const previous = activePreviousSecret(secrets.previous, now);
  if (previous !== undefined && previous !== secrets.current) candidates.push({ secret: previous, match: "previous" });
  return candidates;
}

/**
 * Checks X-Hub-Signature-256 with a constant-time comparison (@octokit/webhooks-methods) against the
 * current secret, then the active previous one. When neither matches, the secrets are read once more
 * bypassing the cache (a rotation may have happened within the last five minutes) before refusing.
 * GitHub signs the bytes it sends, the library the UTF-8 encoding of a string: the two agree only for
 * valid UTF-8 (which GitHub's payloads are), so other bytes are refused rather than decoded lossily.
 * An empty body is refused as unsigned: GitHub never sends one and the library rejects it. `bytes` may
 * be text already ({@link receivedBody}), verified as its UTF-8 encoding.
 */
export async function verifySignature(
  request: Pick<WebhookRequest, "headers">,
  bytes: Buffer | string,
  loadSecrets: LoadWebhookSecrets,
  now: () => Date = () => new Date(),
): Promise<SecretMatch> {
  const signature = headerValue(request, SIGNATURE_HEADER);
  if (signature === undefined || signature === "") throw new MissingSignatureError();
  // A string is already text (receivedBody): no bytes to check, nothing to decode.
  if (typeof bytes !== "string" && (bytes.byteLength === 0 || !isUtf8(bytes))) throw new InvalidSignatureError();
  const body = typeof bytes === "string" ? bytes : bytes.toString("utf8");
  if (body === "") throw new InvalidSignatureError();
  const cached = await loadSecrets(false);
  let match = await firstMatch(candidateSecrets(cached, now()), body, signature);
  if (match === undefined) {
    const fresh = await loadSecrets(true).catch((error: unknown) => {
      // The cached secrets did not match: without a fresh read the answer stays 401, not 500.
      log.warn("re-reading the webhook secrets failed", { error });
      return cached;
    });
    if (fresh.current !== cached.current || fresh.previous !== cached.previous) {
      log.info("webhook secrets changed since cached; checking again");
      match = await firstMatch(candidateSecrets(fresh, now()), body, signature);
    }
    if (match === undefined && fresh.current === PLACEHOLDER_SECRET) log.error("webhook secret parameter still holds the placeholder");
  }
  if (match === undefined) throw new InvalidSignatureError();
  if (match === "previous") {
    // Tells the operator GitHub still signs with the old secret; the rotation ends when this stays at 0.
    log.info("signature matched the previous webhook secret");
    emitMetric(METRICS.webhookPreviousSecretUsed, 1);
  }
  return match;
}

async function firstMatch(candidates: { secret: string; match: SecretMatch }[], body: string, signature: string): Promise<SecretMatch | undefined> {
  for (const candidate of candidates) {
    if (await verify(candidate.secret, body, signature)) return candidate.match;
  }
  return undefined;
}

/** Options of {@link webhookSecretLoader}. */
export interface WebhookSecretLoaderOptions {
  readonly currentParameter: string;
  /** The previous-secret parameter; none means only the current secret is ever accepted. */
  readonly previousParameter?: string;
  /** Reads one SecureString, decrypted; `fresh` bypasses its cache. Rejects when unreadable. */
  readonly read: (name: string, fresh: boolean) => Promise<string>;
  /** Milliseconds since the epoch. */
  readonly now?: () => number;
  readonly refreshIntervalMs?: number;
}

/**
 * Loads the two parameters through `read` (which caches each for five minutes). A fresh read is done at
 * most once per `refreshIntervalMs`, so forged deliveries cannot turn into a stream of SSM calls. An
 * unreadable previous-secret parameter (deleted, say) counts as none and is retried after the cache period.
 */
export function webhookSecretLoader(options: WebhookSecretLoaderOptions): LoadWebhookSecrets {
  const now = options.now ?? (() => Date.now());
  const interval = options.refreshIntervalMs ?? SECRET_REFRESH_INTERVAL_MS;
  let lastForcedAt = Number.NEGATIVE_INFINITY;
  let previousUnreadableUntil = Number.NEGATIVE_INFINITY;
  return async (fresh) => {
    const at = now();
    const force = fresh && at - lastForcedAt >= interval;
    if (force) lastForcedAt = at;
    const previous = async (): Promise<string | undefined> => {
      if (options.previousParameter === undefined || (!force && at < previousUnreadableUntil)) return undefined;
      try {
        return await options.read(options.previousParameter, force);
      } catch (error) {
        previousUnreadableUntil = at + SECRET_CACHE_SECONDS * 1000;
        log.warn("previous webhook secret unreadable; accepting the current secret only", { parameter: options.previousParameter, error });
        return undefined;
      }
    };
    const [current, previousValue] = await Promise.all([options.read(options.currentParameter, force), previous()]);
    return previousValue === undefined ? { current } : { current, previous: previousValue };
  };
}

/** GitHub's `form` content type: the JSON payload is the form field `payload`. */
function isFormEncoded(contentType: string | undefined): boolean {
  return contentType?.split(";")[0]?.trim().toLowerCase() === "application/x-www-form-urlencoded";
}

/**
 * Parses the (already verified) body, or its `payload` field when GitHub sent it form-encoded (the
 * App's webhook content type `form`); 400 when that is not a JSON object.
 */
export function parseJsonBody(body: Buffer | string, contentType: string | undefined): Record<string, unknown> {
  const text = typeof body === "string" ? body : body.toString("utf8");
  const json = isFormEncoded(contentType) ? new URLSearchParams(text).get("payload") : text;
  if (json === null) throw new InvalidJsonBodyError();
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new InvalidJsonBodyError({ cause: error });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new InvalidJsonBodyError();
  return parsed as Record<string, unknown>;
}
