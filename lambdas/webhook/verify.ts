import { verify } from "@octokit/webhooks-methods";
import { InvalidJsonBodyError, InvalidSignatureError, MissingSignatureError, PayloadTooLargeError } from "../shared/index.js";

/** The parts of an API Gateway proxy event the webhook reads. */
export interface WebhookRequest {
  readonly headers: Readonly<Record<string, string | undefined>> | null;
  readonly body: string | null;
  readonly isBase64Encoded: boolean;
}

export const SIGNATURE_HEADER = "x-hub-signature-256";
export const EVENT_HEADER = "x-github-event";
export const DELIVERY_HEADER = "x-github-delivery";

/** A header by name, ignoring case (HTTP/2 lower-cases names, API Gateway keeps what the client sent). */
export function headerValue(request: Pick<WebhookRequest, "headers">, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(request.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

/** The body as text, decoded first when API Gateway delivered it base64-encoded; 413 when too large. */
export function readBody(request: Pick<WebhookRequest, "body" | "isBase64Encoded">, maxBodyBytes: number): string {
  const raw = request.body ?? "";
  const bytes = request.isBase64Encoded ? Buffer.from(raw, "base64") : Buffer.from(raw, "utf8");
  if (bytes.byteLength > maxBodyBytes) throw new PayloadTooLargeError();
  return bytes.toString("utf8");
}

/**
 * Checks X-Hub-Signature-256 against the secret with a constant-time comparison (@octokit/webhooks-methods).
 * An empty body is refused as unsigned: GitHub never sends one and the library rejects it.
 */
export async function verifySignature(
  request: Pick<WebhookRequest, "headers">,
  body: string,
  secret: string,
): Promise<void> {
  const signature = headerValue(request, SIGNATURE_HEADER);
  if (signature === undefined || signature === "") throw new MissingSignatureError();
  if (body === "") throw new InvalidSignatureError();
  if (!(await verify(secret, body, signature))) throw new InvalidSignatureError();
}

/** Parses the (already verified) body; 400 when it is not a JSON object. */
export function parseJsonBody(body: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new InvalidJsonBodyError({ cause: error });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new InvalidJsonBodyError();
  return parsed as Record<string, unknown>;
}
