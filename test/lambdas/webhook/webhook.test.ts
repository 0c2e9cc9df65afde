import { sign } from "@octokit/webhooks-methods";
import { beforeEach, describe, expect, it } from "vitest";
import { memoryLimitCounters } from "../../../lambdas/libs/ledger/memory-counters.js";
import { MemoryLedgerTable, memoryLedger } from "../../../lambdas/libs/ledger/memory-store.js";
import { jobKey } from "../../../lambdas/libs/ledger/phases.js";
import { QUEUE_RESEND_WINDOW_MS } from "../../../lambdas/libs/ledger/types.js";
import type { Ledger } from "../../../lambdas/libs/ledger/port.js";
import { EnqueueError } from "../../../lambdas/shared/index.js";
import type { JobMessage } from "../../../lambdas/shared/index.js";
import { ledgerJobBook } from "../../../lambdas/webhook/adapters/ledger.js";
import { QUEUE_LEASE_MS, handleWebhook } from "../../../lambdas/webhook/webhook.js";
import type { WebhookAnswer, WebhookDeps } from "../../../lambdas/webhook/webhook.js";
import { workflowJobFixture } from "../../helpers/openapi.js";
import { quietPowertools } from "../../helpers/powertools.js";

// handleWebhook called directly with memory ports: the memory ledger (its contract is the DynamoDB
// store's, test/lambdas/libs/ledger/stores.test.ts), a recording queue and a fake clock. No dynalite, no SDK doubles; webhook.lambda.test.ts keeps the wiring.

quietPowertools();

const SECRET = "core-test-secret";
const QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/sr-linux.fifo";
const START = Date.parse("2026-11-23T10:00:00.000Z");
const JOB_ID = 29679449632;
const KEY = jobKey({ jobId: JOB_ID, runAttempt: 1 });

interface Ports {
  readonly deps: WebhookDeps;
  readonly table: MemoryLedgerTable;
  readonly sent: JobMessage[];
  /** Moves the fake clock on. */
  advance(ms: number): void;
}

/** The webhook's ports in memory; `enqueue` may be replaced to fail or hang. */
function ports(options: { enqueue?: WebhookDeps["enqueue"]; ledger?: (ledger: Ledger) => Ledger } = {}): Ports {
  const table = new MemoryLedgerTable();
  const sent: JobMessage[] = [];
  let clock = START;
  const ledger = (options.ledger ?? ((l) => l))(memoryLedger(table));
  return {
    table,
    sent,
    advance: (ms) => {
      clock += ms;
    },
    deps: {
      pools: { linux: { labels: ["linux", "x64"], allowPublicRepositories: false, queueUrl: QUEUE_URL } },
      maxBodyBytes: 262_144,
      admission: { allowedOwners: [], allowedRepositories: [] },
      maxJobAgeSeconds: 3600,
      secrets: async () => ({ current: SECRET }),
      enqueue:
        options.enqueue ??
        (async (_queueUrl, job) => {
          sent.push(job);
        }),
      jobs: ledgerJobBook(ledger, memoryLimitCounters(table), "sr"),
      now: () => new Date(clock),
    },
  };
}

/** A signed `workflow_job` delivery. */
async function delivery(action: "queued" | "in_progress" | "completed", deliveryId: string, options: Parameters<typeof workflowJobFixture>[1] = {}) {
  // Created when the test's clock starts: fresh for the replay bound.
  const body = JSON.stringify(workflowJobFixture(action, { jobId: JOB_ID, createdAt: new Date(START), ...options }));
  return {
    body,
    isBase64Encoded: false,
    headers: { "x-hub-signature-256": await sign(SECRET, body), "x-github-event": "workflow_job", "x-github-delivery": deliveryId, "content-type": "application/json" },
  };
}

const messages = (answers: readonly WebhookAnswer[]) => answers.map((answer) => answer.body.message).sort();

let world: Ports;

beforeEach(() => {
  world = ports();
});

