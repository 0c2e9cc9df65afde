import { describe, expect, it } from "vitest";
import { decideJobs } from "../../../lambdas/reconcile/jobs.js";
import type { JobView, LiveRunner } from "../../../lambdas/reconcile/jobs.js";
import {
  DECIDE_NOW as NOW,
  LINUX_LIMITS as LINUX,
  LISTING_LAG_SECONDS as LAG,
  RELAUNCH_GRACE_SECONDS as GRACE,
  REQUEUE_AFTER_SECONDS as REQUEUE_AFTER,
  jobsInput as input,
  jobView,
  liveRunner as runner,
  secondsAgo,
} from "../../helpers/decide-jobs.js";

let nextJob = 100;

/** A launched job (slot held) on its own instance, launched `launchedSecondsAgo` ago; a new job id unless given. */
function job(overrides: Partial<JobView> & { launchedSecondsAgo?: number } = {}): JobView {
  return jobView(overrides.jobId ?? (nextJob += 1), overrides);
}

/** The live runner of a job's own instance. */
function runnerOf(subject: JobView, overrides: Partial<LiveRunner> = {}): LiveRunner {
  return runner(subject.instanceId as string, overrides);
}

describe("decideJobs: limit slots", () => {
  it("releases the slot of a job whose instance is gone past the listing lag", () => {
    // Arrange
    const gone = job({ launchedSecondsAgo: LAG + 1 });

    // Act
    const decision = decideJobs(input({ jobs: [gone] }));

    // Assert
    expect(decision.releaseSlots).toEqual([{ key: gone.key, instanceId: gone.instanceId, pool: "linux", owner: "octo-org" }]);
  });

  it.each([
    { name: "instance launched within the listing lag (DescribeInstances may not show it yet)", subject: job({ launchedSecondsAgo: LAG - 1 }), live: false },
    { name: "instance still listed", subject: job({ launchedSecondsAgo: 3600 }), live: true },
    { name: "slot not held", subject: job({ slotHeld: false }), live: false },
    { name: "job without a pool", subject: job({ pool: undefined }), live: false },
    { name: "job without a registration target", subject: job({ scopeOwner: undefined }), live: false },
  ])("keeps the slot: $name", ({ subject, live }) => {
    // Act
    const decision = decideJobs(input({ jobs: [subject], runners: live ? [runnerOf(subject)] : [] }));

    // Assert
    expect(decision.releaseSlots).toEqual([]);
  });

  it("recounts only the counters that differ from the slots the ledger holds", () => {
    // Arrange: two slots held on live instances, one claim with a live lease, one with an expired lease
    // (crashed: holds nothing), one slot of a gone instance (released, so not held).
    const held = [job(), job()];
    const claiming = job({ phase: "launching", slotHeld: false, instanceId: undefined, claimExpiresAt: NOW.getTime() + 60_000 });
    const crashed = job({ phase: "launching", slotHeld: false, instanceId: undefined, claimExpiresAt: NOW.getTime() - 1 });
    const gone = job();
    const counters = new Map([
      [LINUX.global, 5],
      [LINUX.pool, 3],
      [LINUX.owner, 3],
      ["limit#pool#gpu", 2],
    ]);

    // Act
    const decision = decideJobs(input({ jobs: [...held, claiming, crashed, gone], runners: held.map((j) => runnerOf(j)), counters }));

    // Assert
    expect(decision.releaseSlots.map((slot) => slot.key)).toEqual([gone.key]);
    expect(decision.recount).toEqual([
      { key: LINUX.global, observed: 5, actual: 3 },
      { key: "limit#pool#gpu", observed: 2, actual: 0 },
    ]);
  });

  it("recounts nothing when every counter matches", () => {
    // Arrange
    const held = job();
    const counters = new Map([
      [LINUX.global, 1],
      [LINUX.pool, 1],
      [LINUX.owner, 1],
    ]);

    // Act
    const decision = decideJobs(input({ jobs: [held], runners: [runnerOf(held)], counters }));

    // Assert
    expect(decision.recount).toEqual([]);
  });

  // Found by the fault-injection suite (test/fault, "1,000-job burst"): job A's runner took job B, A
  // was relaunched (its slot cleared) on a new instance, and the recount, counting slot-holding jobs
  // only, dropped the instance still running B: launches then went one over max_runners_total.
  it("counts every listed instance, also one whose launch job was relaunched and cleared its slot", () => {
    // Arrange: A holds its slot on its new instance; A's old instance runs B, which holds nothing.
    const relaunched = job();
    const oldInstance = runner("i-0aaaaaaaaaaaaaaa1", { busy: true });
    const other = job({ phase: "running", slotHeld: false, instanceId: undefined, ranOn: oldInstance.runnerName });
    const counters = new Map([
      [LINUX.global, 2],
      [LINUX.pool, 2],
      [LINUX.owner, 2],
    ]);

    // Act
    const decision = decideJobs(input({ jobs: [relaunched, other], runners: [runnerOf(relaunched), oldInstance], counters }));

    // Assert
    expect(decision.recount).toEqual([]);
    expect(decision.releaseSlots).toEqual([]);
  });

  it("counts what EC2 cannot list yet once: fresh launches not listed, listed instances by the listing; raises no counter for a live claim", () => {
    // Arrange
    const fresh = job({ launchedSecondsAgo: LAG - 1 });
    const claiming = job({ phase: "launching", slotHeld: false, instanceId: undefined, claimExpiresAt: NOW.getTime() + 60_000 });
    const takingOver = job({ phase: "launching", slotHeld: false, claimExpiresAt: NOW.getTime() + 60_000 });
    const orphan = runner("i-0bbbbbbbbbbbbbbb2");
    const counters = new Map([[LINUX.global, 0]]);

    // Act
    const decision = decideJobs(input({ jobs: [fresh, claiming, takingOver], runners: [runnerOf(takingOver), orphan], counters }));

    // Assert: fresh from the ledger, takingOver's and the orphan's instances from EC2. The claim read
    // as 0 has not reserved yet: if it does, the counter changes and this recount is refused.
    expect(decision.recount).toEqual([{ key: LINUX.global, observed: 0, actual: 3 }]);
  });

  // Found by the interleaved fault world (test/fault/scenarios-interleaved.ts, seeded schedule 2): a
  // reconcile run read the counters at 2 (one instance listed, one launched and not yet listed) while a
  // scale-up invocation held two claims whose reservation was failing under a pool limit of 3. Counting
  // every live claim, the recount set the counters to 4: launches stalled for a whole reconcile period
  // with no instance live.
  it("leaves a counter alone anywhere between the units surely held and those plus live claims", () => {
    // Arrange: one instance listed, one launch too recent to be listed, two live claims.
    const listed = job();
    const fresh = job({ launchedSecondsAgo: LAG - 1 });
    const claims = [job(), job()].map((j) => ({ ...j, phase: "launching" as const, slotHeld: false, instanceId: undefined, claimExpiresAt: NOW.getTime() + 60_000 }));
    const jobs = [listed, fresh, ...claims];
    const at = (value: number) => new Map([[LINUX.pool, value]]);

    // Act
    const recounts = [1, 2, 3, 4, 5].map((value) => decideJobs(input({ jobs, runners: [runnerOf(listed)], counters: at(value) })).recount);

    // Assert: 2 to 4 are consistent; below 2 is raised to the units surely held, above 4 lowered to the most the claims could hold.
    expect(recounts).toEqual([[{ key: LINUX.pool, observed: 1, actual: 2 }], [], [], [], [{ key: LINUX.pool, observed: 5, actual: 4 }]]);
  });
});

