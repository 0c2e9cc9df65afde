import { describe, expect, it } from "vitest";
import { jobKey } from "../../../lambdas/libs/ledger/phases.js";
import { reconcileJobs } from "../../../lambdas/reconcile/job-actions.js";
import { jobFacts, seedLaunchedJob } from "../../helpers/ledger.js";
import { quietPowertools } from "../../helpers/powertools.js";
import { JOBS_INSTALLATION as INSTALLATION, JOBS_OWNER as OWNER, JOBS_START as START, jobsHarness as harness, jobsRecord as record, jobsRunner as runner, snapshotOf } from "../../helpers/reconcile-jobs.js";

// The job half of the reconciler called directly (reconcile.test.ts runs it inside a whole round, where
// the slot release of the same round hides the relaunch's own release, and no warm pool is set).
// job-actions.mutants.test.ts holds the cases mutation testing asked for.

quietPowertools();

describe("reconcileJobs: warm pools", () => {
  const warmPools = { linux: { size: 6, owner: OWNER, schedule: "" } };

  it("counts as ready only idle, running runners of the pool and owner, and warm requests on their way as pending", async () => {
    // Arrange: 1 ready runner; busy (GitHub or ledger), stopping and stopped ones; another owner's;
    // 2 warm requests on their way (received, launching); a launched warm job and an ordinary job waiting.
    const h = harness({ warmPools });
    const instances = [
      runner("i-ready"),
      runner("i-busy-github"),
      runner("i-busy-ledger"),
      runner("i-stopping", { state: "stopping" }),
      runner("i-stopped", { state: "stopped" }),
      runner("i-other-owner", { owner: "other-org" }),
    ];
    const registrations = new Map([[OWNER, [{ name: "sr-i-busy-github", busy: true }, { name: "sr-i-ready", busy: false }]]]);
    const snapshot = snapshotOf([
      record("job#10", { phase: "running", ranOn: "sr-i-busy-ledger", pool: "linux", scopeOwner: OWNER }),
      record("warm#11", { kind: "warm", phase: "received", pool: "linux", scopeOwner: OWNER }),
      record("warm#12", { kind: "warm", phase: "launching", pool: "linux", scopeOwner: OWNER, claimExpiresAt: START + 60_000 }),
      record("warm#13", { kind: "warm", phase: "launched", pool: "linux", scopeOwner: OWNER }),
      record("job#14", { phase: "received", pool: "linux", scopeOwner: OWNER }),
    ]);

    // Act
    const summary = await h.run(instances, registrations, snapshot);

    // Assert: 6 wanted, 1 ready, 2 pending.
    expect(summary.warmRequested).toBe(3);
    expect(h.sent).toHaveLength(3);
  });

  it("asks for the shortfall with warm messages of distinct ids from the round's second, for an organization", async () => {
    // Arrange: a clock 123 ms past the second.
    const h = harness({ warmPools: { linux: { size: 2, owner: OWNER, schedule: "" } } }, START + 123);

    // Act
    await h.run([]);

    // Assert
    const message = (jobId: number) => ({ version: 1, kind: "warm", deliveryId: "warm-pool", pool: "linux", jobId, runId: jobId, runAttempt: 1, repository: `${OWNER}/*`, owner: OWNER, installationId: INSTALLATION, labels: [], receivedAt: new Date(START + 123).toISOString() });
    expect(h.sent).toStrictEqual([
      { pool: "linux", message: message(START), groupId: String(START), deduplicationId: `warm-linux-${START}` },
      { pool: "linux", message: message(START + 1), groupId: String(START + 1), deduplicationId: `warm-linux-${START + 1}` },
    ]);
  });

  it("names the repository and its owner for a repository-scoped warm pool", async () => {
    // Arrange
    const h = harness({ scope: "repo", warmPools: { linux: { size: 1, owner: "octo-org/app", schedule: "" } } });

    // Act
    await h.run([]);

    // Assert
    expect(h.sent.map((s) => [s.message.repository, s.message.owner])).toEqual([["octo-org/app", "octo-org"]]);
  });

  it("asks for nothing when the draining switch cannot be read (taken as draining)", async () => {
    // Arrange
    const h = harness({ warmPools, isDraining: async () => Promise.reject(new Error("SSM throttled")) });

    // Act
    const summary = await h.run([]);

    // Assert
    expect(summary).toMatchObject({ warmRequested: 0, errors: 0 });
    expect(h.sent).toEqual([]);
  });

  it("ends a warm runner's synthetic job with its instance", async () => {
    // Arrange: a warm runner launched 10 minutes ago, its instance gone.
    const h = harness();
    const key = await seedLaunchedJob(h.ledger, h.counters, { facts: jobFacts(700, { kind: "warm" }), instanceId: "i-warm", prefix: "sr", scopeOwner: OWNER, at: new Date(START - 600_000) });

    // Act
    const summary = await h.run([]);

    // Assert
    expect(summary).toMatchObject({ slotsReleased: 1, errors: 0 });
    expect(h.table.items.get(key)).toMatchObject({ phase: "completed", conclusion: "warm runner gone" });
    expect(h.inUse()).toEqual([0, 0, 0]);
  });
});

