import { beforeEach, describe, expect, it } from "vitest";
import { memoryWriteGovernor } from "../../../lambdas/libs/governor/memory-store.js";
import { jobFacts } from "../../../lambdas/libs/ledger/types.js";
import { jobKey } from "../../../lambdas/libs/ledger/phases.js";
import type { JobRecord } from "../../../lambdas/libs/ledger/types.js";
import type { ScaleUpDeps } from "../../../lambdas/scale-up/scale-up.js";
import { processBatch } from "../../../lambdas/scale-up/scale-up.js";
import type { JobMessage } from "../../../lambdas/shared/index.js";
import { quietPowertools } from "../../helpers/powertools.js";
import { CONFIG, NOW, QUEUE_ARN, job, record, world } from "../../helpers/scale-up-world.js";
import type { World } from "../../helpers/scale-up-world.js";

// The claim step of processBatch (scale-up.ts) where Stryker found no test (docs/reliability.md,
// "Survivors of scale-up.ts and why"): what a fresh claim, a claim after a dead attempt and a takeover of
// a kept instance carry into launch-group.ts, and a claim the ledger fails.

quietPowertools();

let w: World;

beforeEach(() => {
  w = world();
});

/** An earlier invocation's claim on `j`, 5 minutes ago and expired, optionally with the instance it launched (young enough to reuse: the boot timeout less 70 s). */
async function deadClaim(j: JobMessage, instanceId?: string): Promise<void> {
  const before = new Date(NOW.getTime() - 300_000);
  await w.deps.ledger.claim({ ...jobFacts(j), scopeOwner: j.owner }, `dead-${j.jobId}`, 60_000, before);
  if (instanceId !== undefined) await w.deps.ledger.recordInstance(jobKey(j), `dead-${j.jobId}`, instanceId, `sr-${instanceId}`, before);
}

/** The world's deps, also noting the runners-table reads and the instance each job's claim names when its JIT POST starts. */
function recording(): { deps: ScaleUpDeps; itemReads: string[]; claimInstanceAtJit: Map<string, string | undefined> } {
  const itemReads: string[] = [];
  const claimInstanceAtJit = new Map<string, string | undefined>();
  const deps: ScaleUpDeps = {
    ...w.deps,
    runnerItemExists: async (pk) => {
      itemReads.push(pk);
      return w.deps.runnerItemExists(pk);
    },
    registerRunner: async (request) => {
      const item = [...w.table.items.values()].find((i) => (i as Partial<JobRecord>).claimInstanceId === request.instanceId) as Partial<JobRecord> | undefined;
      claimInstanceAtJit.set(request.instanceId, item?.claimInstanceId);
      return w.deps.registerRunner(request);
    },
  };
  return { deps, itemReads, claimInstanceAtJit };
}