describe("decideJobs: relaunch checks", () => {
  it.each([
    { name: "its instance is gone", live: undefined, reason: "runner instance is gone" },
    { name: "its runner took another job", live: { busy: true }, reason: "runner took another job" },
    { name: "its instance is stopped", live: { stopped: true }, reason: "runner instance is stopped" },
  ])("checks a launched job past the grace period when $name", ({ live, reason }) => {
    // Arrange
    const subject = job({ launchedSecondsAgo: GRACE + 1 });

    // Act
    const decision = decideJobs(input({ jobs: [subject], runners: live === undefined ? [] : [runnerOf(subject, live)] }));

    // Assert
    expect(decision.relaunchChecks).toEqual([
      { key: subject.key, jobId: subject.jobId, repository: "octo-org/octo-repo", installationId: 42, instanceId: subject.instanceId, reason },
    ]);
  });

  it.each([
    { name: "within the grace period", subject: job({ launchedSecondsAgo: GRACE - 1, slotHeld: false }), live: false },
    { name: "its own runner is still there and idle", subject: job({ launchedSecondsAgo: 3600 }), live: true },
    { name: "it is running", subject: job({ phase: "running", slotHeld: false }), live: false },
    { name: "it is still received", subject: job({ phase: "received", slotHeld: false, updatedAt: NOW }), live: false },
    { name: "it is a warm-pool runner's synthetic job", subject: job({ warm: true, slotHeld: false }), live: false },
    { name: "its repository is unknown", subject: job({ repository: undefined, slotHeld: false }), live: false },
    { name: "its installation is unknown", subject: job({ installationId: undefined, slotHeld: false }), live: false },
  ])("does not check a job when $name", ({ subject, live }) => {
    // Act
    const decision = decideJobs(input({ jobs: [subject], runners: live ? [runnerOf(subject)] : [] }));

    // Assert
    expect(decision.relaunchChecks).toEqual([]);
  });

  it("checks only as many jobs as spare runners cannot serve, oldest first", () => {
    // Arrange: three jobs lost their runner; two idle runners of the pool are spare (a warm one and
    // one left over from a job that ran elsewhere).
    const oldest = job({ launchedSecondsAgo: 3000 });
    const middle = job({ launchedSecondsAgo: 2000 });
    const newest = job({ launchedSecondsAgo: 1000 });
    const spare = [runner("i-0000000000000aaa1"), runner("i-0000000000000aaa2")];

    // Act
    const decision = decideJobs(input({ jobs: [newest, oldest, middle], runners: spare }));

    // Assert
    expect(decision.relaunchChecks.map((check) => check.key)).toEqual([oldest.key]);
  });

  it("lets spare runners serve the jobs whose own runner is still coming first", () => {
    // Arrange: one job waits for its own booting runner; one idle spare; two jobs lost their runner.
    const waiting = job({ launchedSecondsAgo: 60 });
    const lostOld = job({ launchedSecondsAgo: 3000 });
    const lostNew = job({ launchedSecondsAgo: 1000 });
    const runners = [runnerOf(waiting), runner("i-0000000000000aaa1")];

    // Act
    const decision = decideJobs(input({ jobs: [waiting, lostNew, lostOld], runners }));

    // Assert: two idle runners, one of which is the waiting job's own: one candidate can be served.
    expect(decision.relaunchChecks.map((check) => check.key)).toEqual([lostOld.key]);
  });

  it("counts spare runners per pool and owner only", () => {
    // Arrange: the idle runners belong to another pool and another owner.
    const lost = job({ launchedSecondsAgo: 3000 });
    const runners = [runner("i-0000000000000aaa1", { pool: "gpu" }), runner("i-0000000000000aaa2", { owner: "other-org" })];

    // Act
    const decision = decideJobs(input({ jobs: [lost], runners }));

    // Assert
    expect(decision.relaunchChecks.map((check) => check.key)).toEqual([lost.key]);
  });

  it("does not count busy or stopped runners as spare", () => {
    // Arrange
    const lost = job({ launchedSecondsAgo: 3000 });
    const runners = [runner("i-0000000000000aaa1", { busy: true }), runner("i-0000000000000aaa2", { stopped: true })];

    // Act
    const decision = decideJobs(input({ jobs: [lost], runners }));

    // Assert
    expect(decision.relaunchChecks.map((check) => check.key)).toEqual([lost.key]);
  });
});