describe("reconcileJobs: doubted jobs", () => {
  const seed = async (h: ReturnType<typeof harness>, jobId: number, instanceId: string) =>
    seedLaunchedJob(h.ledger, h.counters, { facts: jobFacts(jobId), instanceId, prefix: "sr", scopeOwner: OWNER, at: new Date(START - 600_000) });

  it("records a job GitHub reports in progress as running on the runner GitHub names, and relaunches nothing", async () => {
    // Arrange
    const h = harness();
    const key = await seed(h, 501, "i-gone");
    h.githubJobs.set(501, { status: "in_progress", conclusion: null, runnerName: "sr-i-other" });

    // Act
    const summary = await h.run([]);

    // Assert
    expect(summary).toMatchObject({ relaunched: 0, errors: 0 });
    expect(h.sent).toEqual([]);
    expect(h.table.items.get(key)).toMatchObject({ phase: "running", ranOn: "sr-i-other" });
  });

  it("frees the slots of a relaunched job whose instance is gone when this round could not release them first", async () => {
    // Arrange: releasing the slot fails (a ledger error); the relaunch then frees it.
    const h = harness();
    await seed(h, 501, "i-gone");
    const deps = { ...h.deps, ledger: { ...h.ledger, releaseSlot: async () => Promise.reject(new Error("throttled")) } };
    const snapshot = await h.ledger.snapshot();

    // Act
    const summary = await reconcileJobs(deps, snapshot, snapshot.counters, [], new Map());

    // Assert
    expect(summary).toMatchObject({ relaunched: 1, slotsReleased: 0, errors: 1 });
    expect(h.inUse()).toEqual([0, 0, 0]);
  });

  it("keeps the slots of a job relaunched because its runner took another job: the instance still runs", async () => {
    // Arrange: job 501's runner runs job 502 instead.
    const h = harness();
    await seed(h, 501, "i-took-other");
    await h.ledger.receive(jobFacts(502), "delivery-502", new Date(START - 500_000));
    await h.ledger.start({ jobId: 502, runAttempt: 1 }, "sr-i-took-other", new Date(START - 500_000));

    // Act
    const summary = await h.run([runner("i-took-other")], new Map([[OWNER, [{ name: "sr-i-took-other", busy: true }]]]));

    // Assert
    expect(summary).toMatchObject({ relaunched: 1, errors: 0 });
    expect(h.sent.map((s) => s.message.jobId)).toEqual([501]);
    expect(h.inUse()).toEqual([1, 1, 1]);
  });

  it("queues a lost job again under a deduplication id of its attempt and last update", async () => {
    // Arrange: the queueing lease ran out 31 minutes ago.
    const h = harness();
    const receivedAt = new Date(START - 31 * 60_000);
    await h.ledger.receiveToQueue(jobFacts(502), "delivery-502", 30_000, receivedAt);

    // Act
    const summary = await h.run([]);

    // Assert
    expect(summary).toMatchObject({ requeued: 1, errors: 0 });
    expect(h.sent.map((s) => s.deduplicationId)).toEqual([`502-1-q${receivedAt.getTime()}`]);
    expect(h.table.items.get(jobKey({ jobId: 502, runAttempt: 1 }))?.updatedAt).toBe(new Date(START).toISOString());
  });
});
