import { createRequire } from "node:module";
import { sign } from "@octokit/webhooks-methods";
import { beforeEach, describe, expect, it } from "vitest";
import { memoryLimitCounters } from "../../../lambdas/libs/ledger/memory-counters.js";
import { MemoryLedgerTable, memoryLedger } from "../../../lambdas/libs/ledger/memory-store.js";
import { logger } from "../../../lambdas/shared/index.js";
import { ledgerJobBook } from "../../../lambdas/webhook/adapters/ledger.js";
import { routeDelivery, secondsBetween } from "../../../lambdas/webhook/route.js";
import { handleWebhook } from "../../../lambdas/webhook/webhook.js";
import type { WebhookAnswer, WebhookDeps } from "../../../lambdas/webhook/webhook.js";
import { workflowJobFixture } from "../../helpers/openapi.js";
import { captureLogLines, metricPoints, quietPowertools, takeEmittedMetrics } from "../../helpers/powertools.js";

// The webhook's metrics: what it counts per pool, and time to runner from the real `in_progress`
// payloads GitHub documents (@octokit/webhooks-examples, api.github.com).

quietPowertools();

interface Example {
  readonly action: string;
  readonly workflow_job: { readonly id: number; readonly created_at?: string; readonly started_at: string; readonly labels: string[] };
}

/** The `workflow_job` `in_progress` examples of @octokit/webhooks-examples. */
function realInProgressPayloads(): Array<Record<string, unknown> & Example> {
  const definitions = createRequire(import.meta.url)("@octokit/webhooks-examples") as Array<{ name: string; examples: Array<Record<string, unknown> & Example> }>;
  return (definitions.find((definition) => definition.name === "workflow_job")?.examples ?? []).filter((example) => example.action === "in_progress");
}

// GitHub's examples are public repositories: these pools opt in, as the webhook would otherwise refuse them.
const POOLS = { hosted: { labels: ["ubuntu-latest"], allowPublicRepositories: true }, gpu: { labels: ["gpu", "db-app", "dc-03"], allowPublicRepositories: true } };
const NOW = new Date("2026-11-23T10:00:00.000Z");
/** Created a minute before the deps' clock: fresh for the replay bound. */
const CREATED_AT = new Date(NOW.getTime() - 60_000);
const ROUTE = { admission: { allowedOwners: [], allowedRepositories: [] }, maxJobAgeSeconds: 3600 };

describe("time to runner from GitHub's in_progress payloads", () => {
  const examples = realInProgressPayloads();

  it("finds the documented in_progress examples", () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
  });

  it("is started_at minus created_at, in seconds, when both are present", () => {
    // Arrange
    const withCreated = examples.filter((example) => example.workflow_job.created_at !== undefined);
    expect(withCreated.length).toBeGreaterThanOrEqual(2);

    for (const payload of withCreated) {
      // Act
      const decision = routeDelivery({ event: "workflow_job", deliveryId: "d", payload, pools: POOLS, receivedAt: new Date(), ...ROUTE });

      // Assert
      const expected = (Date.parse(payload.workflow_job.started_at) - Date.parse(payload.workflow_job.created_at as string)) / 1000;
      expect(decision).toMatchObject({ kind: "progress", progress: { action: "in_progress", timeToRunnerSeconds: expected } });
    }
    expect(withCreated.map((payload) => (routeDelivery({ event: "workflow_job", deliveryId: "d", payload, pools: POOLS, receivedAt: new Date(), ...ROUTE }) as { progress: { timeToRunnerSeconds: number } }).progress.timeToRunnerSeconds).sort()).toEqual([0, 7]);
  });

  it("is unknown for the older payload without created_at", () => {
    // Arrange
    const payload = examples.find((example) => example.workflow_job.created_at === undefined);
    expect(payload).toBeDefined();

    // Act
    const seconds = secondsBetween(payload?.workflow_job.created_at, payload?.workflow_job.started_at);

    // Assert
    expect(seconds).toBeUndefined();
  });

  it.each([
    { name: "runs backwards", from: "2026-01-01T00:01:00Z", to: "2026-01-01T00:00:00Z" },
    { name: "is not a date", from: "yesterday", to: "2026-01-01T00:00:00Z" },
  ])("is unknown when the pair $name", ({ from, to }) => {
    expect(secondsBetween(from, to)).toBeUndefined();
  });
});

const SECRET = "metrics-test-secret";
const QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/sr-linux.fifo";

