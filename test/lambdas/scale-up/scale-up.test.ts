import type { JobRecord } from "../../../lambdas/libs/ledger/types.js";
import { beforeEach, describe, expect, it } from "vitest";
import { memoryWriteGovernor } from "../../../lambdas/libs/governor/memory-store.js";
import type { MemoryItem } from "../../../lambdas/libs/ledger/memory-store.js";
import { jobKey, limitKeys } from "../../../lambdas/libs/ledger/phases.js";
import type { RunnerItem } from "../../../lambdas/scale-up/adapters/runners-table.js";
import type { ScaleUpPool } from "../../../lambdas/scale-up/config.js";
import { processBatch } from "../../../lambdas/scale-up/scale-up.js";
import { instanceArnPrefix } from "../../../lambdas/scale-up/scale-up.lambda.js";
import { logger } from "../../../lambdas/shared/index.js";
import type { JobMessage } from "../../../lambdas/shared/index.js";
import { JIT_CONTEXT_KEY, SEALED_PREFIX } from "../../../lambdas/scale-up/jit-seal.js";
import { captureLogLines, metricPoints, quietPowertools, takeEmittedMetrics } from "../../helpers/powertools.js";
import { CONFIG, NOW, inUse, jitOf, job, record, world } from "../../helpers/scale-up-world.js";
import type { World } from "../../helpers/scale-up-world.js";

// processBatch called directly with memory ports: the memory ledger, counters and budgets (their
// contract is the DynamoDB store's), an EC2 fleet, a GitHub registrar, a runners table and a queue
// that record what they are asked, and a fake clock. No dynalite, no SDK doubles:
// scale-up.lambda.test.ts keeps the wiring and the SDK-level details (CreateFleet input, fallback).

quietPowertools();

let w: World;

beforeEach(() => {
  w = world();
});

