import { describe, expect, it } from "vitest";
import { jobKey, limitKeys } from "../../../lambdas/libs/ledger/phases.js";
import type { Ledger } from "../../../lambdas/libs/ledger/port.js";
import type { JobRecord } from "../../../lambdas/libs/ledger/types.js";
import { jobFacts, seedLaunchedJob } from "../../helpers/ledger.js";
import { quietPowertools } from "../../helpers/powertools.js";
import { JOBS_OWNER as OWNER, JOBS_START as START, jobsHarness as harness, jobsRecord as record, jobsRunner as runner, snapshotOf } from "../../helpers/reconcile-jobs.js";

// The job half of the reconciler against the mutants Stryker left alive in job-actions.ts
// (docs/reliability.md, "Survivors of job-actions.ts and webhook.ts"). Several of them are guarded a
// second time by the ledger's conditional writes, so these tests hand in stale snapshots or ledgers
// that answer otherwise, to show the reconciler's own guard.

quietPowertools();

type Harness = ReturnType<typeof harness>;
const seed = (h: Harness, jobId: number, instanceId: string, facts = jobFacts(jobId)) =>
  seedLaunchedJob(h.ledger, h.counters, { facts, instanceId, prefix: "sr", scopeOwner: OWNER, at: new Date(START - 600_000) });
/** One more unit of each limit counter, held by an instance that is not the tests' job's. */
const holdOneMore = async (h: Harness) => {
  for (const key of Object.values(limitKeys("linux", OWNER))) await h.counters.reserve(key, 1, 1000);
};
/** A live instance busy with another job: not a spare runner for a relaunch. */
const busyOther = { instances: [runner("i-other")], registrations: new Map([[OWNER, [{ name: "sr-i-other", busy: true }]]]) };

describe("reconcileJobs: warm pools (mutants)", () => {
  it("counts warm requests as on their way only while received or launching, not once finished", async () => {
    // Arrange: 4 wanted; 1 received and 1 launching on their way, 2 finished ones that are not.
    const h = harness({ warmPools: { linux: { size: 4, owner: OWNER, schedule: "" } } });
    const warm = (pk: string, phase: "received" | "launching" | "completed") => record(pk, { kind: "warm", phase, pool: "linux", scopeOwner: OWNER });
    const snapshot = snapshotOf([warm("warm#1", "received"), warm("warm#2", "launching"), warm("warm#3", "completed"), warm("warm#4", "completed")]);

    // Act
    const summary = await h.run([], undefined, snapshot);

    // Assert
    expect(summary.warmRequested).toBe(2);
  });

  it("counts an idle running runner as ready, and neither a stopping nor a stopped one", async () => {
    // Arrange: 4 wanted, 2 ready.
    const h = harness({ warmPools: { linux: { size: 4, owner: OWNER, schedule: "" } } });
    const instances = [runner("i-1"), runner("i-2"), runner("i-stopping", { state: "stopping" }), runner("i-stopped", { state: "stopped" })];

    // Act
    const summary = await h.run(instances, undefined, snapshotOf([]));

    // Assert
    expect(summary.warmRequested).toBe(2);
  });

  it("never asks GitHub about a warm runner's synthetic job", async () => {
    // Arrange: a warm runner launched 10 minutes ago, its instance gone (a relaunch candidate if it were a job).
    const h = harness();
    await seed(h, 700, "i-warm", jobFacts(700, { kind: "warm" }));

    // Act
    await h.run([]);

    // Assert
    expect(h.asked).toEqual([]);
  });
});