describe("processBatch: what each claim carries into the launch", () => {
  it("asks the runners table nothing for a fresh claim, and records no instance on it before the JIT POST", async () => {
    // Arrange
    const { deps, itemReads, claimInstanceAtJit } = recording();

    // Act
    const outcome = await processBatch([record(job())], deps);

    // Assert: one launch, no takeover read, the instance written once, with the launch (no extra write).
    expect(outcome.launched).toBe(1);
    expect(itemReads).toEqual([]);
    expect([...claimInstanceAtJit.values()]).toEqual([undefined]);
    expect(w.registered).toHaveLength(1);
  });

  it("records the instance on a claim that follows a dead attempt before its JIT POST", async () => {
    // Arrange: the earlier invocation died after its claim, with nothing recorded after it.
    const j = job();
    await deadClaim(j);
    const { deps, itemReads, claimInstanceAtJit } = recording();

    // Act
    const outcome = await processBatch([record(j, 2)], deps);

    // Assert: a fresh instance (nothing to take over, nothing asked of the runners table), named on the
    // claim when GitHub is asked for its configuration: dying again leaves it for the next takeover.
    expect(outcome.launched).toBe(1);
    expect(itemReads).toEqual([]);
    expect(w.launched).toHaveLength(1);
    expect(claimInstanceAtJit.get(w.launched[0]!)).toBe(w.launched[0]);
  });

  it("launches a taken-over kept instance at the write turn its job was given, not before", async () => {
    // Arrange: three jobs whose dead attempts each left an instance; 2 write tokens, one more every 2 s.
    const jobs = [job(), job(), job()];
    for (const [index, j] of jobs.entries()) await deadClaim(j, `i-0kept${index}`);
    const governed = { ...w.deps, writeGovernor: memoryWriteGovernor({ perMinute: 30, burst: 2 }), drainWriteBlocks: () => [] };

    // Act
    const outcome = await processBatch(jobs.map((j) => record(j, 2)), governed);

    // Assert: the kept instances registered, no new one; the third JIT POST waited 2 s for its turn.
    expect(outcome).toMatchObject({ launched: 3, deferred: {} });
    expect(w.launched).toEqual([]);
    expect([...w.registered].sort()).toEqual(["i-0kept0", "i-0kept1", "i-0kept2"]);
    expect(w.slept).toEqual([2_000]);
  });

  it("lets a job whose claim the ledger fails wait as a failed launch, with its back-off", async () => {
    // Arrange
    const j = job();
    const ledger = { ...w.deps.ledger, claim: async () => Promise.reject(new Error("DynamoDB 500")) };

    // Act
    const outcome = await processBatch([record(j)], { ...w.deps, ledger });

    // Assert
    expect(outcome).toMatchObject({ launched: 0, duplicates: 0, deferred: { "launch-failed": 1 } });
    expect(outcome.retry).toEqual(new Set([`msg-${j.jobId}`]));
    expect(w.launched).toEqual([]);
    expect(w.deferred.has(`rh-${j.jobId}`)).toBe(true);
  });
});

describe("processBatch: records that cannot launch", () => {
  const expiredJob = () => job({ receivedAt: new Date(NOW.getTime() - 3_601_000).toISOString() });

  it("dead-letters an unreadable message as rejected, in its own message group", async () => {
    // Arrange
    const groups: string[] = [];
    const deadLetter = w.deps.queue.deadLetter;
    const queue = { ...w.deps.queue, deadLetter: async (...args: Parameters<typeof deadLetter>) => {
      groups.push(args[1].groupId);
      return deadLetter(...args);
    } };
    const j = expiredJob();

    // Act
    const outcome = await processBatch([{ id: "msg-bad", body: "{not json", receiptHandle: "rh-bad", receiveCount: 1, queueArn: QUEUE_ARN }, record(j)], { ...w.deps, queue });

    // Assert: the unreadable one grouped by its record id, the expired one by its job.
    expect(outcome).toMatchObject({ launched: 0, deadLettered: 2 });
    expect(w.deadLettered).toEqual([{ id: "msg-bad", reason: expect.stringMatching(/^rejected: ./) }, { id: `msg-${j.jobId}`, reason: expect.stringMatching(/^expired: ./) }]);
    expect(groups).toEqual(["msg-bad", String(j.jobId)]);
  });

  it("lets an expired job wait as a failed launch when the dead-letter queue refuses it, or when no pool reads its queue", async () => {
    // Arrange
    const [refused, stray] = [expiredJob(), expiredJob()];
    const queue = { ...w.deps.queue, deadLetter: async () => Promise.reject(new Error("SQS 500")) };

    // Act
    const outcome = await processBatch([record(refused)], { ...w.deps, queue });
    const strayOutcome = await processBatch([{ ...record(stray), queueArn: "arn:aws:sqs:eu-west-1:123456789012:sr-gone.fifo" }], w.deps);

    // Assert: left on the queue (its redrive policy moves it), counted as neither dead-lettered nor launched.
    for (const [o, j] of [[outcome, refused], [strayOutcome, stray]] as const) {
      expect(o).toMatchObject({ launched: 0, deadLettered: 0, deferred: { "launch-failed": 1 } });
      expect(o.retry).toEqual(new Set([`msg-${j.jobId}`]));
    }
    expect(w.deadLettered).toEqual([]);
  });

  it("dead-letters an expired or refused job even when the ledger fails to record it", async () => {
    // Arrange
    const ledger = { ...w.deps.ledger, expire: async () => Promise.reject(new Error("DynamoDB 500")) };
    const config = { ...w.deps.config, admission: { allowedOwners: ["other-org"], allowedRepositories: [] } };

    // Act
    const expired = await processBatch([record(expiredJob())], { ...w.deps, ledger });
    const refused = await processBatch([record(job())], { ...w.deps, ledger, config });

    // Assert
    expect([expired.deadLettered, refused.deadLettered]).toEqual([1, 1]);
    expect(w.deadLettered.map((d) => d.reason)).toEqual([expect.stringMatching(/^expired: /), expect.stringMatching(/^refused: /)]);
  });

  it("records a refused job failed with the refusal as its reason", async () => {
    // Arrange
    const j = job();

    // Act
    await processBatch([record(j)], { ...w.deps, config: { ...w.deps.config, admission: { allowedOwners: ["other-org"], allowedRepositories: [] } } });

    // Assert
    expect(w.table.items.get(jobKey(j))).toMatchObject({ phase: "failed", failureReason: expect.stringMatching(/^refused: ./) });
  });

  it("launches with no shared budgets or kept turns when their read fails", async () => {
    // Act
    const outcome = await processBatch([record(job())], { ...w.deps, readBatchStart: async () => Promise.reject(new Error("DynamoDB 500")) });

    // Assert
    expect(outcome).toMatchObject({ launched: 1, deferred: {} });
  });
});