describe("handleWebhook with memory ports", () => {
  it("queues the first sighting of a job and answers later ones as duplicates", async () => {
    // Act
    const first = await handleWebhook(await delivery("queued", "d-1"), world.deps);
    const second = await handleWebhook(await delivery("queued", "d-2"), world.deps);

    // Assert
    expect([first.statusCode, first.body.message]).toEqual([200, "queued"]);
    expect([second.statusCode, second.body.message]).toEqual([200, "duplicate: job is received"]);
    expect(world.sent.map((job) => [job.jobId, job.deliveryId])).toEqual([[JOB_ID, "d-1"]]);
    expect(world.table.items.get(KEY)).toMatchObject({ phase: "received", queuedAt: new Date(START).toISOString() });
  });

  it("queues a job once when four deliveries of it arrive at the same moment (issue 17)", async () => {
    // Act: four execution environments, four delivery ids, one job.
    const requests = await Promise.all(["d-1", "d-2", "d-3", "d-4"].map((id) => delivery("queued", id)));
    const answers = await Promise.all(requests.map((request) => handleWebhook(request, world.deps)));

    // Assert
    expect(messages(answers)).toEqual(["duplicate: job is received", "duplicate: job is received", "duplicate: job is received", "queued"]);
    expect(world.sent).toHaveLength(1);
  });

  it("queues the job through the next sighting when the winner crashed between the lease and the send", async () => {
    // Arrange: the first delivery's execution environment dies inside SendMessage (it never returns).
    let crashed = false;
    world = ports({
      enqueue: async (_url, job) => {
        if (!crashed) {
          crashed = true;
          return new Promise<void>(() => undefined);
        }
        world.sent.push(job);
      },
    });
    void handleWebhook(await delivery("queued", "d-1"), world.deps);
    await new Promise((resolve) => setImmediate(resolve));

    // Act
    const whileLeased = await handleWebhook(await delivery("queued", "d-2"), world.deps);
    world.advance(QUEUE_LEASE_MS + 1);
    const afterLease = await handleWebhook(await delivery("queued", "d-3"), world.deps);

    // Assert
    expect(crashed).toBe(true);
    expect(whileLeased.body.message).toBe("duplicate: job is received");
    expect(afterLease.body.message).toBe("queued");
    expect(world.sent.map((job) => job.deliveryId)).toEqual(["d-3"]);
    expect(world.table.items.get(KEY)?.queuedAt).toBeDefined();
  });

  it("fails when SendMessage fails, and gives the lease back so the next sighting queues the job at once", async () => {
    // Arrange
    let failures = 1;
    world = ports({
      enqueue: async (_url, job) => {
        if (failures-- > 0) throw new Error("SQS unavailable");
        world.sent.push(job);
      },
    });

    // Act
    const failed = handleWebhook(await delivery("queued", "d-1"), world.deps);
    await expect(failed).rejects.toBeInstanceOf(EnqueueError);
    const next = await handleWebhook(await delivery("queued", "d-2"), world.deps);

    // Assert
    expect(next.body.message).toBe("queued");
    expect(world.sent.map((job) => job.deliveryId)).toEqual(["d-2"]);
  });

  it("queues the job anyway when the ledger is unavailable (scale-up's claim deduplicates)", async () => {
    // Arrange
    const failing = (ledger: Ledger): Ledger => ({
      ...ledger,
      receiveToQueue: async () => {
        throw new Error("DynamoDB unavailable");
      },
    });
    world = ports({ ledger: failing });

    // Act
    const answers = [await handleWebhook(await delivery("queued", "d-1"), world.deps), await handleWebhook(await delivery("queued", "d-2"), world.deps)];

    // Assert
    expect(messages(answers)).toEqual(["queued", "queued"]);
    expect(world.sent).toHaveLength(2);
  });

  it("answers a redelivery of the delivery that queued the job with the first answer and sends nothing more", async () => {
    // Act
    const first = await handleWebhook(await delivery("queued", "d-1"), world.deps);
    const again = await handleWebhook(await delivery("queued", "d-1"), world.deps);

    // Assert
    expect(again).toEqual(first);
    expect(first.body.message).toBe("queued");
    expect(world.sent).toHaveLength(1);
  });

  it("costs one ledger write per queued delivery and one per progress event", async () => {
    // Arrange: count the ledger's writes.
    const writes: string[] = [];
    world = ports({
      ledger: (ledger) => ({
        ...ledger,
        receiveToQueue: async (...args) => (writes.push("receiveToQueue"), ledger.receiveToQueue(...args)),
        start: async (...args) => (writes.push("start"), ledger.start(...args)),
        finish: async (...args) => (writes.push("finish"), ledger.finish(...args)),
      }),
    });

    // Act
    await handleWebhook(await delivery("queued", "d-1"), world.deps);
    await handleWebhook(await delivery("in_progress", "d-2"), world.deps);
    await handleWebhook(await delivery("completed", "d-3"), world.deps);

    // Assert
    expect(writes).toEqual(["receiveToQueue", "start", "finish"]);
    expect(world.sent).toHaveLength(1);
  });

  it("re-sends after a crashed sender's lease only inside the re-send window (SQS deduplication), later answers duplicate", async () => {
    // Arrange: the first delivery's execution environment dies inside SendMessage.
    world = ports({ enqueue: () => new Promise<void>(() => undefined) });
    void handleWebhook(await delivery("queued", "d-1"), world.deps);
    await new Promise((resolve) => setImmediate(resolve));

    // Act
    world.advance(QUEUE_RESEND_WINDOW_MS + 1);
    const late = await handleWebhook(await delivery("queued", "d-2"), world.deps);

    // Assert: the reconciler's requeue of received jobs heals it from here.
    expect(late.body.message).toBe("duplicate: job is received");
  });

  it("answers a redelivered in_progress and completed with their first answers and counts nothing twice", async () => {
    // Act
    const started = [await handleWebhook(await delivery("in_progress", "d-1"), world.deps), await handleWebhook(await delivery("in_progress", "d-1"), world.deps)];
    const finished = [await handleWebhook(await delivery("completed", "d-2"), world.deps), await handleWebhook(await delivery("completed", "d-2"), world.deps)];
    const other = await handleWebhook(await delivery("completed", "d-3"), world.deps);

    // Assert
    expect(started.map((answer) => answer.body.message)).toEqual(["recorded: running", "recorded: running"]);
    expect(finished.map((answer) => answer.body.message)).toEqual(["recorded: completed", "recorded: completed"]);
    expect(other.body.message).toBe("recorded: unchanged");
  });

  it("records progress: a job seen running then completed queues nothing and a late queued is a duplicate", async () => {
    // Act
    const started = await handleWebhook(await delivery("in_progress", "d-1"), world.deps);
    const completed = await handleWebhook(await delivery("completed", "d-2"), world.deps);
    const late = await handleWebhook(await delivery("queued", "d-3"), world.deps);

    // Assert
    expect([started.body.message, completed.body.message, late.body.message]).toEqual(["recorded: running", "recorded: completed", "duplicate: job is completed"]);
    expect(world.sent).toEqual([]);
  });
});

