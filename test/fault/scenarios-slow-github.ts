import { expect } from "vitest";
import { SCALE_UP_TIMEOUT_SECONDS } from "../../contracts/scale-up.js";
import { BASE_JIT_DEADLINE_MS } from "../../lambdas/scale-up/time-budget.js";
import { GITHUB_SERVER_TIMEOUT_SECONDS, OCTOKIT_DEFAULTS } from "../../lambdas/shared/github/octokit.js";
import type { Scenario } from "./scenario.js";
import type { ScenarioReport } from "./world/world.js";

/**
 * A slow GitHub (issue 15 finding): REST answers slow down under load. With every JIT configuration
 * taking 25 s, each scale-up invocation used to outlive its 30-s timeout after CreateFleet: 87
 * instances for 3 jobs in 10 hours, no job run. Scale-up now starts a JIT call only with time for its
 * answer (lambdas/scale-up/time-budget.ts) and keeps the instance under the job's claim otherwise;
 * the takeover registers it instead of launching another.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Details = Record<string, any>;
const details = (report: ScenarioReport): Details => report.details as Details;

const MINUTE = 60_000;
/** Longer than Octokit's general request timeout (10 s), within the JIT call's own deadline (29 s). */
const JIT_MS = 25_000;
/** The first CreateFleet is slow too: its invocation has no time left for a 25-s JIT call. */
const FIRST_FLEET_MS = 20_000;
/** Slower than a fresh instance's JIT deadline (29 s), within a kept instance's longer one. */
const SLOWER_JIT_MS = 40_000;
/** Every GitHub call: beyond GitHub's own processing timeout (10 s), within our per-attempt timeout (15 s). */
const EVERY_CALL_MS = 12_000;

/**
 * Scale-up's CreateFleet calls in the running world, for "the first CreateFleet" (the script sets it
 * to 0): counted in the scenario's options alone, it outlived the world, and a second run in the same
 * process (the determinism test's) had no slow CreateFleet, no kept instance and another row.
 */
let fleets = 0;

/** The webhook healer's calls and errors over the world's reconcile runs (lambdas/reconcile/heal.ts). */
const healerTotals = (w: { stats: { reconcileSummaries: readonly unknown[] } }): { calls: number; errors: number } =>
  w.stats.reconcileSummaries.reduce<{ calls: number; errors: number }>((sum, summary) => {
    const healer = (summary as { healer?: { calls: number; errors: number } }).healer;
    return { calls: sum.calls + (healer?.calls ?? 0), errors: sum.errors + (healer?.errors ?? 0) };
  }, { calls: 0, errors: 0 });