describe("processBatch: kept write turns and old messages", () => {
  it("reads kept write turns for redelivered messages only, and none without a write governor", async () => {
    // Arrange
    const asked: string[][] = [];
    const readBatchStart: ScaleUpDeps["readBatchStart"] = async (_apps, redelivered) => {
      asked.push([...redelivered]);
      return { budgets: [], turns: new Map(), lines: new Map() };
    };
    const [fresh, again] = [job(), job()];
    const governed = { ...w.deps, readBatchStart, writeGovernor: memoryWriteGovernor({ perMinute: 30, burst: 5 }), drainWriteBlocks: () => [] };

    // Act
    await processBatch([record(fresh), record(again, 2)], governed);
    await processBatch([record(job(), 2)], { ...w.deps, readBatchStart });

    // Assert
    expect(asked).toEqual([[`msg-${again.jobId}`], []]);
  });

  it("gives an old message's job back as a failed launch when the ledger cannot record that GitHub started it", async () => {
    // Arrange: GitHub reports the job running; recording that fails.
    const j = job({ receivedAt: new Date(NOW.getTime() - (CONFIG.stillQueuedGraceSeconds + 1) * 1000).toISOString() });
    w.jobStates.set(j.jobId, { status: "in_progress", conclusion: null, runnerName: "someone-else" });
    const ledger = { ...w.deps.ledger, start: async () => Promise.reject(new Error("DynamoDB 500")) };

    // Act
    const outcome = await processBatch([record(j)], { ...w.deps, ledger });

    // Assert: neither launched nor settled; it waits, its claim released.
    expect(outcome).toMatchObject({ launched: 0, noLongerQueued: 0, deferred: { "launch-failed": 1 } });
    expect(w.launched).toEqual([]);
    const item = w.table.items.get(jobKey(j)) as Partial<JobRecord>;
    expect(item).toMatchObject({ phase: "received" });
    expect(item.events?.at(-1)).toMatchObject({ what: "released", detail: "ledger unavailable" });
  });

  it("spreads the JIT configs of a batch over the primary and the additional Apps", async () => {
    // Arrange
    const apps: number[] = [];
    const config = { ...CONFIG, app: { ...CONFIG.app, additionalApps: [{ appId: 654321, privateKeyParameter: "/sr/second-key" }] } };
    const deps: ScaleUpDeps = { ...w.deps, config, registerRunner: async (request) => {
      apps.push(request.appId);
      return w.deps.registerRunner(request);
    } };

    // Act
    const outcome = await processBatch([record(job()), record(job())], deps);

    // Assert
    expect(outcome).toMatchObject({ launched: 2, deferred: {} });
    expect(apps.sort()).toEqual([123456, 654321]);
  });
});