describe("processBatch with memory ports", () => {
  it("launches one runner per job, configures it and records the job launched holding its slots", async () => {
    // Arrange
    const jobs = [job(), job()];

    // Act
    const outcome = await processBatch(jobs.map((j) => record(j)), w.deps);

    // Assert
    expect(outcome).toMatchObject({ launched: 2, duplicates: 0, deadLettered: 0 });
    expect(outcome.retry.size).toBe(0);
    expect(w.registered).toEqual(w.launched);
    expect(w.runnerItems.map((item) => item.jobKey).sort()).toEqual(jobs.map((j) => jobKey(j)).sort());
    for (const j of jobs) expect(w.table.items.get(jobKey(j))).toMatchObject({ phase: "launched", slotHeld: true, runnerWritten: true });
    const keys = limitKeys("linux", "octo-org");
    expect([inUse(w, keys.global), inUse(w, keys.pool), inUse(w, keys.owner)]).toEqual([2, 2, 2]);
  });

  it("settles a redelivered message of a launched job as a duplicate, launching nothing", async () => {
    // Arrange
    const j = job();
    await processBatch([record(j)], w.deps);

    // Act
    const again = await processBatch([record(j, 2)], w.deps);

    // Assert
    expect(again).toMatchObject({ launched: 0, duplicates: 1 });
    expect(again.retry.size).toBe(0);
    expect(w.launched).toHaveLength(1);
  });

  it("launches a job once when 20 invocations get its message at the same moment", async () => {
    // Arrange
    const j = job();

    // Act
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => processBatch([record(j)], w.deps)));

    // Assert
    expect(outcomes.reduce((sum, o) => sum + o.launched, 0)).toBe(1);
    expect(w.launched).toHaveLength(1);
  });

  it("launches up to the pool's limit and defers the rest with back-off", async () => {
    // Arrange
    const jobs = [job(), job(), job(), job()];

    // Act
    const outcome = await processBatch(jobs.map((j) => record(j)), w.deps);

    // Assert
    expect(outcome.launched).toBe(3);
    expect([...outcome.retry]).toEqual([`msg-${jobs[3]!.jobId}`]);
    expect(w.deferred.get(`rh-${jobs[3]!.jobId}`)).toBeGreaterThan(0);
    expect(w.table.items.get(jobKey(jobs[3]!))).toMatchObject({ phase: "received" });
  });

  it("launches nothing while draining and lets every record wait", async () => {
    // Arrange
    w.draining = true;
    const jobs = [job(), job()];

    // Act
    const outcome = await processBatch(jobs.map((j) => record(j)), w.deps);

    // Assert
    expect(outcome.launched).toBe(0);
    expect(outcome.retry.size).toBe(2);
    expect(w.launched).toEqual([]);
  });

  it("fails when the JIT registration fails: that instance is terminated, its slots given back, its job waits", async () => {
    // Arrange
    const j = job();
    w.failRegistration.add("i-00000000000000001");

    // Act
    const outcome = await processBatch([record(j)], w.deps);

    // Assert
    expect(outcome.launched).toBe(0);
    expect([...outcome.retry]).toEqual([`msg-${j.jobId}`]);
    expect(w.terminated).toEqual(["i-00000000000000001"]);
    expect(w.table.items.get(jobKey(j))).toMatchObject({ phase: "received" });
    expect(inUse(w, limitKeys("linux", "octo-org").global)).toBe(0);
  });

  it("stores each JIT configuration sealed for its own instance: only that instance's ARN as context opens it", async () => {
    // Arrange
    const jobs = [job(), job()];

    // Act
    await processBatch(jobs.map((j) => record(j)), w.deps);

    // Assert
    expect(w.runnerItems).toHaveLength(2);
    const [first, second] = w.runnerItems as [RunnerItem, RunnerItem];
    for (const item of w.runnerItems) {
      expect(item.jitConfig.startsWith(SEALED_PREFIX)).toBe(true);
      expect(item.jitConfig).not.toContain(jitOf(item.instanceId));
      const ciphertext = Buffer.from(item.jitConfig.slice(SEALED_PREFIX.length), "base64");
      expect(w.kms.decrypt(ciphertext, { [JIT_CONTEXT_KEY]: item.pk }).toString("base64")).toBe(jitOf(item.instanceId));
    }
    expect(() => w.kms.decrypt(Buffer.from(first.jitConfig.slice(SEALED_PREFIX.length), "base64"), { [JIT_CONTEXT_KEY]: second.pk })).toThrow("InvalidCiphertextException");
  });

  it("terminates an instance whose configuration cannot be sealed and lets its job wait, writing no unsealed item", async () => {
    // Arrange
    const j = job();
    w.failSeal.add("i-00000000000000001");

    // Act
    const outcome = await processBatch([record(j)], w.deps);

    // Assert
    expect(outcome.launched).toBe(0);
    expect([...outcome.retry]).toEqual([`msg-${j.jobId}`]);
    expect(w.runnerItems).toEqual([]);
    expect(w.terminated).toEqual(["i-00000000000000001"]);
    expect(inUse(w, limitKeys("linux", "octo-org").global)).toBe(0);
  });

  it("moves a job older than the maximum age to the dead-letter queue and records it failed", async () => {
    // Arrange
    const j = job({ receivedAt: new Date(NOW.getTime() - 3_601_000).toISOString() });

    // Act
    const outcome = await processBatch([record(j)], w.deps);

    // Assert
    expect(outcome).toMatchObject({ launched: 0, deadLettered: 1 });
    expect(w.deadLettered.map((d) => d.reason)).toEqual([expect.stringMatching(/^expired: job waited 3601 s/)]);
    expect(w.table.items.get(jobKey(j))).toMatchObject({ phase: "failed" });
  });

  it("launches only the jobs the shared GitHub write bucket has tokens for; the others wait for theirs, unclaimed", async () => {
    // Arrange: 2 tokens, one more every 10 s (6 a minute): the third is further away than a wait in the invocation.
    const governor = memoryWriteGovernor({ perMinute: 6, burst: 2 });
    const governed = { ...w.deps, writeGovernor: governor, drainWriteBlocks: () => [] };
    const jobs = [job(), job(), job()];

    // Act
    const outcome = await processBatch(jobs.map((j) => record(j)), governed);

    // Assert: the third job was never claimed; its message keeps its turn and comes back at it.
    expect(outcome.launched).toBe(2);
    expect(outcome.deferred).toEqual({ "write-rate": 1 });
    expect(w.registered).toHaveLength(2);
    expect(w.deferred.get(`rh-${jobs[2]!.jobId}`)).toBe(10);
    expect(w.table.items.get(jobKey(jobs[2]!))).toBeUndefined();
    expect(await governor.keptTurns([`msg-${jobs[2]!.jobId}`])).toEqual(new Map([[`msg-${jobs[2]!.jobId}`, { appId: CONFIG.app.appId, at: NOW.getTime() + 10_000 }]]));
    expect(w.slept).toEqual([]);
  });

  it("waits inside the invocation for a write turn a few seconds away: claimed once, its JIT POST after the wait, no visibility change", async () => {
    // Arrange: 2 tokens, one more every 2 s (30 a minute).
    const governed = { ...w.deps, writeGovernor: memoryWriteGovernor({ perMinute: 30, burst: 2 }), drainWriteBlocks: () => [] };
    const jobs = [job(), job(), job()];

    // Act
    const outcome = await processBatch(jobs.map((j) => record(j)), governed);

    // Assert: all three launch; the third slept 2 s (its instance booting meanwhile) before its JIT POST.
    expect(outcome).toMatchObject({ launched: 3, deferred: {} });
    expect(w.registered).toHaveLength(3);
    expect(w.slept).toEqual([2_000]);
    expect(w.deferCalls).toBe(0);
    expect((w.table.items.get(jobKey(jobs[2]!)) as JobRecord | undefined)?.events?.filter((e) => e.what === "claimed")).toHaveLength(1);
  });

  it("claims nothing for jobs beyond the GitHub budget: they wait for the reset unclaimed", async () => {
    // Arrange: 101 requests left with 100 kept in reserve: one JIT config may go.
    const budgeted = { ...w.deps, budgets: { load: async () => [{ appId: CONFIG.app.appId, installationId: 1, remaining: CONFIG.gitHubMinRemaining + 1, limit: 5000, resetAt: NOW.getTime() / 1000 + 600, observedAt: NOW.toISOString() }], save: async () => undefined } };
    const jobs = [job(), job()];

    // Act
    const outcome = await processBatch(jobs.map((j) => record(j)), budgeted);

    // Assert
    expect(outcome).toMatchObject({ launched: 1, deferred: { budget: 1 } });
    expect(w.table.items.get(jobKey(jobs[1]!))).toBeUndefined();
  });

  it("sets the visibility of every waiting record of a batch with one call per 10 records", async () => {
    // Arrange: 1 token for 7 jobs (one more every 10 s): 6 wait for their turns.
    const governed = { ...w.deps, writeGovernor: memoryWriteGovernor({ perMinute: 6, burst: 1 }), drainWriteBlocks: () => [] };
    const jobs = Array.from({ length: 7 }, () => job());

    // Act
    const outcome = await processBatch(jobs.map((j) => record(j)), governed);

    // Assert: each record its own visibility (its turn), all in one call.
    expect(outcome.deferred).toEqual({ "write-rate": 6 });
    expect(w.deferCalls).toBe(1);
    expect(jobs.slice(1).map((j) => w.deferred.get(`rh-${j.jobId}`))).toEqual([10, 20, 30, 40, 50, 60]);
  });

  it("launches a job back at its kept write turn without a new reservation", async () => {
    // Arrange: the third job of a batch waits on the queue for the token due in 10 s.
    const governor = memoryWriteGovernor({ perMinute: 6, burst: 2 });
    const governed = { ...w.deps, writeGovernor: governor, drainWriteBlocks: () => [] };
    const jobs = [job(), job(), job()];
    await processBatch(jobs.map((j) => record(j)), governed);
    const atTurn = new Date(NOW.getTime() + 10_500);

    // Act: it comes back half a second after its turn.
    const outcome = await processBatch([record(jobs[2]!, 2)], { ...governed, now: () => atTurn });

    // Assert: launched on its turn; the bucket's next token is still the one after it (due at 20 s).
    expect(outcome.launched).toBe(1);
    expect(w.registered).toHaveLength(3);
    expect(w.table.items.get(jobKey(jobs[2]!))).toMatchObject({ phase: "launched" });
    expect(await governor.reserve(CONFIG.app.appId, 1, atTurn.getTime())).toEqual([NOW.getTime() + 20_000]);
  });
});