function deps(): WebhookDeps {
  const table = new MemoryLedgerTable();
  return {
    pools: { linux: { labels: ["linux", "x64"], allowPublicRepositories: false, queueUrl: QUEUE_URL } },
    maxBodyBytes: 262_144,
    admission: { allowedOwners: [], allowedRepositories: [] },
    maxJobAgeSeconds: 3600,
    secrets: async () => ({ current: SECRET }),
    enqueue: async () => undefined,
    jobs: ledgerJobBook(memoryLedger(table), memoryLimitCounters(table), "sr"),
    now: () => NOW,
  };
}

async function delivery(payload: unknown, deliveryId: string) {
  const body = JSON.stringify(payload);
  return {
    body,
    isBase64Encoded: false,
    headers: { "x-hub-signature-256": await sign(SECRET, body), "x-github-event": "workflow_job", "x-github-delivery": deliveryId, "content-type": "application/json" },
  };
}

describe("webhook metrics", () => {
  beforeEach(() => {
    takeEmittedMetrics();
  });

  it("counts a queued job per pool, with the plain [service] set and the [service, Pool] set", async () => {
    // Act
    await handleWebhook(await delivery(workflowJobFixture("queued", { jobId: 11, createdAt: CREATED_AT }), "d-1"), deps());

    // Assert
    expect(metricPoints("JobsQueued")).toEqual([expect.objectContaining({ unit: "Count", value: 1, dimensionSets: [["service"], ["service", "Pool"]], dimensions: expect.objectContaining({ Pool: "linux" }) })]);
  });

  it("counts a refused delivery by reason and queues nothing: a replay older than the bound", async () => {
    // Act
    const answer = await handleWebhook(await delivery(workflowJobFixture("queued", { jobId: 15, createdAt: new Date(NOW.getTime() - 3_601_000) }), "d-7"), deps());

    // Assert
    expect(answer.statusCode).toBe(202);
    expect(metricPoints("DeliveriesRefused")).toEqual([expect.objectContaining({ unit: "Count", value: 1, dimensionSets: [["service"], ["service", "Reason"]], dimensions: expect.objectContaining({ Reason: "stale" }) })]);
    expect(metricPoints("JobsQueued")).toEqual([]);
  });

  it("emits JobsStarted and TimeToRunner once per job attempt, even when in_progress is delivered again", async () => {
    // Arrange
    const world = deps();
    const payload = workflowJobFixture("in_progress", { jobId: 12, runnerName: "sr-i-0aaaaaaaaaaaaaaa1" });
    payload.workflow_job.created_at = "2026-11-23T09:58:00Z";
    payload.workflow_job.started_at = "2026-11-23T09:59:30Z";

    // Act
    const answers: WebhookAnswer[] = [];
    answers.push(await handleWebhook(await delivery(payload, "d-2"), world));
    answers.push(await handleWebhook(await delivery(payload, "d-3"), world));

    // Assert
    expect(answers.map((answer) => answer.body.message)).toEqual(["recorded: running", "recorded: unchanged"]);
    const points = metricPoints();
    expect(points.filter((point) => point.name === "JobsStarted")).toEqual([expect.objectContaining({ unit: "Count", value: 1, dimensions: expect.objectContaining({ Pool: "linux" }) })]);
    expect(points.filter((point) => point.name === "TimeToRunner")).toEqual([
      expect.objectContaining({ unit: "Seconds", value: 90, dimensionSets: [["service"], ["service", "Pool"]], dimensions: expect.objectContaining({ Pool: "linux" }) }),
    ]);
  });

  it("emits no start for an in_progress that arrives after completed", async () => {
    // Arrange
    const world = deps();
    await handleWebhook(await delivery(workflowJobFixture("completed", { jobId: 13, conclusion: "success" }), "d-4"), world);
    takeEmittedMetrics();

    // Act
    await handleWebhook(await delivery(workflowJobFixture("in_progress", { jobId: 13 }), "d-5"), world);

    // Assert
    expect(metricPoints().map((point) => point.name)).not.toContain("JobsStarted");
  });

  it("logs the delivery's job with the correlation keys, and none of them after it", async () => {
    // Arrange
    const lines = captureLogLines();

    // Act
    await handleWebhook(await delivery(workflowJobFixture("queued", { jobId: 14, createdAt: CREATED_AT }), "d-6"), deps());
    logger.info("after the delivery");

    // Assert
    const queued = lines().find((line) => line.message === "job queued");
    expect(queued).toMatchObject({ deliveryId: "d-6", jobId: 14, runAttempt: 1, pool: "linux", owner: expect.any(String), repository: expect.any(String) });
    const after = lines().find((line) => line.message === "after the delivery");
    expect(after).toBeDefined();
    for (const key of ["deliveryId", "jobId", "runAttempt", "pool", "owner", "repository"]) expect(after).not.toHaveProperty(key);
  });
});