describe("reconcileJobs: slots (mutants)", () => {
  it("does not try to release the slot of a relaunched job: it gave its slot back", async () => {
    // Arrange: job 501 was relaunched (slot given back); its instance is gone since.
    const h = harness();
    const key = await seed(h, 501, "i-gone");
    await h.ledger.relaunch(key, "i-gone", "runner instance is gone", new Date(START - 300_000));
    const releases: string[] = [];
    h.deps = { ...h.deps, ledger: { ...h.ledger, releaseSlot: async (...args) => (releases.push(args[0]), h.ledger.releaseSlot(...args)) } };

    // Act
    await h.run([]);

    // Assert
    expect(releases).toEqual([]);
  });

  it("frees no counter when the ledger refuses the release (another round released the slot first)", async () => {
    // Arrange: the snapshot still shows job 501 holding its slot; another round then released it.
    const h = harness();
    const key = await seed(h, 501, "i-gone");
    await holdOneMore(h);
    const stale = await h.ledger.snapshot();
    await h.ledger.releaseSlot(key, "i-gone", new Date(START));
    for (const counter of Object.values(limitKeys("linux", OWNER))) await h.counters.release(counter, 1);

    // Act
    const summary = await h.run(busyOther.instances, busyOther.registrations, stale);

    // Assert
    expect(summary.slotsReleased).toBe(0);
    expect(h.inUse()).toEqual([1, 1, 1]);
  });

  it("ends no warm record when it releases an ordinary job's slot", async () => {
    // Arrange
    const h = harness();
    await seed(h, 501, "i-gone");

    // Act
    const summary = await h.run([]);

    // Assert
    expect(summary.slotsReleased).toBe(1);
    expect(h.table.items.has(jobKey({ jobId: 501, runAttempt: 1, kind: "warm" }))).toBe(false);
  });

  it("does not recount a counter a release of the same round touched (its value read before is stale)", async () => {
    // Arrange: job 501's instance is gone; its release decrements the three counters.
    const h = harness();
    await seed(h, 501, "i-gone");
    const recounts: string[] = [];
    h.deps = { ...h.deps, counters: { ...h.counters, recount: async (...args) => (recounts.push(args[0]), h.counters.recount(...args)) } };

    // Act
    await h.run([]);

    // Assert
    expect(recounts).toEqual([]);
    expect(h.inUse()).toEqual([0, 0, 0]);
  });
});

describe("reconcileJobs: relaunches (mutants)", () => {
  it("frees the slots of a relaunched job whose instance is gone while other instances run", async () => {
    // Arrange: releasing the slot fails (a ledger error); the relaunch then frees it. Another instance runs.
    const h = harness();
    await seed(h, 501, "i-gone");
    await holdOneMore(h);
    h.deps = { ...h.deps, ledger: { ...h.ledger, releaseSlot: async () => Promise.reject(new Error("throttled")) } };

    // Act
    const summary = await h.run(busyOther.instances, busyOther.registrations);

    // Assert
    expect(summary).toMatchObject({ relaunched: 1, errors: 1 });
    expect(h.inUse()).toEqual([1, 1, 1]);
  });

  it("frees a slot once when the round released it before the relaunch", async () => {
    // Arrange: job 501's instance is gone; another instance runs and holds one unit of each counter.
    const h = harness();
    await seed(h, 501, "i-gone");
    await holdOneMore(h);

    // Act
    const summary = await h.run(busyOther.instances, busyOther.registrations);

    // Assert
    expect(summary).toMatchObject({ slotsReleased: 1, relaunched: 1, errors: 0 });
    expect(h.inUse()).toEqual([1, 1, 1]);
  });

  it.each([
    ["pool", { pool: undefined }],
    ["owner", { scopeOwner: undefined }],
  ])("frees no counter for a relaunched record without its %s", async (_field, missing) => {
    // Arrange: the release is refused, so the relaunch sees the slot held; the record lacks a limit key.
    const h = harness();
    await seed(h, 501, "i-gone");
    const relaunch: Ledger["relaunch"] = async (...args) => {
      const old = await h.ledger.relaunch(...args);
      return old && { ...old, ...missing };
    };
    h.deps = { ...h.deps, ledger: { ...h.ledger, releaseSlot: async () => undefined, relaunch } };

    // Act
    await h.run([]);

    // Assert
    expect(h.inUse()).toEqual([1, 1, 1]);
  });

  it("relaunches nothing, and fails nothing, when the ledger refuses the relaunch (the job started meanwhile)", async () => {
    // Arrange: the snapshot shows job 501 launched; its in_progress was recorded after; GitHub's answer lags.
    const h = harness();
    await seed(h, 501, "i-gone");
    const stale = await h.ledger.snapshot();
    await h.ledger.start({ jobId: 501, runAttempt: 1 }, "sr-i-gone", new Date(START));
    h.deps = { ...h.deps, ledger: { ...h.ledger, releaseSlot: async () => undefined } };

    // Act
    const summary = await h.run([], undefined, stale);

    // Assert
    expect(summary).toMatchObject({ relaunched: 0, errors: 0 });
    expect(h.sent).toEqual([]);
  });

  it("relaunches no job GitHub holds as waiting (not queued for a runner)", async () => {
    // Arrange
    const h = harness();
    const key = await seed(h, 501, "i-gone");
    h.githubJobs.set(501, { status: "waiting", conclusion: null, runnerName: null });

    // Act
    const summary = await h.run([]);

    // Assert
    expect(summary.relaunched).toBe(0);
    expect(h.sent).toEqual([]);
    expect(h.table.items.get(key)).toMatchObject({ phase: "launched" });
  });
});