describe("processBatch admission (issue 18, finding 5: checked again before launching)", () => {
  beforeEach(() => {
    takeEmittedMetrics();
  });

  it.each([
    { name: "an owner not in allowed_owners", admission: { allowedOwners: ["other-org"], allowedRepositories: [] }, visibility: "private" as const, reason: "owner" },
    { name: "a repository not in allowed_repositories", admission: { allowedOwners: [], allowedRepositories: ["octo-org/other"] }, visibility: "private" as const, reason: "repository" },
    { name: "a public repository on a pool without allow_public_repositories", admission: { allowedOwners: [], allowedRepositories: [] }, visibility: "public" as const, reason: "visibility" },
  ])("fails for $name: dead-lettered with the reason, marked failed, nothing launched or registered", async ({ admission, visibility, reason }) => {
    // Arrange
    const j = job({ visibility });

    // Act
    const outcome = await processBatch([record(j)], { ...w.deps, config: { ...CONFIG, admission } });

    // Assert
    expect(outcome).toMatchObject({ launched: 0, deadLettered: 1 });
    expect(w.launched).toEqual([]);
    expect(w.registered).toEqual([]);
    expect(w.deadLettered.map((d) => d.reason)).toEqual([expect.stringMatching(/^refused: /)]);
    expect(w.table.items.get(jobKey(j))).toMatchObject({ phase: "failed" });
    expect(metricPoints().filter((point) => point.name === "JobsRefused")).toEqual([expect.objectContaining({ value: 1, dimensions: expect.objectContaining({ Pool: "linux", Reason: reason }) })]);
  });

  it("launches allowed owners' jobs, and public repositories' on a pool that opts in", async () => {
    // Arrange
    const pools = { linux: { ...(CONFIG.pools.linux as ScaleUpPool), allowPublicRepositories: true } };
    const config = { ...CONFIG, pools, admission: { allowedOwners: ["OCTO-ORG"], allowedRepositories: ["octo-org/example-workflow"] } };

    // Act
    const outcome = await processBatch([record(job({ visibility: "public" })), record(job({ visibility: "private" }))], { ...w.deps, config });

    // Assert
    expect(outcome).toMatchObject({ launched: 2, deadLettered: 0 });
  });
});

