import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { dynamoDbLimitCounters } from "../../../lambdas/libs/ledger/dynamodb-counters.js";
import { dynamoDbLedger } from "../../../lambdas/libs/ledger/dynamodb-store.js";
import { jobKey, limitKeys } from "../../../lambdas/libs/ledger/phases.js";
import { logger } from "../../../lambdas/shared/index.js";
import type { DeleteRunnerResult, JobMessage } from "../../../lambdas/shared/index.js";
import { handleInterruption } from "../../../lambdas/spot-interruption/spot-interruption.js";
import type { InstanceTags, SpotInterruptionDeps } from "../../../lambdas/spot-interruption/spot-interruption.js";
import { startDynalite } from "../../helpers/dynalite.js";
import type { LocalDynamoDb } from "../../helpers/dynalite.js";
import { counterValue, jobFacts, seedLaunchedJob } from "../../helpers/ledger.js";
import { captureLogLines, metricPoints, quietPowertools, takeEmittedMetrics } from "../../helpers/powertools.js";

quietPowertools();

// The core of the spot handler against the real ledger (dynalite: its guarantees are condition
// expressions), with in-memory EC2 tags, runners table, GitHub delete and queue.

const TABLE = "sr-jobs";
const PREFIX = "sr";
const OWNER = "octo-org";
const NOW = new Date("2024-06-11T12:00:00Z");
const EARLIER = new Date("2024-06-11T11:50:00Z");
const INSTANCE = "i-0aaaaaaaaaaaaaaa1";
const RUNNER = `${PREFIX}-${INSTANCE}`;
const KEYS = limitKeys("linux", OWNER);

let db: LocalDynamoDb;
let ledger: ReturnType<typeof dynamoDbLedger>;
let counters: ReturnType<typeof dynamoDbLimitCounters>;

/** The doubles and what they saw. */
interface World {
  deps: SpotInterruptionDeps;
  deregistered: Array<{ owner: string; installationId: number; runnerId: number }>;
  sent: Array<{ pool: string; message: JobMessage; groupId: string; deduplicationId: string }>;
}

function world(options: { tags?: InstanceTags | undefined; runnerId?: number | undefined; deleteAnswer?: DeleteRunnerResult } = {}): World {
  const deregistered: World["deregistered"] = [];
  const sent: World["sent"] = [];
  const tags = "tags" in options ? options.tags : { prefix: PREFIX, owner: OWNER, installationId: 52103487 };
  const runnerId = "runnerId" in options ? options.runnerId : 77;
  return {
    deregistered,
    sent,
    deps: {
      prefix: PREFIX,
      describe: async (instanceId) => (instanceId === INSTANCE ? tags : undefined),
      runnerIdOf: async (instanceId) => (instanceId === INSTANCE ? runnerId : undefined),
      deregister: async (owner, installationId, id) => {
        deregistered.push({ owner, installationId, runnerId: id });
        return options.deleteAnswer ?? "deleted";
      },
      ledger,
      counters,
      requeue: async (pool, body, groupId, deduplicationId) => {
        sent.push({ pool, message: JSON.parse(body) as JobMessage, groupId, deduplicationId });
      },
      now: () => NOW,
    },
  };
}

/** A job launched for INSTANCE ten minutes ago whose runner has not taken a job. */
async function waitingJob(jobId = 7): Promise<string> {
  return seedLaunchedJob(ledger, counters, { facts: jobFacts(jobId), instanceId: INSTANCE, prefix: PREFIX, scopeOwner: OWNER, at: EARLIER });
}

async function counterValues(): Promise<number[]> {
  return Promise.all([KEYS.global, KEYS.pool, KEYS.owner].map((key) => counterValue(db.documentClient, TABLE, key)));
}

beforeAll(async () => {
  db = await startDynalite();
  await db.createTable(TABLE);
  ledger = dynamoDbLedger(db.documentClient, TABLE);
  counters = dynamoDbLimitCounters(db.documentClient, TABLE);
});

beforeEach(async () => {
  await db.clear(TABLE);
});

afterAll(async () => {
  await db.close();
});