export const SLOW_GITHUB_SCENARIOS: readonly Scenario[] = [
  {
    title: `slow GitHub: every JIT config takes 25 s (its deadline is 29 s), the first CreateFleet 20 s, a lone job then two more (scale-up timeout ${SCALE_UP_TIMEOUT_SECONDS} s): the instance without time for its JIT call waits under its claim and the next attempt registers it`,
    // The kept instance's job waits for its claim's lease (121 s) and a 25-s JIT call more.
    bounds: { timeToRunnerSeconds: 300 },
    world: {
      scaleUpEnvironments: 3,
      interleave: {
        seed: 1,
        slowCall: (call) => {
          if (call.what.includes("generate-jitconfig")) return JIT_MS;
          if (call.invocation.fn === "scale-up" && call.what === "aws ec2" && fleets++ === 0) return FIRST_FLEET_MS;
          return 0;
        },
      },
    },
    script: (w) => {
      fleets = 0;
      // The kept instance's job alone first: with others queued beside it, the first runner up takes it
      // (GitHub hands a job to any matching runner) and the kept instance is wasted (docs/reliability.md).
      w.at(0, () => void w.queueJobs(1));
      for (let i = 0; i < 2; i += 1) w.at(5 * MINUTE + i * 3_000, () => void w.queueJobs(1));
    },
    evidence: (report, w) => {
      const d = details(report);
      // No JIT call was aborted: 25 s is within the JIT deadline on the world's clock (with the kit's
      // general 10 s, every call was aborted and no job ran).
      expect(d.schedule.deadlines["github request timeout"] ?? 0).toBe(0);
      // No invocation ran out of time: none was killed with an instance and no job naming it.
      expect(d.schedule.timedOut).toBe(0);
      expect(d.timeouts).toBe(0);
      // One instance per job, each configured and each running its job; one JIT registration each.
      expect(report.figures.runnersLaunched).toBe(3);
      expect(d.gitHub.jitConfigs).toBe(3);
      const sims = w.runnerSims();
      expect(sims.every((sim) => sim.configured && sim.ranJob)).toBe(true);
      // The kept instance: launched by one invocation, configured by a later one after the claim's lease.
      const kept = sims.filter((sim) => (sim.configuredAt ?? 0) - sim.instance.launchTime > 120_000);
      expect(kept).toHaveLength(1);
    },
  },
  {
    title: `slow GitHub beyond the JIT deadline: every JIT config takes 40 s (a fresh instance's deadline is ${BASE_JIT_DEADLINE_MS / 1000} s), 3 jobs at once: each instance is kept after its timed-out call, the next attempt deletes the late registration and waits longer`,
    // First attempt: 29-s deadline; the claim's lease (121 s); the second attempt: one GET, one DELETE, a 40-s POST.
    bounds: { wastedInstances: 0, timeToRunnerSeconds: 300 },
    world: {
      scaleUpEnvironments: 3,
      interleave: { seed: 2, slowCall: (call) => (call.what.includes("generate-jitconfig") ? SLOWER_JIT_MS : 0) },
    },
    script: (w) => {
      w.at(0, () => void w.queueJobs(3));
    },
    evidence: (report, w) => {
      const d = details(report);
      // Every first call hit its deadline (29 s), every second one was answered (40 s < its ~49 s).
      expect(d.schedule.deadlines["github request timeout"]).toBe(3);
      expect(d.schedule.timedOut).toBe(0);
      // One instance per job, none terminated for the timeout: each kept and configured on its second attempt.
      expect(report.figures.runnersLaunched).toBe(3);
      const sims = w.runnerSims();
      expect(sims.every((sim) => sim.configured && sim.ranJob)).toBe(true);
      expect(sims.every((sim) => (sim.configuredAt ?? 0) - sim.instance.launchTime > 120_000)).toBe(true);
      // GitHub acted on each timed-out POST (6 registrations, each name twice); the second attempt found
      // the late registration by name and deleted it before asking again (no 409, nothing left behind).
      expect(d.gitHub.jitConfigs).toBe(6);
      expect([...w.github.jitRequests.values()]).toEqual([2, 2, 2]);
      expect(d.gitHub.byRoute["DELETE /orgs/octo-org/actions/runners/{id}"]).toBe(3);
    },
  },
  {
    title: `slow GitHub on every path: every GitHub call takes ${EVERY_CALL_MS / 1000} s (GitHub's own limit is ${GITHUB_SERVER_TIMEOUT_SECONDS} s, our per-attempt timeout ${OCTOKIT_DEFAULTS.requestTimeoutMs / 1000} s), 4 jobs, the webhook healer on, a spot interruption of a busy runner: the reconciler and the healer still finish their runs, nothing busy is deregistered`,
    world: {
      env: { HEALER_MAX_GITHUB_CALLS: "30" },
      scaleUpEnvironments: 2,
      interleave: { seed: 3, slowCall: (call) => (call.what.startsWith("github") ? EVERY_CALL_MS : 0) },
    },
    script: (w) => {
      w.queueJobs(4, { repository: () => "octo-org/app-1" });
      const busy = () => w.runnerSims().find((sim) => sim.phase === "busy")?.instance.instanceId;
      w.once(
        () => busy() !== undefined,
        () => void w.spotInterrupt(busy() as string),
      );
    },
    evidence: (report, w) => {
      const d = details(report);
      // No call was given up on: 12 s is within the per-attempt timeout (at 10 s, every call was, and
      // every job was lost: 4 of 4, 0 runners in 10 h).
      expect(d.schedule.deadlines["github request timeout"] ?? 0).toBe(0);
      // Every reconcile run finished, the healer's listing included, without an error.
      expect(d.reconcileErrors).toBe(0);
      expect(healerTotals(w).calls).toBeGreaterThan(0);
      expect(healerTotals(w).errors).toBe(0);
      // The spot handler (30-s timeout) ran out of time in its third 12-s call, before deregistering
      // anything; GitHub refused no delete, and the reconciler re-ran the interrupted job once.
      expect(d.schedule.timedOut).toBe(1);
      expect(d.spotOutcomes[0].error).toMatch(/delete runner/);
      expect(d.gitHub.refusedDeletes).toBe(0);
      expect(d.reconcileTotals.rerun).toBe(1);
      expect([...w.github.jobs.values()].filter((job) => job.runAttempt === 2)).toHaveLength(1);
      expect(report.figures.runnersLaunched).toBe(5);
    },
  },
];
