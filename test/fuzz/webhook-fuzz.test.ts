import { performance } from "node:perf_hooks";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lambdaContext } from "../helpers/aws.js";
import { loadShippedHandler } from "../helpers/shipped-zip.js";
import { startWebhookDoubles } from "../helpers/webhook-doubles.js";
import type { SentJobMessage, WebhookDoubles } from "../helpers/webhook-doubles.js";
import { WebhookOracle } from "./webhook-oracle.js";
import type { Expectation, OracleWorld } from "./webhook-oracle.js";
import { buildRequest, requestSpec } from "./webhook-requests.js";
import type { RequestSpec } from "./webhook-requests.js";

// Fuzzes the shipped webhook zip (dist/lambdas/webhook.zip with the layer), invoked in-process, its
// own SDK talking HTTP to the loopback doubles. Every request is checked against the oracle
// (webhook-oracle.ts): never a 5xx, never a throw, a JSON answer with a message, the status the
// contract gives, and a message on the queue if and only if the request is genuine (and, with the
// job ledger, the job's first sighting). The ledger table lives in dynalite.
// Rerun with another seed or size: FUZZ_SEED=123 FUZZ_RUNS=50000 npx vitest run test/fuzz

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const SEED = Number(process.env.FUZZ_SEED ?? 20_240_611);
const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SECRET = "fuzz-webhook-secret";
// WEBHOOK_MAX_BODY_BYTES is left unset, so this is the handler's default (docs/contracts.md).
const WEBHOOK_MAX_BODY_BYTES = 262_144;
// Three pools whose sorted order matters: a job labelled [self-hosted, linux] goes to `arm`.
const POOLS = { arm: ["Linux", "ARM64"], gpu: ["linux", "gpu"], linux: ["linux", "x64"] };
const world: OracleWorld = { secret: SECRET, maxBodyBytes: WEBHOOK_MAX_BODY_BYTES, pools: POOLS };

/** Counts for the summary printed at the end (also the coverage checks). */
class Summary {
  requests = 0;
  genuine = 0;
  enqueued = 0;
  /** Genuine requests the ledger answered as duplicates (the job had progressed already). */
  deduplicated = 0;
  readonly byStatus = new Map<number, number>();
  readonly byReason = new Map<string, number>();
  readonly bySpec = new Map<string, Map<string, number>>();
  /** Handler time and count by what the request made the handler call: SQS and DynamoDB, DynamoDB only, nothing. */
  readonly time = { queue: [0, 0], ledger: [0, 0], none: [0, 0] };

  record(spec: RequestSpec, expectation: Expectation, statusCode: number, sent: number, ms: number): void {
    this.requests += 1;
    if (expectation.genuine) this.genuine += 1;
    if (expectation.genuine && !expectation.enqueues) this.deduplicated += 1;
    this.enqueued += sent;
    const bucket = this.time[sent > 0 ? "queue" : expectation.reason === "progress" || expectation.genuine ? "ledger" : "none"];
    bucket[0] += ms;
    bucket[1] += 1;
    bump(this.byStatus, statusCode);
    bump(this.byReason, expectation.reason);
    const facets: Record<string, string> = {
      body: spec.body.kind === "job" ? (spec.body.mutations.length === 0 ? "fixture" : "mutated fixture") : spec.body.kind,
      action: spec.action,
      "job id": spec.job,
      signature: spec.signature,
      transport: spec.transport,
      form: spec.form,
      size: spec.size,
      layout: spec.layout,
      delivery: spec.delivery,
      event: spec.event.kind === "value" ? spec.event.value : spec.event.kind,
      "content-type": spec.contentType ?? "(none)",
      "text mutation": spec.textMutations.map((m) => m.op).join("+") || "none",
      "invalid UTF-8": spec.byteMutation === null ? "no" : "yes",
    };
    for (const [facet, value] of Object.entries(facets)) bump(this.bySpec.get(facet) ?? this.bySpec.set(facet, new Map()).get(facet)!, value);
  }

  /** `seconds` of wall time, `cpuSeconds` of this process's CPU time (the handler and the doubles run in it). */
  text(seconds: number, cpuSeconds: number): string {
    const list = (m: Map<string | number, number>) => [...m].sort(([a], [b]) => String(a).localeCompare(String(b))).map(([k, v]) => `${k}: ${v}`).join(", ");
    const mean = ([ms, n]: number[]) => `${(ms! / Math.max(1, n!)).toFixed(2)} ms x ${n}`;
    return [
      `webhook fuzz summary (seed ${SEED}, ${RUNS} runs, ${seconds.toFixed(1)} s, ${cpuSeconds.toFixed(1)} s CPU)`,
      `  requests ${this.requests}, genuine ${this.genuine} (${this.deduplicated} of them duplicates of a job the ledger had seen progress), enqueued ${this.enqueued}`,
      `  by status: ${list(this.byStatus)}`,
      `  by oracle reason: ${list(this.byReason)}`,
      `  handler time per request: ${mean(this.time.queue)} queued (DynamoDB and SQS), ${mean(this.time.ledger)} ledger only (DynamoDB), ${mean(this.time.none)} without AWS calls`,
      ...[...this.bySpec].map(([facet, counts]) => `  ${facet}: ${list(counts)}`),
    ].join("\n");
  }
}

