import { expect } from "vitest";
import type { Scenario } from "./scenario.js";
import type { GitHubJob } from "./world/github.js";
import type { World } from "./world/world.js";

/**
 * GitHub hands a job to whichever matching runner asks first, not to the runner launched for it
 * (issue 15, "JIT runners that are never used"): a runner outside the kit can take it, and the kit's
 * JIT runner then stays registered and idle. The reconciler must deregister and terminate such runners
 * once the idle timeout has passed, and never one that took a job meanwhile.
 */

const MINUTE = 60_000;
const IDLE_TIMEOUT_SECONDS = 600;

/** Runners that came up with their configuration and never took a job, from the world's history. */
function neverUsed(w: World) {
  return w.runnerSims().filter((sim) => sim.configured && !sim.ranJob);
}

export const UNUSED_RUNNER_SCENARIOS: readonly Scenario[] = [
  {
    title:
      "JIT runners never used (2 of 4 jobs taken by runners outside the kit; watchdogs failed): the reconciler ends them after the idle timeout, not one that takes a late job 30 s before it confirms",
    // Idle for `RUNNER_IDLE_TIMEOUT_SECONDS` after the boot timeout; GitHub's busy flag lags a minute.
    world: { listingLagMs: MINUTE, env: { RUNNER_IDLE_TIMEOUT_SECONDS: String(IDLE_TIMEOUT_SECONDS) } },
    script: (w) => {
      w.noWatchdogFor = () => true;
      const jobs = w.queueJobs(4);
      // Before the kit's runners are online (about 40 s), two jobs go to long-lived runners of the
      // organization: two of the kit's four runners take the other two, two stay idle.
      w.at(10_000, () => {
        jobs.slice(0, 2).forEach((job, i) => w.github.takeElsewhere(job, `static-runner-${i + 1}`));
      });
      w.at(10_000 + 4 * MINUTE, () => jobs.slice(0, 2).forEach((job) => w.github.finishJob(job.id, "success")));
      // The reconciler first sees the unused runners idle at 25 min (boot timeout plus idle timeout after
      // their launch) and confirms at 30 min. Thirty seconds before that, a long job arrives: an idle
      // runner takes it at once, while the lagging listing still shows it idle and its `in_progress`
      // is 90 s late, so only GitHub's refusal to delete a busy runner keeps it. The runner launched for
      // the late job is never used either.
      w.github.webhookPlan = (job, action) => ({ delaysMs: [action === "in_progress" && job.id === late?.id ? 90_000 : 0] });
      let late: GitHubJob | undefined;
      w.at(29 * MINUTE + 30_000, () => {
        [late] = w.queueJobs(1, { durationMs: 10 * MINUTE });
      });
    },
    evidence: (report, w) => {
      const unused = neverUsed(w);
      // GitHub refused to delete the runner that had just taken the late job.
      expect((report.details.gitHub as { refusedDeletes: number }).refusedDeletes).toBeGreaterThanOrEqual(1);
      // One runner whose job went elsewhere (the other took the late job), and the late job's own runner.
      expect(unused).toHaveLength(2);
      for (const sim of unused) {
        // Ended by the reconciler's TerminateInstances (watchdogs failed), after the idle timeout, deregistered first.
        expect(sim.instance.endedBy).toMatch(/^terminate:/);
        expect(((sim.goneAt ?? 0) - (sim.configuredAt ?? 0)) / 1000).toBeGreaterThanOrEqual(IDLE_TIMEOUT_SECONDS);
        expect(w.github.registrations.get(sim.runnerId as number)?.deleted).toBe(true);
      }
      // Jobs that ran outside the kit, and an idle runner launched for another job that took the late one.
      const jobs = [...w.github.jobs.values()];
      expect(jobs.filter((job) => job.runnerName?.startsWith("static-runner-")).length).toBe(2);
      const late = jobs.at(-1);
      const taker = w.runnerSims().find((sim) => sim.jobId === late?.id);
      // ...a runner launched for another job, idle for the idle timeout and more, that the reconciler had not ended.
      expect(taker?.jobKey).not.toBe(`job#${String(late?.id)}#1`);
      expect(((late?.startedAt ?? 0) - (taker?.configuredAt ?? 0)) / 1000).toBeGreaterThan(IDLE_TIMEOUT_SECONDS);
      expect(taker?.instance.endedBy).toMatch(/^self: job done/);
    },
  },
];