describe("reconcileJobs: requeues, re-runs and finished jobs (mutants)", () => {
  it("queues no lost job GitHub reports completed, and records it completed", async () => {
    // Arrange: the queueing lease ran out 31 minutes ago; the job ran anyway (its webhooks were lost).
    const h = harness();
    await h.ledger.receiveToQueue(jobFacts(502), "delivery-502", 30_000, new Date(START - 31 * 60_000));
    h.githubJobs.set(502, { status: "completed", conclusion: "success", runnerName: "sr-i-x" });

    // Act
    const summary = await h.run([]);

    // Assert
    expect(summary).toMatchObject({ requeued: 0, errors: 0 });
    expect(h.sent).toEqual([]);
    expect(h.table.items.get(jobKey({ jobId: 502, runAttempt: 1 }))).toMatchObject({ phase: "completed" });
  });

  it("asks GitHub once about a job it reports completed: the recorded finish takes it off the next round's checks", async () => {
    // Arrange
    const h = harness();
    await seed(h, 501, "i-gone");
    h.githubJobs.set(501, { status: "completed", conclusion: "success", runnerName: "sr-i-gone" });

    // Act
    await h.run([]);
    await h.run([]);

    // Assert
    expect(h.asked).toEqual([501]);
  });

  it("re-runs only a failed job marked interrupted and not re-run yet", async () => {
    // Arrange: a snapshot listing failed jobs the store's scan would leave out; a GitHub budget of 1 check.
    const reruns: number[] = [];
    const h = harness({ maxJobChecks: 1 });
    h.deps = { ...h.deps, jobs: { ...h.deps.jobs, rerun: async (_installation, _repository, jobId) => void reruns.push(jobId) } };
    const failed = async (jobId: number, marks: { interrupted?: boolean; rerunRequested?: boolean }) => {
      const key = await seed(h, jobId, `i-${jobId}`);
      await h.ledger.finish({ jobId, runAttempt: 1 }, "failed", "failure", new Date(START));
      if (marks.interrupted === true) await h.ledger.markInterrupted(key, new Date(START));
      if (marks.rerunRequested === true) await h.ledger.markRerunRequested(key, new Date(START));
      return (await h.ledger.get(key)) as JobRecord;
    };
    const jobs = [await failed(601, {}), await failed(602, { interrupted: true, rerunRequested: true })];
    const lost = await seed(h, 603, "i-gone");
    const snapshot = snapshotOf([...jobs, (await h.ledger.get(lost)) as JobRecord]);
    h.deps = { ...h.deps, ledger: { ...h.ledger, releaseSlot: async () => undefined } };

    // Act
    const summary = await h.run([], undefined, snapshot);

    // Assert: no re-run, and the one GitHub check went to the relaunch.
    expect(reruns).toEqual([]);
    expect(summary).toMatchObject({ rerun: 0, relaunched: 1 });
  });
});