function bump<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function checkEnqueued(expectation: Expectation, answer: Record<string, unknown>, sent: readonly SentJobMessage[], queueUrls: Readonly<Record<string, string>>): void {
  const job = expectation.job!;
  expect(answer).toEqual({ message: "queued", pool: job.pool, jobId: job.jobId });
  expect(sent).toHaveLength(1);
  const message = sent[0]!;
  expect(message.QueueUrl).toBe(queueUrls[job.pool]);
  expect(message.MessageGroupId).toBe(String(job.jobId));
  expect(message.MessageDeduplicationId).toBe(`${job.jobId}-${job.runAttempt}`);
  expect(message.MessageAttributes.DeliveryId?.StringValue).toBe(job.deliveryId);
  expect(JSON.parse(message.MessageBody)).toMatchObject({ version: 1, pool: job.pool, jobId: job.jobId, runAttempt: job.runAttempt, deliveryId: job.deliveryId, labels: job.labels });
}

let handler: Handler;
let doubles: WebhookDoubles;
const summary = new Summary();
const oracle = new WebhookOracle(world);
const context = lambdaContext("sr-webhook");

beforeAll(async () => {
  doubles = await startWebhookDoubles({ secret: SECRET, pools: POOLS });
  // Metrics off: one EMF line per request would bury the summary.
  handler = loadShippedHandler<Handler>("webhook", { ...doubles.env, POWERTOOLS_METRICS_DISABLED: "true" });
  console.log(`webhook fuzz: seed ${SEED}, ${RUNS} runs (override with FUZZ_SEED and FUZZ_RUNS)`);
});

afterAll(async () => {
  await doubles.stop();
});

describe("webhook fuzzing against the shipped zip", () => {
  it(
    "answers every generated request without a 5xx, as the contract says, and enqueues exactly the genuine ones",
    async () => {
      let sequence = 0;
      const started = performance.now();
      const cpuStarted = process.cpuUsage();
      try {
        await fc.assert(
          fc.asyncProperty(requestSpec, async (spec) => {
            sequence += 1;
            const event = buildRequest(spec, { secret: SECRET, maxBodyBytes: WEBHOOK_MAX_BODY_BYTES, sequence, seed: SEED });
            const expectation = oracle.answer(event);
            doubles.reset();

            const t0 = performance.now();
            const result = await handler(event, context);
            const ms = performance.now() - t0;
            const sent = doubles.sent();
            summary.record(spec, expectation, result.statusCode, sent.length, ms);

            expect(result.statusCode).toBeLessThan(500);
            expect(result.headers?.["content-type"]).toBe("application/json");
            const answer = JSON.parse(result.body) as Record<string, unknown>;
            expect(typeof answer.message).toBe("string");
            expect(expectation.statuses).toContain(result.statusCode);
            if (expectation.message !== undefined) expect(answer.message).toBe(expectation.message);
            if (expectation.enqueues) checkEnqueued(expectation, answer, sent, doubles.queueUrls);
            else expect(sent).toHaveLength(0);
          }),
          { seed: SEED, numRuns: RUNS },
        );
      } finally {
        const cpu = process.cpuUsage(cpuStarted);
        console.log(summary.text((performance.now() - started) / 1000, (cpu.user + cpu.system) / 1e6));
      }
    },
    Math.max(120_000, RUNS * 30),
  );

  it.runIf(RUNS >= 10_000)("reached every kind of request and every row of the contract table", () => {
    expect(summary.requests).toBeGreaterThanOrEqual(10_000);
    // Both sides of "enqueued if and only if genuine" were exercised, the genuine side substantially.
    expect(summary.genuine).toBeGreaterThan(summary.requests / 12);
    expect(summary.requests - summary.genuine).toBeGreaterThan(summary.requests / 2);
    expect([...summary.byReason.keys()].sort()).toEqual(
      [
        "genuine", "genuine, job already past received", "genuine, job already queued", "invalid fields", "invalid labels", "no event", "no pool", "no pool, invalid fields",
        "no signature", "not JSON", "not UTF-8", "not a JSON object", "other action", "other event", "ping", "progress", "too large", "wrong signature",
      ].sort(),
    );
    for (const facet of ["signature", "transport", "form", "size", "layout", "delivery"]) {
      expect([...summary.bySpec.get(facet)!.values()].every((count) => count > 0)).toBe(true);
    }
    expect(summary.bySpec.get("signature")!.size).toBe(19);
    expect(summary.bySpec.get("transport")!.size).toBe(6);
    expect(summary.bySpec.get("size")!.size).toBe(5);
  });
});
