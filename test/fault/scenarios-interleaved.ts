import { expect } from "vitest";
import type { Scenario } from "./scenario.js";
import { INTERLEAVED_WEBHOOK_SCENARIOS } from "./scenarios-interleaved-webhooks.js";
import { percentile } from "./table.js";
import type { ScenarioReport } from "./world/world.js";

/**
 * Scenarios of a world whose scale-up and reconcile invocations interleave call by call
 * (world/scheduler.ts), with the clock running while they work. Each seed is another schedule of the
 * same script; the five invariants hold on every one (run-scenarios.ts checks them).
 */

const MINUTE = 60_000;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Details = Record<string, any>;
const details = (report: ScenarioReport): Details => report.details as Details;

/** The schedules `npm test` explores (each a table row). */
export const INTERLEAVED_SEEDS = [1, 2, 3, 4] as const;

/**
 * Jobs trickle in while earlier invocations still work, so up to three scale-up environments launch
 * at once against a pool limit of 3, and a second wave lands on the reconciler's 5-minute run while
 * instances are still unlisted (EC2's listing delay): its recount and relaunch checks interleave
 * with launches and claims.
 */
function interleavedSchedule(seed: number): Scenario {
  return {
    title: `interleaved invocations, seeded schedule ${seed} of ${INTERLEAVED_SEEDS.length} (3 scale-up environments and the reconciler, call by call; pool limit 3, 8 jobs)`,
    // Under a limit of 3 the last jobs wait for the first to end (4-minute jobs), a back-off, and for
    // some a relaunch (their runner took an older job). Measured 400-955 s; 2,155 s while the recount
    // counted live claims as held units.
    bounds: { timeToRunnerSeconds: 1200 },
    world: {
      scaleUpEnvironments: 3,
      interleave: { seed },
      pools: { linux: { labels: ["linux", "x64"], maxRunners: 3 } },
      env: { MAX_RUNNERS_TOTAL: "3", MAX_RUNNERS_PER_OWNER: "3" },
    },
    script: (w) => {
      for (let i = 0; i < 4; i += 1) w.at(i * 3_000, () => void w.queueJobs(1));
      for (let i = 0; i < 4; i += 1) w.at(5 * MINUTE - 6_000 + i * 3_000, () => void w.queueJobs(1));
    },
    evidence: (report, w) => {
      const d = details(report);
      // Invocations really overlapped, call by call, and the reconciler worked while scale-up did.
      expect(d.schedule.maxLive).toBeGreaterThanOrEqual(2);
      expect(d.schedule.switches).toBeGreaterThanOrEqual(10);
      expect(d.schedule.reconcileCallsDuringScaleUp).toBeGreaterThanOrEqual(1);
      // The limit bound: the pool was full at some point, never above it (the fifth invariant).
      expect(d.peakLive).toBe(3);
      // Half the jobs have a runner within 2 minutes: with the recount counting every live claim as a
      // held unit, the counters stood above the live instances after the 5-minute run and the median
      // rose to 330 s (schedules 2 to 4).
      expect(percentile(report.figures.timeToRunnerSeconds, 50)).toBeLessThanOrEqual(120);
      // One runner per job, and every runner took a job: none lost its registration to a reconcile run
      // that read before scale-up registered it.
      expect(report.figures.runnersLaunched).toBe(8);
      expect(w.runnerSims().every((sim) => sim.ranJob)).toBe(true);
    },
  };
}

/**
 * Lambda's own warning: an invocation that outlives the visibility timeout sees its messages received
 * again by another execution environment, and its late delete uses a stale receipt handle. Here GitHub
 * takes 8 s for each JIT configuration (within Octokit's 10-s request timeout) while the queue's
 * visibility timeout is 5 s.
 */
const outlivesVisibility: Scenario = {
  title: "interleaved: scale-up outlives the visibility timeout (JIT config 8 s, visibility 5 s): another environment receives the same messages while the first invocation still works",
  world: {
    scaleUpEnvironments: 3,
    visibilityTimeoutSeconds: 5,
    interleave: { seed: 1, slowCall: (call) => (call.what.includes("generate-jitconfig") ? 8_000 : 0) },
  },
  script: (w) => {
    for (let i = 0; i < 3; i += 1) w.at(i * 3_000, () => void w.queueJobs(1));
  },
  evidence: (report) => {
    const d = details(report);
    // In the world: messages were received by a second environment while the first still held them
    // (two of the three in this schedule, the webhooks taking their own time under the scheduler), and
    // the first one's delete came too late to count.
    expect(d.receivedWhileHeld).toBeGreaterThanOrEqual(2);
    expect(d.esmSettlement.staleDeletes).toBeGreaterThanOrEqual(1);
    expect(d.schedule.maxLive).toBeGreaterThanOrEqual(2);
    // One runner per job all the same: the second environment's claim found the first one's.
    expect(report.figures.runnersLaunched).toBe(3);
    expect(d.gitHub.jitConfigs).toBe(3);
  },
};

export const INTERLEAVED_SCENARIOS: readonly Scenario[] = [...INTERLEAVED_SEEDS.map(interleavedSchedule), outlivesVisibility, ...INTERLEAVED_WEBHOOK_SCENARIOS];
