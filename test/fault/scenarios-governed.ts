import { expect } from "vitest";
import { inputDefault } from "../../stacks/module/inputs.js";
import type { Scenario } from "./scenario.js";
import type { ScenarioReport } from "./world/world.js";

// The GitHub write governor's scenarios (test/fault/governor.test.ts), apart from the reliability
// table: the two 1,000-job bursts whose times are the bench's figures (bench/governor.ts), and a small
// guard that runs in every `npm test` so the governed path cannot stop working unnoticed.

const MINUTE = 60_000;

/** The governor's default rate per App (the `github_writes_per_minute` input). */
const WRITES_PER_MINUTE_PER_APP = Number(inputDefault("github_writes_per_minute"));
/** The governor's bucket per App (the `github_write_burst` input): writes allowed at once after a quiet period. */
const WRITE_BURST = Number(inputDefault("github_write_burst"));

interface GovernedBurst {
  readonly title: string;
  readonly jobs: number;
  readonly apps: number;
  /** The governor's rate per App; the input's default unless set. */
  readonly writesPerMinute: number;
  /** The fastest the governor may let the last runner be configured, in seconds. */
  readonly floorSeconds: number;
  readonly heavy: boolean;
}

/**
 * `jobs` at once with room for all of them: only GitHub's write rate paces the launches. The scale-up
 * environments stand for the function's concurrency: 4, the low side of what Lambda runs (a
 * `scale_up_reserved_concurrency` of 4 allows exactly this). The JIT POSTs are paced by the shared
 * governor alone (Octokit's per-environment spacing is off for them), so an environment configures its
 * granted jobs at once. The limit-implied minimum is jobs ÷ (Apps × the rate); the slowest job must
 * have its runner within twice that, so a job left to the reconciler (its next round, 5 minutes on)
 * fails the scenario. GitHub enforces its documented secondary limits (world/limits.ts) and must never
 * have to refuse a request.
 */
function governedBurst(burst: GovernedBurst): Scenario {
  const minimumSeconds = (burst.jobs / (burst.apps * burst.writesPerMinute)) * 60;
  const rate: Record<string, string> = burst.writesPerMinute === WRITES_PER_MINUTE_PER_APP ? {} : { GITHUB_WRITES_PER_MINUTE: String(burst.writesPerMinute) };
  return {
    title: burst.title,
    bounds: { timeToRunnerSeconds: Math.ceil(2 * minimumSeconds) },
    heavy: burst.heavy,
    timeoutMs: burst.heavy ? 1_800_000 : 600_000,
    world: {
      scaleUpEnvironments: 4,
      apps: burst.apps,
      jobDurationMs: MINUTE,
      pools: { linux: { labels: ["linux", "x64"], maxRunners: 1000 } },
      env: { MAX_RUNNERS_TOTAL: "1000", MAX_RUNNERS_PER_OWNER: "1000", ...rate },
    },
    script: (w) => {
      w.ec2.describePageSize = 100;
      w.queueJobs(burst.jobs);
    },
    evidence: (report: ScenarioReport) => {
      const gitHub = (report.details as { gitHub: { secondaryLimited: number; jitConfigs: number } }).gitHub;
      expect(report.figures.gitHub403s).toBe(0);
      expect(gitHub.secondaryLimited).toBe(0);
      expect(gitHub.jitConfigs).toBeGreaterThanOrEqual(burst.jobs);
      // The governor never let the fleet go faster than its rate (plus the bucket's first burst per App).
      expect(report.figures.timeToLastRunnerSeconds).toBeGreaterThanOrEqual(burst.floorSeconds);
      // How close it came to the minimum is a benchmark figure (bench/governor.ts prints it beside the
      // target, within 10 %), not a timed assertion.
    },
  };
}

/** 1,000 jobs, 1 or 3 Apps at the default rate: the bench's figures (time to last runner, GitHub 403s). */
function thousandJobs(apps: number): Scenario {
  const minimumSeconds = (1000 / (apps * WRITES_PER_MINUTE_PER_APP)) * 60;
  return governedBurst({
    title: `1,000-job burst paced by the GitHub write governor, ${apps} App${apps === 1 ? "" : "s"} (limit-implied minimum ${Math.round(minimumSeconds)} s)`,
    jobs: 1000,
    apps,
    writesPerMinute: WRITES_PER_MINUTE_PER_APP,
    floorSeconds: minimumSeconds * 0.9,
    heavy: true,
  });
}

/** The 1,000-job bursts, run with FAULT_GOVERNOR=1 (minutes each). */
export const GOVERNED_SCENARIOS: readonly Scenario[] = [thousandJobs(3), thousandJobs(1)];

const GUARD_JOBS = 100;
const GUARD_WRITES_PER_MINUTE = 40;

/**
 * Always on: 100 jobs, 1 App at 40 writes a minute (150 s limit-implied minimum, 300 s bound, before
 * the reconciler's first round would requeue a forgotten job). Every job gets its runner, and the last
 * no sooner than the bucket's first burst plus one write every 1.5 s allow (135 s, less 5 %): the governor paces
 * and launches everything. Its title leaves it out of the bench's FAULT_ONLY.
 */
export const GOVERNOR_GUARD: Scenario = governedBurst({
  title: `${GUARD_JOBS}-job burst at ${GUARD_WRITES_PER_MINUTE} GitHub writes a minute, 1 App: the governor paces the JIT configurations and every job gets its runner`,
  jobs: GUARD_JOBS,
  apps: 1,
  writesPerMinute: GUARD_WRITES_PER_MINUTE,
  // 95 %: the turns fall exactly on the floor (135 s measured); unpaced, the last would come in seconds.
  floorSeconds: ((GUARD_JOBS - WRITE_BURST) / GUARD_WRITES_PER_MINUTE) * 60 * 0.95,
  heavy: false,
});