describe("scale-up metrics and correlation", () => {
  beforeEach(() => {
    takeEmittedMetrics();
  });

  const points = (name: string) => metricPoints().filter((point) => point.name === name);

  it("emits JobsDispatched, DispatchLatency and RunnersLaunched by market for a launched job, and tags its instance with the job", async () => {
    // Arrange
    const j = job({ receivedAt: new Date(NOW.getTime() - 30_000).toISOString() });
    const requested: unknown[] = [];
    const launch = w.deps.fleet.launch;
    w.deps.fleet.launch = async (request) => {
      requested.push(...request.jobs);
      return launch(request);
    };

    // Act
    await processBatch([record(j)], w.deps);

    // Assert
    const emitted = metricPoints();
    const of = (name: string) => emitted.filter((point) => point.name === name);
    expect(of("JobsDispatched")).toEqual([expect.objectContaining({ unit: "Count", value: 1, dimensions: expect.objectContaining({ Pool: "linux" }) })]);
    expect(of("DispatchLatency")).toEqual([expect.objectContaining({ unit: "Seconds", value: 30, dimensionSets: [["service"], ["service", "Pool"]] })]);
    expect(of("RunnersLaunched")).toEqual([
      expect.objectContaining({ unit: "Count", value: 1, dimensionSets: [["service"], ["service", "Pool"], ["service", "Pool", "Market"]], dimensions: expect.objectContaining({ Pool: "linux", Market: "on-demand" }) }),
    ]);
    expect(requested).toEqual([expect.objectContaining({ jobId: j.jobId, deliveryId: j.deliveryId, repository: j.repository })]);
  });

  it("emits JobsDeferred with Pool and Reason for jobs over the pool's limit", async () => {
    // Act
    await processBatch([job(), job(), job(), job()].map((j) => record(j)), w.deps);

    // Assert
    expect(points("JobsDeferred")).toEqual([
      expect.objectContaining({ unit: "Count", value: 1, dimensionSets: [["service"], ["service", "Pool", "Reason"]], dimensions: expect.objectContaining({ Pool: "linux", Reason: "limit" }) }),
    ]);
  });

  it("counts an expired job as dead-lettered and as a failed dispatch, per pool", async () => {
    // Arrange
    const old = job({ receivedAt: new Date(NOW.getTime() - 3601_000).toISOString() });

    // Act
    await processBatch([record(old)], w.deps);

    // Assert
    const emitted = metricPoints();
    for (const name of ["JobsDeadLettered", "JobsDispatchFailed"]) {
      expect(emitted.filter((point) => point.name === name)).toEqual([expect.objectContaining({ value: 1, dimensions: expect.objectContaining({ Pool: "linux" }) })]);
    }
    expect(emitted.map((point) => point.name)).not.toContain("JobsDispatched");
  });

  it("logs a failed registration with the job's and the instance's correlation keys, and none of them after the batch", async () => {
    // Arrange
    const lines = captureLogLines();
    const j = job();
    w.failRegistration.add("i-00000000000000001");

    // Act
    await processBatch([record(j)], w.deps);
    logger.info("after the batch");

    // Assert
    expect(lines().find((line) => line.message === "runner registration failed")).toMatchObject({
      deliveryId: j.deliveryId,
      jobId: j.jobId,
      runAttempt: 1,
      pool: "linux",
      owner: "octo-org",
      repository: j.repository,
      instanceId: "i-00000000000000001",
      runnerName: "sr-i-00000000000000001",
    });
    const after = lines().find((line) => line.message === "after the batch");
    for (const key of ["deliveryId", "jobId", "instanceId", "runnerName", "pool"]) expect(after).not.toHaveProperty(key);
  });
});