describe("decideJobs: requeue checks", () => {
  const lost = (updatedSecondsAgo: number, overrides: Partial<JobView> = {}) =>
    job({ phase: "received", slotHeld: false, instanceId: undefined, launchedAt: undefined, updatedAt: secondsAgo(updatedSecondsAgo), ...overrides });

  it("checks a received job untouched for longer than the requeue delay", () => {
    // Arrange
    const subject = lost(REQUEUE_AFTER + 1);

    // Act
    const decision = decideJobs(input({ jobs: [subject] }));

    // Assert
    expect(decision.requeueChecks).toEqual([
      { key: subject.key, jobId: subject.jobId, repository: "octo-org/octo-repo", installationId: 42, instanceId: undefined, reason: "queue message lost" },
    ]);
  });

  it.each([
    { name: "touched recently (scale-up still retries it)", subject: lost(REQUEUE_AFTER), draining: false },
    { name: "draining (messages wait on purpose)", subject: lost(10 * REQUEUE_AFTER), draining: true },
    { name: "a warm-pool request", subject: lost(10 * REQUEUE_AFTER, { warm: true }), draining: false },
    { name: "launching", subject: lost(10 * REQUEUE_AFTER, { phase: "launching" }), draining: false },
  ])("does not check a job: $name", ({ subject, draining }) => {
    // Act
    const decision = decideJobs(input({ jobs: [subject], draining }));

    // Assert
    expect(decision.requeueChecks).toEqual([]);
  });
});

