import { createHmac } from "node:crypto";
import type { APIGatewayProxyEvent } from "aws-lambda";

// The fuzz oracle: what the webhook must answer to an API Gateway proxy event, written from
// docs/contracts.md ("Webhook HTTP answers", "Label matching", "Queue message"), not from the
// handler's code. It looks at the event only, never at how the generator built it.
//
// Decisions the contract leaves open, fixed here:
// - Headers come from `headers` (API Gateway REST proxy events always carry it, one value per name);
//   names match case-insensitively, the first matching name wins. `multiValueHeaders` is not read.
// - The body's bytes are `body` as UTF-8, or its base64 decoding (Node's, which skips characters
//   outside the alphabet) when isBase64Encoded; WEBHOOK_MAX_BODY_BYTES applies to those bytes.
// - A valid signature is exactly `sha256=` and the lower-case hex HMAC-SHA256 of those bytes with the
//   secret (what GitHub sends); bytes that are not UTF-8 are never genuine (GitHub's payloads are
//   UTF-8 JSON) and are answered 401.
// - With Content-Type application/x-www-form-urlencoded (GitHub's `form` content type) the JSON is
//   the first `payload` field; any other or no Content-Type means the body is the JSON. A BOM is not JSON.
// - Where the contract gives no precedence (labels match no pool and a message field is invalid),
//   202 and 400 are both accepted; the enqueue decision is the same.
// - The job ledger (lambdas/ledger, webhook wiring of 3a8e78e; not yet in docs/contracts.md): `queued`
//   records a job and queues it only while the ledger holds it as received; `in_progress` and
//   `completed` (same checks as `queued` except X-GitHub-Delivery) answer 200 `recorded: <phase>` or
//   `recorded: unchanged` and queue nothing; a `queued` job the ledger holds past received answers 200
//   `duplicate: job is <phase>`. The oracle keeps its own model of the ledger, so it is stateful:
//   use one WebhookOracle per ledger table, in request order. Delivery ids never repeat in the fuzz,
//   so no answer is a redelivery's first answer.

export interface OracleWorld {
  readonly secret: string;
  readonly maxBodyBytes: number;
  /** Pool key to labels, as in POOLS. */
  readonly pools: Readonly<Record<string, readonly string[]>>;
}

/** The one message a genuine request must produce. */
export interface ExpectedJob {
  readonly pool: string;
  readonly jobId: number;
  readonly runAttempt: number;
  readonly deliveryId: string;
  readonly labels: readonly string[];
}

export interface Expectation {
  /** Valid signature over the exact bytes, workflow_job queued, labels matching a pool, fields valid. */
  readonly genuine: boolean;
  /** Genuine, and the ledger holds the job as received or not at all: exactly one queue message. */
  readonly enqueues: boolean;
  readonly statuses: readonly number[];
  /** The answer's `message`, when the contract determines it. */
  readonly message?: string;
  readonly job?: ExpectedJob;
  /** Which row of the contract table applies, for the summary. */
  readonly reason: string;
}

const IMPLICIT_LABEL = "self-hosted";

function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name && typeof headers[k] === "string");
  return key === undefined ? undefined : headers[key];
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function plainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function positiveSafeInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0;
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}

/** docs/contracts.md, Label matching. */
export function poolFor(labels: readonly string[], pools: OracleWorld["pools"]): string | undefined {
  if (labels.length === 0) return undefined;
  return Object.keys(pools)
    .sort()
    .find((pool) => {
      const offered = new Set([IMPLICIT_LABEL, ...(pools[pool] ?? []).map((l) => l.toLowerCase())]);
      return labels.every((l) => offered.has(l.toLowerCase()));
    });
}

type Phase = "received" | "running" | "completed" | "failed" | "cancelled";

/** lambdas/ledger/phases.ts finishedPhase, the phase a `completed` webhook's conclusion ends in. */
function finishedPhase(conclusion: unknown): Phase {
  if (conclusion === "success" || conclusion === "skipped" || conclusion === "neutral") return "completed";
  return conclusion === "cancelled" ? "cancelled" : "failed";
}

const refused = (status: number, message: string, reason: string): Expectation => ({ genuine: false, enqueues: false, statuses: [status], message, reason });

/** What the webhook must answer, request after request, with a model of the job ledger. */
export class WebhookOracle {
  /** Ledger phase by job attempt (`<jobId>#<runAttempt>`), as the requests so far left it. */
  private readonly ledger = new Map<string, Phase>();
  /** Jobs already sent to a queue (the ledger's queued mark). */
  private readonly queued = new Set<string>();

  constructor(private readonly world: OracleWorld) {}

