import { expect } from "vitest";
import type { Scenario } from "./scenario.js";
import type { ScheduleStep } from "./world/scheduler.js";
import type { ScenarioReport, World } from "./world/world.js";

/**
 * Interleaved worlds where webhook deliveries and the spot-interruption handler run under the call
 * scheduler too (world/scheduler.ts): their calls take turns with scale-up's and the reconciler's, in
 * a seeded schedule. Each scenario's evidence reads the traced schedule to show the interleaving its
 * title names really happened; the five invariants hold as everywhere (run-scenarios.ts).
 */

const MINUTE = 60_000;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Details = Record<string, any>;
const details = (report: ScenarioReport): Details => report.details as Details;
const LEDGER_WRITE = /^dynamodb .*UpdateItem$/;

function trace(w: World): readonly ScheduleStep[] {
  return w.scheduler?.trace ?? [];
}

/** The webhook invocation that handled each delivery ("delivery queued job 90000001" → its invocation id). */
function deliveries(steps: readonly ScheduleStep[], action: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const step of steps) {
    const match = /^delivery (\S+) job (\d+)$/.exec(step.what);
    if (match?.[1] === action) found.set(step.invocation, match[2] as string);
  }
  return found;
}

/**
 * Ledger writes of webhook invocations let through after a scale-up invocation claimed a job and
 * before that invocation's CreateFleet: the webhook's write landed in the middle of a launch.
 */
export function webhookWritesInsideLaunches(steps: readonly ScheduleStep[]): number {
  let found = 0;
  steps.forEach((step, i) => {
    if (step.fn !== "scale-up" || step.what !== "claim") return;
    const launch = steps.findIndex((later, j) => j > i && later.invocation === step.invocation && later.what === "create-fleet");
    if (launch < 0) return;
    found += steps.slice(i + 1, launch).filter((between) => between.fn === "webhook" && LEDGER_WRITE.test(between.what)).length;
  });
  return found;
}

/** Jobs whose `in_progress` and `completed` deliveries were handled at once, their calls taking turns. */
export function racedProgress(steps: readonly ScheduleStep[]): string[] {
  const started = deliveries(steps, "in_progress");
  const completed = deliveries(steps, "completed");
  const calls = (invocation: string): number[] => steps.flatMap((step, i) => (step.invocation === invocation && step.what.startsWith("dynamodb ") ? [i] : []));
  const raced: string[] = [];
  for (const [first, job] of started) {
    for (const [second, sameJob] of completed) {
      if (sameJob !== job) continue;
      const [a, b] = [calls(first), calls(second)];
      // One's calls fall on both sides of one of the other's: they overlapped, call by call.
      if (a.length > 0 && b.length > 0 && Math.min(...a) < Math.max(...b) && Math.min(...b) < Math.max(...a)) raced.push(job);
    }
  }
  return raced;
}

/**
 * Jobs trickle in a second apart while two scale-up environments launch, and GitHub redelivers every
 * `queued` 2 s later: the first deliveries and the redeliveries arrive while scale-up works, and their
 * ledger writes fall between its claim and its launch.
 */
function webhooksDuringScaleUp(seed: number): Scenario {
  return {
    title: `interleaved webhooks, seeded schedule ${seed}: deliveries and a redelivered \`queued\` (same delivery id) land during scale-up batches (2 scale-up and 2 webhook environments, 6 jobs)`,
    world: { scaleUpEnvironments: 2, webhookEnvironments: 2, interleave: { seed, trace: true } },
    script: (w) => {
      w.github.webhookPlan = (_job, action) => ({ delaysMs: [0], redeliverAfterMs: action === "queued" ? [2_000] : [] });
      for (let i = 0; i < 6; i += 1) w.at(i * 1_000, () => void w.queueJobs(1));
    },
    evidence: (report, w) => {
      const d = details(report);
      // In the schedule: webhook ledger writes between a scale-up invocation's claim and its CreateFleet.
      expect(webhookWritesInsideLaunches(trace(w))).toBeGreaterThanOrEqual(1);
      expect(d.schedule.callsDuring["webhook during scale-up"]).toBeGreaterThanOrEqual(3);
      expect(d.schedule.callsDuring["scale-up during webhook"]).toBeGreaterThanOrEqual(3);
      // Every queued was delivered twice; each job was sent to the queue once, and got one runner.
      expect(deliveries(trace(w), "queued").size).toBe(12);
      expect(d.sqs[0].sends).toBe(6);
      expect(report.figures.runnersLaunched).toBe(6);
      expect(w.runnerSims().every((sim) => sim.ranJob)).toBe(true);
    },
  };
}