describe("handleInterruption", () => {
  it("marks the job of a busy runner interrupted and relaunches nothing when GitHub refuses the delete", async () => {
    // Arrange: job 7 was launched for the instance; the runner took job 8 (in_progress seen).
    const launchedFor = await waitingJob(7);
    await ledger.start(jobFacts(8), RUNNER, EARLIER);
    const { deps, deregistered, sent } = world({ deleteAnswer: "busy" });

    // Act
    const outcome = await handleInterruption(INSTANCE, deps);

    // Assert
    expect(outcome).toEqual({ instanceId: INSTANCE, ours: true, interruptedJob: jobKey(jobFacts(8)), deregistered: "busy", relaunched: undefined });
    const running = await ledger.get(jobKey(jobFacts(8)));
    expect(running).toMatchObject({ phase: "running", interrupted: true });
    expect(running?.events?.map((event) => event.what)).toContain("interrupted");
    expect(deregistered).toEqual([{ owner: OWNER, installationId: 52103487, runnerId: 77 }]);
    expect(sent).toEqual([]);
    expect(await ledger.get(launchedFor)).toMatchObject({ phase: "launched", slotHeld: true });
  });

  it("deregisters an idle runner and relaunches the job it was launched for, freeing its slot", async () => {
    // Arrange
    const key = await waitingJob(7);
    const { deps, deregistered, sent } = world();

    // Act
    const outcome = await handleInterruption(INSTANCE, deps);

    // Assert
    expect(outcome).toEqual({ instanceId: INSTANCE, ours: true, interruptedJob: undefined, deregistered: "deleted", relaunched: key });
    expect(deregistered).toEqual([{ owner: OWNER, installationId: 52103487, runnerId: 77 }]);
    expect(await ledger.get(key)).toMatchObject({ phase: "received", slotHeld: false, relaunches: 1 });
    expect(await counterValues()).toEqual([0, 0, 0]);
    expect(sent).toEqual([
      {
        pool: "linux",
        groupId: "7",
        deduplicationId: "7-1-r1",
        message: {
          version: 1,
          deliveryId: "delivery-7",
          pool: "linux",
          jobId: 7,
          runId: 9007,
          runAttempt: 1,
          repository: "octo-org/octo-repo",
          owner: OWNER,
          installationId: 52103487,
          labels: ["self-hosted", "linux"],
          // A relaunch counts its age from the relaunch (requeue.ts).
          receivedAt: NOW.toISOString(),
        },
      },
    ]);
  });

  it("notes a busy runner whose job the ledger does not know, marking and relaunching nothing", async () => {
    // Arrange: no runner pointer yet (the job's `in_progress` is late).
    const launchedFor = await waitingJob(7);
    const { deps, sent } = world({ deleteAnswer: "busy" });

    // Act
    const outcome = await handleInterruption(INSTANCE, deps);

    // Assert
    expect(outcome).toMatchObject({ deregistered: "busy", interruptedJob: undefined, relaunched: undefined });
    expect(await ledger.runnerInterruptedAt(RUNNER)).toEqual(NOW);
    expect(sent).toEqual([]);
    expect(await ledger.get(launchedFor)).toMatchObject({ phase: "launched", slotHeld: true });
  });

  it("relaunches when the registration is already gone (404)", async () => {
    // Arrange
    const key = await waitingJob(7);
    const { deps, sent } = world({ deleteAnswer: "not-found" });

    // Act
    const outcome = await handleInterruption(INSTANCE, deps);

    // Assert
    expect(outcome.relaunched).toBe(key);
    expect(sent.map((item) => item.deduplicationId)).toEqual(["7-1-r1"]);
  });

  it("relaunches once when EventBridge delivers the warning twice", async () => {
    // Arrange
    const key = await waitingJob(7);
    const { deps, sent } = world();

    // Act
    const first = await handleInterruption(INSTANCE, deps);
    const second = await handleInterruption(INSTANCE, { ...deps, deregister: async () => "not-found" });

    // Assert
    expect(first.relaunched).toBe(key);
    expect(second.relaunched).toBeUndefined();
    expect(sent).toHaveLength(1);
    expect(await ledger.get(key)).toMatchObject({ phase: "received", relaunches: 1 });
    expect(await counterValues()).toEqual([0, 0, 0]);
  });

  it("does not count a finished job as running on the runner its pointer names", async () => {
    // Arrange: the runner ran job 8 to completion (its pointer stays); job 7 still waits.
    await waitingJob(7);
    await ledger.start(jobFacts(8), RUNNER, EARLIER);
    await ledger.finish(jobFacts(8), "completed", "success", EARLIER);
    const { deps } = world();

    // Act
    const outcome = await handleInterruption(INSTANCE, deps);

    // Assert
    expect(outcome.interruptedJob).toBeUndefined();
    expect((await ledger.get(jobKey(jobFacts(8))))?.interrupted).toBeUndefined();
  });

  it("deregisters an idle warm-pool runner without relaunching its synthetic job", async () => {
    // Arrange: warm jobs never see a webhook; the reconciler tops the pool up once the instance is gone.
    const warm = jobFacts(1_718_107_200_000, { kind: "warm", repository: "octo-org/*" });
    const key = await seedLaunchedJob(ledger, counters, { facts: warm, instanceId: INSTANCE, prefix: PREFIX, scopeOwner: OWNER, at: EARLIER });
    const { deps, deregistered, sent } = world();

    // Act
    const outcome = await handleInterruption(INSTANCE, deps);

    // Assert
    expect(outcome).toMatchObject({ deregistered: "deleted", relaunched: undefined });
    expect(deregistered).toHaveLength(1);
    expect(sent).toEqual([]);
    expect(await ledger.get(key)).toMatchObject({ phase: "launched", slotHeld: true });
  });

  it("marks the job but cannot deregister when the runners table has no registration id", async () => {
    // Arrange
    await ledger.start(jobFacts(8), RUNNER, EARLIER);
    const { deps, deregistered } = world({ runnerId: undefined });

    // Act
    const outcome = await handleInterruption(INSTANCE, deps);

    // Assert
    expect(outcome).toMatchObject({ interruptedJob: jobKey(jobFacts(8)), deregistered: "skipped" });
    expect(deregistered).toEqual([]);
  });

  it.each([
    { name: "another kit's instance", tags: { prefix: "other", owner: OWNER, installationId: 52103487 } },
    { name: "an instance without our tags", tags: { prefix: undefined, owner: undefined, installationId: undefined } },
    { name: "an instance EC2 no longer knows", tags: undefined },
  ])("does nothing for $name", async ({ tags }) => {
    // Arrange
    const key = await waitingJob(7);
    const { deps, deregistered, sent } = world({ tags });

    // Act
    const outcome = await handleInterruption(INSTANCE, deps);

    // Assert
    expect(outcome).toEqual({ instanceId: INSTANCE, ours: false, interruptedJob: undefined, deregistered: "skipped", relaunched: undefined });
    expect(deregistered).toEqual([]);
    expect(sent).toEqual([]);
    expect(await ledger.get(key)).toMatchObject({ phase: "launched" });
  });
});

