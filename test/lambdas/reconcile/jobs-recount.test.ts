import { describe, expect, it } from "vitest";
import { decideJobs } from "../../../lambdas/reconcile/jobs.js";
import type { JobView, JobsInput, LiveRunner } from "../../../lambdas/reconcile/jobs.js";

const now = new Date("2026-03-02T10:00:00Z");
const minutesAgo = (m: number): Date => new Date(now.getTime() - m * 60_000);

function job(overrides: Partial<JobView> & Pick<JobView, "key">): JobView {
  return {
    warm: false,
    phase: "launched",
    jobId: 1,
    repository: "octo-org/app",
    installationId: 9,
    pool: "linux",
    scopeOwner: "octo-org",
    instanceId: undefined,
    runnerName: undefined,
    slotHeld: false,
    claimExpiresAt: undefined,
    launchedAt: minutesAgo(20),
    updatedAt: minutesAgo(20),
    ranOn: undefined,
    interrupted: false,
    rerunRequested: false,
    ...overrides,
  };
}

function runner(instanceId: string, busy = false): LiveRunner {
  return { instanceId, pool: "linux", owner: "octo-org", runnerName: `sr-${instanceId}`, busy, stopped: false };
}

function decide(input: Partial<JobsInput>) {
  return decideJobs({
    jobs: [],
    runners: [],
    counters: new Map(),
    now,
    relaunchGraceSeconds: 300,
    requeueAfterSeconds: 1800,
    instanceListingLagSeconds: 120,
    draining: false,
    rerunInterrupted: true,
    maxJobChecks: 50,
    ...input,
  });
}

const COUNTERS = (n: number) => new Map([["limit#global", n], ["limit#pool#linux", n], ["limit#owner#octo-org", n]]);

describe("decideJobs: counter repair", () => {
  // Found by the fault-injection suite ("1,000-job burst"): job A's runner took job B, A was
  // relaunched (its slot cleared) on a new instance, and the recount counted slot-holding jobs only,
  // so the instance still running B fell out of the counters and launches went one over the limit.
  it("counts every listed instance, also one whose launch job was relaunched", () => {
    // Arrange: i-1 was launched for A (relaunched, slot cleared) and runs B; i-2 is A's new runner.
    const jobs = [
      job({ key: "job#1#1", jobId: 1, instanceId: "i-0aaaaaaaaaaaaaaa2", slotHeld: true, launchedAt: minutesAgo(3) }),
      job({ key: "job#2#1", jobId: 2, phase: "running", instanceId: undefined, slotHeld: false, ranOn: "sr-i-0aaaaaaaaaaaaaaa1" }),
    ];

    // Act
    const decision = decide({ jobs, runners: [runner("i-0aaaaaaaaaaaaaaa1", true), runner("i-0aaaaaaaaaaaaaaa2")], counters: COUNTERS(2) });

    // Assert
    expect(decision.recount).toEqual([]);
    expect(decision.releaseSlots).toEqual([]);
  });

  it("adds what EC2 cannot list yet: fresh launches and live claims", () => {
    const jobs = [
      job({ key: "job#1#1", instanceId: "i-0aaaaaaaaaaaaaaa3", slotHeld: true, launchedAt: minutesAgo(1) }),
      job({ key: "job#2#1", phase: "launching", claimExpiresAt: now.getTime() + 60_000 }),
    ];
    const decision = decide({ jobs, runners: [runner("i-0aaaaaaaaaaaaaaa1")], counters: COUNTERS(1) });
    expect(decision.recount).toEqual([
      { key: "limit#global", observed: 1, actual: 3 },
      { key: "limit#pool#linux", observed: 1, actual: 3 },
      { key: "limit#owner#octo-org", observed: 1, actual: 3 },
    ]);
  });

  it("fails when an instance is listed and also held by its job: it counts once", () => {
    const jobs = [job({ key: "job#1#1", instanceId: "i-0aaaaaaaaaaaaaaa1", slotHeld: true, phase: "launching", claimExpiresAt: now.getTime() + 60_000 })];
    const decision = decide({ jobs, runners: [runner("i-0aaaaaaaaaaaaaaa1")], counters: COUNTERS(2) });
    expect(decision.recount.map((r) => r.actual)).toEqual([1, 1, 1]);
  });

  it("frees the slot of a job whose instance is gone and repairs a leak from a crash", () => {
    const jobs = [job({ key: "job#1#1", instanceId: "i-0aaaaaaaaaaaaaaa9", slotHeld: true, launchedAt: minutesAgo(10) })];
    const decision = decide({ jobs, runners: [], counters: COUNTERS(3) });
    expect(decision.releaseSlots).toEqual([{ key: "job#1#1", instanceId: "i-0aaaaaaaaaaaaaaa9", pool: "linux", owner: "octo-org" }]);
    expect(decision.recount.map((r) => r.actual)).toEqual([0, 0, 0]);
  });
});