/**
 * `in_progress` held back by the job's duration reaches the webhook at the instant `completed` does,
 * so two environments handle them at once and their ledger writes take turns; the job must end
 * `completed` in the ledger, with its limit slots given back, whichever write lands last.
 */
const progressRace: Scenario = {
  title: "interleaved webhooks: `in_progress` races `completed` of the same job in two webhook environments, call by call (4 jobs of 30 s)",
  world: { webhookEnvironments: 2, jobDurationMs: 30_000, interleave: { seed: 1, trace: true } },
  script: (w) => {
    w.github.webhookPlan = (_job, action) => ({ delaysMs: [action === "in_progress" ? 30_000 : 0] });
    w.queueJobs(4);
  },
  evidence: (report, w) => {
    const d = details(report);
    expect(racedProgress(trace(w)).length).toBeGreaterThanOrEqual(1);
    // Whichever write landed last, no job stays open in the ledger and the counters match the fleet.
    expect(d.openLedgerJobs).toEqual([]);
    expect(Object.values(d.counters).every((inUse) => Number(inUse) === 0)).toBe(true);
    expect(report.figures.runnersLaunched).toBe(4);
  },
};

/**
 * A spot warning for a busy runner while new jobs arrive: the spot handler's calls (ledger, GitHub's
 * refused deregistration) take turns with the new jobs' webhooks and scale-up's launches.
 */
const spotDuringLaunches: Scenario = {
  title: "interleaved spot interruption: the warning's handler runs call by call beside webhooks and scale-up launching new jobs (the busy runner's job fails and is re-run once)",
  world: { scaleUpEnvironments: 2, webhookEnvironments: 2, interleave: { seed: 1, trace: true } },
  script: (w) => {
    const [first] = w.queueJobs(1);
    const runner = () => w.runnerSims().find((sim) => sim.phase === "busy" && sim.jobId === first?.id && w.now - (sim.takenAt ?? w.now) >= MINUTE);
    w.once(
      () => runner() !== undefined,
      () => {
        w.queueJobs(3);
        void w.spotInterrupt(runner()?.instance.instanceId as string);
      },
    );
  },
  evidence: (report, w) => {
    const d = details(report);
    const spotCalls = (d.schedule.callsDuring["spot-interruption during webhook"] ?? 0) + (d.schedule.callsDuring["spot-interruption during scale-up"] ?? 0);
    expect(spotCalls).toBeGreaterThanOrEqual(1);
    expect(d.spotOutcomes[0].interruptedJob).toMatch(/^job#/);
    // The system re-ran the interrupted job once; the three new jobs got a runner each.
    expect(d.reconcileTotals.rerun).toBe(1);
    expect([...w.github.jobs.values()].filter((job) => job.runAttempt === 2)).toHaveLength(1);
    expect(report.figures.runnersLaunched).toBe(5);
  },
};

export const INTERLEAVED_WEBHOOK_SEEDS = [1, 2] as const;

export const INTERLEAVED_WEBHOOK_SCENARIOS: readonly Scenario[] = [...INTERLEAVED_WEBHOOK_SEEDS.map(webhooksDuringScaleUp), progressRace, spotDuringLaunches];