describe("handleWebhook admission and replay (issue 18, findings 5 and 9)", () => {
  /** A signed queued delivery of the fixture, changed by `edit`. */
  async function queuedDelivery(deliveryId: string, edit: (payload: Record<string, any>) => void) {
    const payload = workflowJobFixture("queued", { jobId: JOB_ID, createdAt: new Date(START) });
    edit(payload);
    const body = JSON.stringify(payload);
    return {
      body,
      isBase64Encoded: false,
      headers: { "x-hub-signature-256": await sign(SECRET, body), "x-github-event": "workflow_job", "x-github-delivery": deliveryId, "content-type": "application/json" },
    };
  }
  const publicRepository = (payload: Record<string, any>) => Object.assign(payload.repository, { private: false, visibility: "public" });

  it.each([
    { name: "an owner not in allowed_owners", admission: { allowedOwners: ["other-org"], allowedRepositories: [] }, edit: () => undefined, message: "refused: owner octo-org is not in allowed_owners" },
    {
      name: "a repository not in allowed_repositories",
      admission: { allowedOwners: [], allowedRepositories: ["octo-org/other"] },
      edit: () => undefined,
      message: "refused: repository octo-org/example-workflow is not in allowed_repositories",
    },
    {
      name: "a public repository on a pool without allow_public_repositories",
      admission: { allowedOwners: [], allowedRepositories: [] },
      edit: publicRepository,
      message: "refused: repository octo-org/example-workflow is public and the pool does not set allow_public_repositories",
    },
  ])("fails for $name: 202, nothing queued, the ledger untouched", async ({ admission, edit, message }) => {
    // Act
    const answer = await handleWebhook(await queuedDelivery("d-1", edit), { ...world.deps, admission });

    // Assert
    expect([answer.statusCode, answer.body.message]).toEqual([202, message]);
    expect(world.sent).toEqual([]);
    expect(world.table.items.size).toBe(0);
  });

  it("fails for a replayed queued delivery created longer ago than the bound: 202, nothing queued, the ledger untouched", async () => {
    // Arrange: the delivery was captured at START and is sent again an hour and a second later
    const request = await queuedDelivery("d-1", () => undefined);
    world.advance(3_601_000);

    // Act
    const answer = await handleWebhook(request, world.deps);

    // Assert
    expect([answer.statusCode, answer.body.message]).toEqual([202, "refused: job created 3601 s ago, more than webhook_max_job_age_seconds (3600 s)"]);
    expect(world.sent).toEqual([]);
    expect(world.table.items.size).toBe(0);
  });

  it("queues allowed owners, repositories and opted-in public repositories", async () => {
    // Arrange
    const deps = {
      ...world.deps,
      admission: { allowedOwners: ["octo-org"], allowedRepositories: ["octo-org/example-workflow"] },
      pools: { linux: { labels: ["linux", "x64"], allowPublicRepositories: true, queueUrl: QUEUE_URL } },
    };

    // Act
    const answer = await handleWebhook(await queuedDelivery("d-1", publicRepository), deps);

    // Assert
    expect([answer.statusCode, answer.body.message]).toEqual([200, "queued"]);
    expect(world.sent.map((job) => [job.jobId, job.visibility])).toEqual([[JOB_ID, "public"]]);
  });
});