describe("decideJobs: re-runs of interrupted jobs", () => {
  const failed = (overrides: Partial<JobView> = {}) => job({ phase: "failed", slotHeld: false, interrupted: true, ...overrides });

  it("re-runs a failed job whose runner was interrupted, not yet re-run", () => {
    // Arrange
    const subject = failed();

    // Act
    const decision = decideJobs(input({ jobs: [subject] }));

    // Assert
    expect(decision.reruns).toEqual([
      { key: subject.key, jobId: subject.jobId, repository: "octo-org/octo-repo", installationId: 42, instanceId: subject.instanceId, reason: "runner was a reclaimed spot instance" },
    ]);
  });

  it.each([
    { name: "not interrupted", subject: failed({ interrupted: false }), enabled: true },
    { name: "re-run already requested", subject: failed({ rerunRequested: true }), enabled: true },
    { name: "not failed", subject: failed({ phase: "running" }), enabled: true },
    { name: "cancelled", subject: failed({ phase: "cancelled" }), enabled: true },
    { name: "re-runs disabled", subject: failed(), enabled: false },
  ])("does not re-run a job: $name", ({ subject, enabled }) => {
    // Act
    const decision = decideJobs(input({ jobs: [subject], rerunInterrupted: enabled }));

    // Assert
    expect(decision.reruns).toEqual([]);
  });
});

describe("decideJobs: GitHub check budget", () => {
  const rerun = () => job({ phase: "failed", slotHeld: false, interrupted: true });
  const relaunch = () => job({ launchedSecondsAgo: 3000, slotHeld: false });
  const requeue = () => job({ phase: "received", slotHeld: false, instanceId: undefined, updatedAt: secondsAgo(10 * REQUEUE_AFTER) });

  it("shares one bounded budget: re-runs first, then relaunches, then requeues", () => {
    // Arrange
    const jobs = [requeue(), relaunch(), rerun(), requeue(), relaunch(), rerun()];

    // Act
    const decision = decideJobs(input({ jobs, maxJobChecks: 3 }));

    // Assert
    expect(decision.reruns).toHaveLength(2);
    expect(decision.relaunchChecks).toHaveLength(1);
    expect(decision.requeueChecks).toHaveLength(0);
  });

  it("hands out every check when the budget allows", () => {
    // Arrange
    const jobs = [requeue(), relaunch(), rerun()];

    // Act
    const decision = decideJobs(input({ jobs, maxJobChecks: 3 }));

    // Assert
    expect([decision.reruns.length, decision.relaunchChecks.length, decision.requeueChecks.length]).toEqual([1, 1, 1]);
  });

  it("checks nothing with a budget of zero, yet still frees slots and recounts", () => {
    // Arrange
    const gone = job({ launchedSecondsAgo: 3000 });

    // Act
    const decision = decideJobs(input({ jobs: [gone, rerun(), requeue()], maxJobChecks: 0, counters: new Map([[LINUX.global, 4]]) }));

    // Assert
    expect(decision.reruns).toEqual([]);
    expect(decision.relaunchChecks).toEqual([]);
    expect(decision.requeueChecks).toEqual([]);
    expect(decision.releaseSlots.map((slot) => slot.key)).toEqual([gone.key]);
    expect(decision.recount).toEqual([{ key: LINUX.global, observed: 4, actual: 0 }]);
  });
});
