import { beforeEach, describe, expect, it } from "vitest";
import { memoryWriteGovernor } from "../../../lambdas/libs/governor/memory-store.js";
import { jobKey } from "../../../lambdas/libs/ledger/phases.js";
import type { JobRecord } from "../../../lambdas/libs/ledger/types.js";
import type { ScaleUpDeps } from "../../../lambdas/scale-up/scale-up.js";
import { processBatch } from "../../../lambdas/scale-up/scale-up.js";
import type { JobMessage } from "../../../lambdas/shared/index.js";
import { quietPowertools } from "../../helpers/powertools.js";
import { NOW, job, record, world } from "../../helpers/scale-up-world.js";
import type { World } from "../../helpers/scale-up-world.js";

// The claim step of processBatch (scale-up.ts) where Stryker found no test (docs/reliability.md,
// "Survivors of scale-up.ts and why"): what a fresh claim, a claim after a dead attempt and a takeover of
// a kept instance carry into launch-group.ts, and a claim the ledger fails.

quietPowertools();

let w: World;

beforeEach(() => {
  w = world();
});

/** An earlier invocation's claim on `j`, 10 minutes ago and long expired, optionally with its instance. */
async function deadClaim(j: JobMessage, instanceId?: string): Promise<void> {
  const before = new Date(NOW.getTime() - 600_000);
  await w.deps.ledger.claim({ jobId: j.jobId, runAttempt: j.runAttempt, runId: j.runId, repository: j.repository, org: j.owner, pool: j.pool, installationId: j.installationId, labels: j.labels, kind: "job", scopeOwner: j.owner }, `dead-${j.jobId}`, 60_000, before);
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