describe("processBatch confirms an old message's job is still queued (issue 18, finding 9)", () => {
  beforeEach(() => {
    takeEmittedMetrics();
  });

  const old = (overrides: Partial<JobMessage> = {}) => job({ receivedAt: new Date(NOW.getTime() - (CONFIG.stillQueuedGraceSeconds + 1) * 1000).toISOString(), ...overrides });

  it("launches nothing for an old message whose job is in_progress: ledger settled running, message deleted, JobsNoLongerQueued", async () => {
    // Arrange
    const j = old();
    w.jobStates.set(j.jobId, { status: "in_progress", conclusion: null, runnerName: "someone-else" });

    // Act
    const outcome = await processBatch([record(j)], w.deps);

    // Assert
    expect(w.lookedUp).toEqual([j.jobId]);
    expect(outcome).toMatchObject({ launched: 0, noLongerQueued: 1, deadLettered: 0 });
    expect(outcome.retry.size).toBe(0);
    expect(w.launched).toEqual([]);
    expect(w.registered).toEqual([]);
    expect(w.table.items.get(jobKey(j))).toMatchObject({ phase: "running", ranOn: "someone-else" });
    expect(inUse(w, limitKeys("linux", j.owner).global)).toBe(0);
    expect(metricPoints().filter((point) => point.name === "JobsNoLongerQueued")).toEqual([
      expect.objectContaining({ unit: "Count", value: 1, dimensions: expect.objectContaining({ Pool: "linux" }) }),
    ]);
  });

  it("settles an old message whose job completed with its conclusion, and one GitHub no longer knows (404) as failed", async () => {
    // Arrange
    const done = old();
    const gone = old();
    w.jobStates.set(done.jobId, { status: "completed", conclusion: "cancelled", runnerName: null });
    w.jobStates.set(gone.jobId, "404");

    // Act
    const outcome = await processBatch([record(done), record(gone)], w.deps);

    // Assert
    expect(outcome).toMatchObject({ launched: 0, noLongerQueued: 2 });
    expect(outcome.retry.size).toBe(0);
    expect(w.launched).toEqual([]);
    expect(w.table.items.get(jobKey(done))).toMatchObject({ phase: "cancelled" });
    expect(w.table.items.get(jobKey(gone))).toMatchObject({ phase: "failed", failureReason: expect.stringMatching(/404/) });
  });

  it("launches an old message whose job is still queued, and asks GitHub nothing about a fresh one", async () => {
    // Arrange
    const waiting = old();
    const fresh = job({ receivedAt: new Date(NOW.getTime() - (CONFIG.stillQueuedGraceSeconds - 1) * 1000).toISOString() });

    // Act
    const outcome = await processBatch([record(waiting), record(fresh)], w.deps);

    // Assert
    expect(w.lookedUp).toEqual([waiting.jobId]);
    expect(outcome).toMatchObject({ launched: 2, noLongerQueued: 0 });
    expect(w.launched).toHaveLength(2);
  });

  it("asks only about the jobs granted limit slots: a message waiting for a limit costs no GitHub call", async () => {
    // Arrange: the pool holds 3 runners
    const jobs = [old(), old(), old(), old()];

    // Act
    const outcome = await processBatch(jobs.map((j) => record(j)), w.deps);

    // Assert
    expect(outcome).toMatchObject({ launched: 3, deferred: { limit: 1 } });
    expect(w.lookedUp).toEqual(jobs.slice(0, 3).map((j) => j.jobId));
  });

  it("gives back the limit slots of a job settled as no longer queued, so the next job of the batch gets one", async () => {
    // Arrange: 4 jobs on a pool of 3; the first has started elsewhere
    const jobs = [old(), old(), old(), old()];
    w.jobStates.set(jobs[0]!.jobId, { status: "in_progress", conclusion: null, runnerName: "someone-else" });

    // Act
    const outcome = await processBatch(jobs.map((j) => record(j)), w.deps);

    // Assert: slots 3 - 1 settled = 2 runners now; the settled slot is free again for the waiting one
    expect(outcome).toMatchObject({ launched: 2, noLongerQueued: 1, deferred: { limit: 1 } });
    expect(inUse(w, limitKeys("linux", jobs[0]!.owner).pool)).toBe(2);
  });

  it("launches anyway when GitHub fails to answer (availability over thrift) and logs it", async () => {
    // Arrange
    const j = old();
    w.jobStates.set(j.jobId, "error");
    const lines = captureLogLines();

    // Act
    const outcome = await processBatch([record(j)], w.deps);

    // Assert
    expect(outcome).toMatchObject({ launched: 1, noLongerQueued: 0 });
    expect(w.table.items.get(jobKey(j))).toMatchObject({ phase: "launched" });
    expect(lines().find((line) => line.message === "confirming the job is still queued failed; launching anyway")).toMatchObject({ level: "WARN", jobId: j.jobId });
    expect(metricPoints().map((point) => point.name)).not.toContain("JobsNoLongerQueued");
  });
});

