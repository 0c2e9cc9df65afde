import { describe, expect, it } from "vitest";
import { decideJobs } from "../../../lambdas/reconcile/jobs.js";
import type { JobView } from "../../../lambdas/reconcile/jobs.js";
import {
  DECIDE_NOW as NOW,
  LINUX_LIMITS as LINUX,
  LISTING_LAG_SECONDS as LAG,
  RELAUNCH_GRACE_SECONDS as GRACE,
  jobsInput as input,
  jobView as job,
  liveRunner as runner,
  secondsAgo,
} from "../../helpers/decide-jobs.js";

// Edges of decideJobs that Stryker's mutants of jobs.ts showed untested (docs/reliability.md, "Mutation
// testing"): exact boundaries of the listing lag, the claim lease and the relaunch grace, and records
// or instances that lack a field the decision needs.

describe("decideJobs: boundaries", () => {
  it("keeps the slot of a launch exactly at the listing lag, and releases it one millisecond later", () => {
    // Arrange
    const atLag = job(1, { launchedAt: secondsAgo(LAG) });
    const pastLag = job(2, { launchedAt: new Date(NOW.getTime() - LAG * 1000 - 1) });

    // Act
    const decision = decideJobs(input({ jobs: [atLag, pastLag] }));

    // Assert
    expect(decision.releaseSlots.map((slot) => slot.key)).toEqual([pastLag.key]);
  });

  it("counts a claim whose lease ends after now, not one whose lease ends exactly now", () => {
    // Arrange
    const claim = (jobId: number, claimExpiresAt: number) => job(jobId, { phase: "launching", slotHeld: false, instanceId: undefined, claimExpiresAt });
    const counters = new Map([[LINUX.pool, 1]]);

    // Act
    const live = decideJobs(input({ jobs: [claim(1, NOW.getTime() + 1)], counters })).recount;
    const ended = decideJobs(input({ jobs: [claim(1, NOW.getTime())], counters })).recount;

    // Assert: 1 is within [0, 0 + 1 live claim]; with the lease ended, the claim holds nothing.
    expect(live).toEqual([]);
    expect(ended).toEqual([{ key: LINUX.pool, observed: 1, actual: 0 }]);
  });

  it("checks a launched job whose runner is gone only once the grace period is over", () => {
    // Arrange
    const atGrace = job(1, { launchedAt: secondsAgo(GRACE), slotHeld: false });
    const pastGrace = job(2, { launchedAt: new Date(NOW.getTime() - GRACE * 1000 - 1), slotHeld: false });

    // Act
    const decision = decideJobs(input({ jobs: [atGrace, pastGrace] }));

    // Assert
    expect(decision.relaunchChecks.map((check) => check.key)).toEqual([pastGrace.key]);
  });
});

describe("decideJobs: records and instances missing a field", () => {
  it("counts no unit for an instance whose tags name no pool or no owner", () => {
    // Arrange
    const counters = new Map([[LINUX.global, 0]]);
    const runners = [runner("i-0aaaaaaaaaaaaaaa1", { pool: undefined }), runner("i-0aaaaaaaaaaaaaaa2", { owner: undefined })];

    // Act
    const decision = decideJobs(input({ runners, counters }));

    // Assert
    expect(decision.recount).toEqual([]);
  });

  it("releases no slot for a record that holds one without an instance id (nothing to release it against)", () => {
    // Act
    const decision = decideJobs(input({ jobs: [job(1, { instanceId: undefined })] }));

    // Assert
    expect(decision.releaseSlots).toEqual([]);
  });

  it("reads a slot-holding record without a launch time as launched long ago, and does not fail on it", () => {
    // Act
    const decision = decideJobs(input({ jobs: [job(1, { launchedAt: undefined })] }));

    // Assert
    expect(decision.releaseSlots.map((slot) => slot.key)).toEqual(["job#1#1"]);
  });

  it("does not check a launched job without a pool or owner: no queue message could be rebuilt for it", () => {
    // Act
    const decision = decideJobs(input({ jobs: [job(1, { pool: undefined, slotHeld: false }), job(2, { scopeOwner: undefined, slotHeld: false })] }));

    // Assert
    expect(decision.relaunchChecks).toEqual([]);
  });

  it("does not check a launched job without a launch time yet: its grace runs from the launch", () => {
    // Act
    const decision = decideJobs(input({ jobs: [job(1, { launchedAt: undefined, slotHeld: false })] }));

    // Assert
    expect(decision.relaunchChecks).toEqual([]);
  });

  it("re-runs no interrupted job whose repository or installation is unknown", () => {
    // Arrange
    const failed = (jobId: number, overrides: Partial<JobView>) => job(jobId, { phase: "failed", slotHeld: false, interrupted: true, ...overrides });

    // Act
    const decision = decideJobs(input({ jobs: [failed(1, { repository: undefined }), failed(2, { installationId: undefined })] }));

    // Assert
    expect(decision.reruns).toEqual([]);
  });
});

describe("decideJobs: what counts as a claim, and which runner is lost", () => {
  it("counts no claim for a job that left `launching` with its lease still set (`start` keeps the claim fields)", () => {
    // Arrange: GitHub started the job on another runner while it was claimed; the lease has not ended.
    const started = job(1, { phase: "running", slotHeld: false, instanceId: undefined, claimExpiresAt: NOW.getTime() + 60_000 });
    const counters = new Map([[LINUX.pool, 1]]);

    // Act
    const decision = decideJobs(input({ jobs: [started], counters }));

    // Assert: nothing is launching, so 1 is above the most the ledger can justify.
    expect(decision.recount).toEqual([{ key: LINUX.pool, observed: 1, actual: 0 }]);
  });

  it("never checks a job whose own runner is live and idle, however old: the lost runner's job is checked instead", () => {
    // Arrange: the older job's runner is idle (its job has not reached it yet); the newer job's instance is gone.
    const waiting = job(1, { launchedAt: secondsAgo(900), slotHeld: false });
    const lost = job(2, { launchedAt: secondsAgo(600), slotHeld: false });

    // Act
    const decision = decideJobs(input({ jobs: [waiting, lost], runners: [runner(waiting.instanceId as string)] }));

    // Assert: the idle runner is the older job's own, so it serves no candidate.
    expect(decision.relaunchChecks.map((check) => [check.key, check.reason])).toEqual([[lost.key, "runner instance is gone"]]);
  });
});
