import { sign } from "@octokit/webhooks-methods";
import { beforeEach, describe, expect, it } from "vitest";
import { memoryLimitCounters } from "../../../lambdas/libs/ledger/memory-counters.js";
import { MemoryLedgerTable, memoryLedger } from "../../../lambdas/libs/ledger/memory-store.js";
import { EnqueueError } from "../../../lambdas/shared/index.js";
import type { JobMessage } from "../../../lambdas/shared/index.js";
import { ledgerJobBook } from "../../../lambdas/webhook/adapters/ledger.js";
import type { JobBook } from "../../../lambdas/webhook/adapters/ledger.js";
import { enqueueOnce, handleWebhook } from "../../../lambdas/webhook/webhook.js";
import type { WebhookDeps } from "../../../lambdas/webhook/webhook.js";
import { workflowJobFixture } from "../../helpers/openapi.js";
import { metricPoints, quietPowertools, takeEmittedMetrics } from "../../helpers/powertools.js";

// handleWebhook and enqueueOnce at their edges, by what a caller sees: the answer, the queue, the
// ledger's queueing lease and the metrics. Written against the mutants Stryker left in webhook.ts
// (docs/reliability.md, "Survivors of job-actions.ts and webhook.ts"); independent of the adapters.

quietPowertools();

const SECRET = "edges-test-secret";
const QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/sr-linux.fifo";
const NOW = new Date("2026-11-23T10:00:00.000Z");
const POOLS = { linux: { labels: ["linux", "x64"], allowPublicRepositories: false, queueUrl: QUEUE_URL } };

/** The webhook's ports in memory; `jobs` may be wrapped, `enqueue` replaced. */
function ports(options: { jobs?: (book: JobBook) => JobBook; enqueue?: WebhookDeps["enqueue"] } = {}) {
  const table = new MemoryLedgerTable();
  const sent: Array<{ queueUrl: string; job: JobMessage }> = [];
  const book = ledgerJobBook(memoryLedger(table), memoryLimitCounters(table), "sr");
  const deps: WebhookDeps = {
    pools: POOLS,
    maxBodyBytes: 262_144,
    admission: { allowedOwners: [], allowedRepositories: [] },
    maxJobAgeSeconds: 3600,
    secrets: async () => ({ current: SECRET }),
    enqueue: options.enqueue ?? (async (queueUrl, job) => void sent.push({ queueUrl, job })),
    jobs: (options.jobs ?? ((b) => b))(book),
    now: () => NOW,
  };
  return { deps, sent };
}

async function delivery(event: string, payload: unknown, deliveryId: string) {
  const body = JSON.stringify(payload);
  return {
    body,
    isBase64Encoded: false,
    headers: { "x-hub-signature-256": await sign(SECRET, body), "x-github-event": event, "x-github-delivery": deliveryId, "content-type": "application/json" },
  };
}

const queued = (jobId: number, edit: (payload: Record<string, any>) => void = () => undefined) => {
  const payload = workflowJobFixture("queued", { jobId, createdAt: new Date(NOW.getTime() - 60_000) });
  edit(payload);
  return payload;
};

/** A job message as the webhook healer hands it to enqueueOnce. */
const message = (jobId: number, deliveryId: string): JobMessage => ({
  version: 1,
  deliveryId,
  pool: "linux",
  jobId,
  runId: 9000 + jobId,
  runAttempt: 1,
  repository: "octo-org/octo-repo",
  owner: "octo-org",
  installationId: 52103487,
  labels: ["self-hosted", "linux", "x64"],
  receivedAt: NOW.toISOString(),
});

const ledgerDown: (book: JobBook) => JobBook = (book) => ({ ...book, sighted: async () => Promise.reject(new Error("DynamoDB unavailable")) });

beforeEach(() => {
  takeEmittedMetrics();
});