// Written against Stryker's survivors of scale-up.ts (docs/reliability.md, "Survivors of scale-up's
// budget-share.ts, launch-group.ts and scale-up.ts and why"): paths only the handler suite reached.
describe("processBatch: claims, shared budgets and the instance ARN", () => {
  it("derives the instance ARN prefix from the function's ARN, and refuses an ARN it cannot read", () => {
    expect(instanceArnPrefix("arn:aws-cn:lambda:cn-north-1:123456789012:function:sr-scale-up")).toBe("arn:aws-cn:ec2:cn-north-1:123456789012:instance/");
    for (const arn of ["urn:aws:lambda:eu-west-1:123456789012:function:x", "arn::lambda:eu-west-1:123456789012:function:x", "arn:aws:lambda::123456789012:function:x", "arn:aws:lambda:eu-west-1::function:x"]) {
      expect(() => instanceArnPrefix(arn), arn).toThrow(`cannot derive the instance ARN from function ARN ${arn}`);
    }
  });

  it("takes over an expired claim: adopts its runner when the item was written, registers its kept instance otherwise", async () => {
    // Arrange: three jobs whose earlier invocations died after recording an instance, 5 minutes ago
    // (young enough to reuse under the 600-s boot timeout).
    const before = new Date(NOW.getTime() - 300_000);
    const [adopted, flagged, reused] = [job(), job(), job()];
    for (const [j, instanceId] of [[adopted, "i-0adopted"], [flagged, "i-0flagged"], [reused, "i-0reused"]] as const) {
      await w.deps.ledger.claim({ jobId: j.jobId, runAttempt: j.runAttempt, runId: j.runId, repository: j.repository, org: j.owner, pool: j.pool, installationId: j.installationId, labels: j.labels, kind: "job", scopeOwner: j.owner }, `dead-${j.jobId}`, 60_000, before);
      await w.deps.ledger.recordInstance(jobKey(j), `dead-${j.jobId}`, instanceId, `sr-${instanceId}`, before);
    }
    w.runnerItems.push({ pk: `${w.deps.instanceArnPrefix}i-0adopted` } as RunnerItem);
    // The ledger already knows this one's item was written: the runners table is not asked.
    w.table.items.set(jobKey(flagged), { ...(w.table.items.get(jobKey(flagged)) as MemoryItem), runnerWritten: true });

    // Act
    const outcome = await processBatch([record(adopted, 2), record(flagged, 2), record(reused, 2)], w.deps);

    // Assert: nothing new launched; the kept instance got its runner; both jobs launched.
    expect(outcome).toMatchObject({ launched: 3, duplicates: 0 });
    expect(w.launched).toEqual([]);
    expect(w.registered).toEqual(["i-0reused"]);
    expect(w.table.items.get(jobKey(adopted))).toMatchObject({ phase: "launched" });
    expect(w.table.items.get(jobKey(flagged))).toMatchObject({ phase: "launched" });
    expect(w.table.items.get(jobKey(reused))).toMatchObject({ phase: "launched", instanceId: "i-0reused" });
  });

  it("reuses a young kept instance and replaces an old one in the same group, the replacement on the old one's slots", async () => {
    // Arrange: two kept instances of one owner, one 5 minutes old, one 20 (past the 600-s boot
    // timeout); the old one comes first in the batch; each holds one slot.
    const [old, young] = [job(), job()];
    for (const [j, instanceId, ageMs] of [[old, "i-0old", 1_200_000], [young, "i-0young", 300_000]] as const) {
      const at = new Date(NOW.getTime() - ageMs);
      await w.deps.ledger.claim({ jobId: j.jobId, runAttempt: j.runAttempt, runId: j.runId, repository: j.repository, org: j.owner, pool: j.pool, installationId: j.installationId, labels: j.labels, kind: "job", scopeOwner: j.owner }, `kept-${j.jobId}`, 60_000, at);
      await w.deps.ledger.recordInstance(jobKey(j), `kept-${j.jobId}`, instanceId, `sr-${instanceId}`, at);
    }
    const keys = limitKeys(old.pool, old.owner);
    for (const key of [keys.global, keys.pool, keys.owner]) await w.deps.counters.reserve(key, 2, 100);

    // Act
    const outcome = await processBatch([record(old, 2), record(young, 2)], w.deps);

    // Assert: the old instance ended, one launched in its place; the young one registered as it is.
    expect(outcome).toMatchObject({ launched: 2 });
    expect(w.terminated).toEqual(["i-0old"]);
    expect(w.launched).toHaveLength(1);
    expect(w.registered.sort()).toEqual([w.launched[0], "i-0young"].sort());
    expect(w.table.items.get(jobKey(young))).toMatchObject({ phase: "launched", instanceId: "i-0young" });
    expect(w.table.items.get(jobKey(old))).toMatchObject({ phase: "launched", instanceId: w.launched[0] });
    expect(inUse(w, keys.global)).toBe(2);
    expect(inUse(w, keys.owner)).toBe(2);
  });

  it("lets a job wait, neither launched nor a duplicate, while another invocation's claim on it is live", async () => {
    const j = job();
    await w.deps.ledger.claim({ jobId: j.jobId, runAttempt: j.runAttempt, runId: j.runId, repository: j.repository, org: j.owner, pool: j.pool, installationId: j.installationId, labels: j.labels, kind: "job", scopeOwner: j.owner }, "other-invocation", 60_000, NOW);

    const outcome = await processBatch([record(j)], w.deps);

    expect(outcome).toMatchObject({ launched: 0, duplicates: 0, deferred: { "in-flight": 1 } });
    expect(w.table.items.get(jobKey(j))).toMatchObject({ phase: "launching", claimToken: "other-invocation" });
  });

  it("keeps an out-of-time job's claim for the lease and brings its message back just after the lease ends", async () => {
    const j = job();

    const outcome = await processBatch([record(j)], { ...w.deps, remainingMs: () => 1_000 });

    expect(outcome.deferred).toEqual({ "out-of-time": 1 });
    expect(w.table.items.get(jobKey(j))).toMatchObject({ phase: "launching", claimExpiresAt: NOW.getTime() + CONFIG.claimLeaseSeconds * 1000 });
    expect(w.deferred.get(`rh-${j.jobId}`)).toBe(CONFIG.claimLeaseSeconds + 1);
  });

  it("gives the pool's slots to the oldest records of the batch even when their claims settle last", async () => {
    // Arrange: the first job's claim answers after the others'; the pool has 3 slots for 4 jobs.
    const jobs = [job(), job(), job(), job()];
    const claim = w.deps.ledger.claim.bind(w.deps.ledger);
    const ledger = { ...w.deps.ledger, claim: async (...args: Parameters<typeof claim>) => {
      if (args[0].jobId === jobs[0]?.jobId) await new Promise((resolve) => setTimeout(resolve, 20));
      return claim(...args);
    } };

    const outcome = await processBatch(jobs.map((j) => record(j)), { ...w.deps, ledger });

    expect(outcome).toMatchObject({ launched: 3, deferred: { limit: 1 } });
    expect(w.table.items.get(jobKey(jobs[0]!))).toMatchObject({ phase: "launched" });
    expect(outcome.retry).toEqual(new Set([`msg-${jobs[3]?.jobId}`]));
  });

  it("shares an observed budget near the reserve with the other environments, and keeps one far above it to itself", async () => {
    const observation = (remaining: number) => ({ appId: CONFIG.app.appId, installationId: 1, remaining, limit: 5000, resetAt: NOW.getTime() / 1000 + 600, observedAt: NOW.toISOString() });
    const far = await processBatch([record(job())], { ...w.deps, observedBudgets: () => [observation(4900)] });
    expect(far.launched).toBe(1);
    expect(await w.deps.budgets.load([CONFIG.app.appId])).toEqual([]);

    await processBatch([record(job())], { ...w.deps, observedBudgets: () => [observation(CONFIG.gitHubMinRemaining + 50)] });

    expect(await w.deps.budgets.load([CONFIG.app.appId])).toEqual([observation(CONFIG.gitHubMinRemaining + 50)]);
  });

  it("corrects an older shared record near the reserve with a newer observation far above it", async () => {
    const resetAt = NOW.getTime() / 1000 + 600;
    await w.deps.budgets.save([{ appId: CONFIG.app.appId, installationId: 1, remaining: CONFIG.gitHubMinRemaining + 50, limit: 5000, resetAt, observedAt: new Date(NOW.getTime() - 60_000).toISOString() }]);
    const far = { appId: CONFIG.app.appId, installationId: 1, remaining: 4900, limit: 5000, resetAt, observedAt: NOW.toISOString() };

    await processBatch([record(job())], { ...w.deps, observedBudgets: () => [far] });

    expect(await w.deps.budgets.load([CONFIG.app.appId])).toEqual([far]);
  });
});