  /** The expected answer to `event`; moves the ledger model as the handler must move the table. */
  answer(event: APIGatewayProxyEvent): Expectation {
    const world = this.world;
    const raw = event.body ?? "";
    const bytes = event.isBase64Encoded ? Buffer.from(raw, "base64") : Buffer.from(raw, "utf8");
    if (bytes.byteLength > world.maxBodyBytes) return refused(413, "payload too large", "too large");

    const signature = header(event, "x-hub-signature-256");
    if (signature === undefined || signature === "") return refused(401, "missing signature", "no signature");
    const expected = `sha256=${createHmac("sha256", world.secret).update(bytes).digest("hex")}`;
    if (bytes.byteLength === 0 || signature !== expected) return refused(401, "invalid signature", "wrong signature");
    const text = decodeUtf8(bytes);
    if (text === undefined) return refused(401, "invalid signature", "not UTF-8");

    const contentType = header(event, "content-type") ?? "";
    const form = /^\s*application\/x-www-form-urlencoded\s*(;|$)/i.test(contentType);
    const json = form ? new URLSearchParams(text).get("payload") : text;
    let payload: unknown;
    try {
      payload = JSON.parse(json ?? "");
    } catch {
      return refused(400, "invalid JSON body", "not JSON");
    }
    if (!plainObject(payload)) return refused(400, "invalid JSON body", "not a JSON object");

    const githubEvent = header(event, "x-github-event");
    if (githubEvent === "ping") return { genuine: false, enqueues: false, statuses: [200], message: "pong", reason: "ping" };
    if (githubEvent === undefined || githubEvent === "") return refused(202, "ignored: no X-GitHub-Event header", "no event");
    if (githubEvent !== "workflow_job") return refused(202, `ignored: event ${githubEvent} is not handled`, "other event");
    const action = payload.action;
    if (action !== "queued" && action !== "in_progress" && action !== "completed") {
      const shown = Array.isArray(action) ? "(array)" : plainObject(action) ? "(object)" : String(action);
      return refused(202, `ignored: action ${shown} is not handled`, "other action");
    }

    const job = payload.workflow_job;
    if (!plainObject(job) || !Array.isArray(job.labels) || !job.labels.every((l) => typeof l === "string")) {
      return refused(400, "invalid workflow_job payload", "invalid labels");
    }
    const labels = job.labels as string[];
    const pool = poolFor(labels, world.pools);

    const repository = payload.repository;
    const owner = plainObject(repository) ? repository.owner : undefined;
    const installation = payload.installation;
    const runAttempt = job.run_attempt ?? 1;
    const deliveryId = header(event, "x-github-delivery");
    const jobFieldsValid =
      positiveSafeInteger(job.id) &&
      positiveSafeInteger(job.run_id) &&
      positiveSafeInteger(runAttempt) &&
      plainObject(repository) &&
      nonEmptyString(repository.full_name) &&
      plainObject(owner) &&
      nonEmptyString(owner.login) &&
      plainObject(installation) &&
      positiveSafeInteger(installation.id);
    const fieldsValid = jobFieldsValid && (action !== "queued" || nonEmptyString(deliveryId));

    if (pool === undefined) {
      const message = `ignored: no pool matches labels [${labels.join(", ")}]`;
      return fieldsValid ? refused(202, message, "no pool") : { genuine: false, enqueues: false, statuses: [202, 400], reason: "no pool, invalid fields" };
    }
    if (!fieldsValid) return refused(400, "invalid workflow_job payload", "invalid fields");

    const key = `${job.id as number}#${runAttempt as number}`;
    const phase = this.ledger.get(key);
    if (action === "in_progress") {
      const started = phase === undefined || phase === "received";
      if (started) this.ledger.set(key, "running");
      return { genuine: false, enqueues: false, statuses: [200], message: `recorded: ${started ? "running" : "unchanged"}`, reason: "progress" };
    }
    if (action === "completed") {
      const finished = phase === undefined || phase === "received" || phase === "running";
      const to = finishedPhase(job.conclusion);
      if (finished) this.ledger.set(key, to);
      return { genuine: false, enqueues: false, statuses: [200], message: `recorded: ${finished ? to : "unchanged"}`, reason: "progress" };
    }
    if (phase !== undefined && phase !== "received") {
      return { genuine: true, enqueues: false, statuses: [200], message: `duplicate: job is ${phase}`, reason: "genuine, job already past received" };
    }
    // Queued once: a later sighting of a job already queued (still received) is a duplicate too.
    if (this.queued.has(key)) {
      return { genuine: true, enqueues: false, statuses: [200], message: "duplicate: job is received", reason: "genuine, job already queued" };
    }
    this.queued.add(key);
    this.ledger.set(key, "received");
    return {
      genuine: true,
      enqueues: true,
      statuses: [200],
      message: "queued",
      job: { pool, jobId: job.id as number, runAttempt: runAttempt as number, deliveryId: deliveryId as string, labels },
      reason: "genuine",
    };
  }
}