describe("spot interruption metrics and correlation", () => {
  beforeEach(() => {
    takeEmittedMetrics();
  });

  it("counts the interruption in the instance's pool and logs with the job it was launched for, read from its tags", async () => {
    // Arrange
    const lines = captureLogLines();
    const w = world({ tags: { prefix: PREFIX, owner: OWNER, installationId: 52103487, pool: "linux", jobId: "7", deliveryId: "d-7", repository: "octo-org/example-workflow" } });

    // Act
    await handleInterruption(INSTANCE, w.deps);
    logger.info("after the interruption");

    // Assert
    expect(metricPoints("SpotInterruptions")).toEqual([expect.objectContaining({ unit: "Count", value: 1, dimensionSets: [["service"], ["service", "Pool"]], dimensions: expect.objectContaining({ Pool: "linux" }) })]);
    expect(lines().find((line) => line.message === "spot interruption handled")).toMatchObject({
      instanceId: INSTANCE,
      runnerName: RUNNER,
      pool: "linux",
      owner: OWNER,
      jobId: "7",
      deliveryId: "d-7",
      repository: "octo-org/example-workflow",
    });
    const after = lines().find((line) => line.message === "after the interruption");
    for (const key of ["instanceId", "runnerName", "pool", "jobId", "deliveryId"]) expect(after).not.toHaveProperty(key);
  });

  it("counts an interruption of an instance without a pool tag under Pool=unknown", async () => {
    // Act
    await handleInterruption(INSTANCE, world().deps);

    // Assert
    expect(metricPoints("SpotInterruptions")).toEqual([expect.objectContaining({ dimensions: expect.objectContaining({ Pool: "unknown" }) })]);
  });

  it("counts nothing for another kit's instance", async () => {
    // Act
    await handleInterruption(INSTANCE, world({ tags: { prefix: "other", owner: OWNER, installationId: 52103487 } }).deps);

    // Assert
    expect(metricPoints("SpotInterruptions")).toEqual([]);
  });
});