describe("handleWebhook: answers that queue nothing", () => {
  it("answers a ping with pong", async () => {
    // Act
    const answer = await handleWebhook(await delivery("ping", { zen: "Keep it logically awesome.", hook_id: 1 }, "d-ping"), ports().deps);

    // Assert
    expect(answer).toEqual({ statusCode: 200, body: { message: "pong" } });
  });

  it("answers 202 with the reason for a job no pool serves, counts it as ignored and queues nothing", async () => {
    // Arrange
    const world = ports();

    // Act
    const answer = await handleWebhook(await delivery("workflow_job", queued(31, (p) => (p.workflow_job.labels = ["self-hosted", "windows"])), "d-31"), world.deps);

    // Assert
    expect(answer.statusCode).toBe(202);
    expect(answer.body.message).toMatch(/pool/);
    expect(metricPoints("DeliveriesIgnored")).toEqual([expect.objectContaining({ value: 1 })]);
    expect(world.sent).toEqual([]);
  });
});

describe("handleWebhook: queueing metrics", () => {
  it("counts a ledger outage and queues the job anyway", async () => {
    // Arrange
    const world = ports({ jobs: ledgerDown });

    // Act
    const answer = await handleWebhook(await delivery("workflow_job", queued(32), "d-32"), world.deps);

    // Assert
    expect(answer.body.message).toBe("queued");
    expect(world.sent).toHaveLength(1);
    expect(metricPoints("LedgerErrors")).toEqual([expect.objectContaining({ value: 1 })]);
  });

  it("counts a duplicate sighting per pool", async () => {
    // Arrange
    const world = ports();
    await handleWebhook(await delivery("workflow_job", queued(33), "d-33a"), world.deps);

    // Act
    await handleWebhook(await delivery("workflow_job", queued(33), "d-33b"), world.deps);

    // Assert
    expect(metricPoints("JobsDeduplicated")).toEqual([expect.objectContaining({ value: 1, dimensions: expect.objectContaining({ Pool: "linux" }) })]);
  });

  it("counts a start without a time to runner when the payload has no created_at", async () => {
    // Arrange: an older payload without created_at.
    const payload = workflowJobFixture("in_progress", { jobId: 34 });
    delete payload.workflow_job.created_at;

    // Act
    const answer = await handleWebhook(await delivery("workflow_job", payload, "d-34"), ports().deps);

    // Assert
    expect(answer.body.message).toBe("recorded: running");
    expect(metricPoints("JobsStarted")).toHaveLength(1);
    expect(metricPoints("TimeToRunner")).toEqual([]);
  });
});

describe("handleWebhook and enqueueOnce: failed sends", () => {
  it("fails when the ledger is down and SQS refuses, without asking the down ledger to give a lease back", async () => {
    // Arrange
    const releases: number[] = [];
    const world = ports({
      jobs: (book) => ({ ...ledgerDown(book), releaseQueueing: async (job, ...rest) => (releases.push(job.jobId), book.releaseQueueing(job, ...rest)) }),
      enqueue: async () => Promise.reject(new Error("SQS unavailable")),
    });

    // Act
    const answer = handleWebhook(await delivery("workflow_job", queued(35), "d-35"), world.deps);

    // Assert
    await expect(answer).rejects.toBeInstanceOf(EnqueueError);
    expect(releases).toEqual([]);
  });

  it("fails for a pool without a queue, and gives the lease back so a later sighting queues the job at once", async () => {
    // Arrange
    const world = ports();
    const noQueue = { ...world.deps, pools: {} };

    // Act
    const first = enqueueOnce("linux", message(36, "d-36a"), noQueue);
    await expect(first).rejects.toBeInstanceOf(EnqueueError);
    const second = await enqueueOnce("linux", message(36, "d-36b"), world.deps);

    // Assert
    expect(second.body.message).toBe("queued");
    expect(world.sent.map((s) => [s.queueUrl, s.job.deliveryId])).toEqual([[QUEUE_URL, "d-36b"]]);
  });

  it("answers the healer's second call for the same delivery as a duplicate naming the job's phase", async () => {
    // Arrange
    const world = ports();
    await enqueueOnce("linux", message(37, "d-37"), world.deps);

    // Act
    const again = await enqueueOnce("linux", message(37, "d-37"), world.deps);

    // Assert
    expect(again.body).toEqual({ message: "duplicate: job is received", pool: "linux", jobId: 37 });
    expect(world.sent).toHaveLength(1);
  });
});
