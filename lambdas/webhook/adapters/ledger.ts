import { instanceIdFromRunnerName } from "../../shared/core.js";
import type { JobMessage } from "../../shared/core.js";
import type { LimitCounters } from "../../libs/ledger/port.js";
import type { Ledger } from "../../libs/ledger/port.js";
import { finishedPhase, jobKey, limitKeys } from "../../libs/ledger/phases.js";
import type { Phase } from "../../libs/ledger/phases.js";
import type { JobProgress } from "../route.js";

/** The webhook's view of the job ledger. */
export interface JobBook {
  /**
   * Records a `queued` job; resolves to the phase the ledger holds afterwards and whether an earlier
   * delivery already put the job on its queue.
   */
  received(job: JobMessage, now: Date): Promise<{ readonly phase: Phase; readonly queued: boolean }>;
  /**
   * Takes the right to queue the job for `leaseMs` (one conditional write): true for exactly one of
   * concurrent sightings; false when another holds a live lease or the job is queued or past received.
   */
  leaseQueueing(job: JobMessage, owner: string, leaseMs: number, now: Date): Promise<boolean>;
  /** Gives the lease back after a failed send, so the next sighting queues the job at once. */
  releaseQueueing(job: JobMessage, owner: string, now: Date): Promise<void>;
  /** Records that the job's message is on the queue (ends the lease). */
  queued(job: JobMessage, now: Date): Promise<void>;
  /** Records `in_progress` or `completed`; resolves to the phase written, or "unchanged". */
  progressed(progress: JobProgress, now: Date): Promise<Phase | "unchanged">;
}

export function ledgerJobBook(ledger: Ledger, counters: LimitCounters, prefix: string): JobBook {
  return {
    async received(job, now) {
      const record = await ledger.receive(
        {
          jobId: job.jobId,
          runAttempt: job.runAttempt,
          runId: job.runId,
          repository: job.repository,
          org: job.owner,
          pool: job.pool,
          installationId: job.installationId,
          labels: job.labels,
        },
        job.deliveryId,
        now,
      );
      return { phase: record.phase, queued: record.queuedAt !== undefined };
    },

    leaseQueueing: (job, owner, leaseMs, now) => ledger.leaseQueueing(jobKey(job), owner, leaseMs, now),

    async releaseQueueing(job, owner, now) {
      await ledger.releaseQueueing(jobKey(job), owner, now);
    },

    async queued(job, now) {
      await ledger.markQueued(jobKey(job), now);
    },

    async progressed(progress, now) {
      const facts = {
        jobId: progress.jobId,
        runAttempt: progress.runAttempt,
        runId: progress.runId,
        repository: progress.repository,
        org: progress.owner,
        pool: progress.pool,
        installationId: progress.installationId,
        labels: progress.labels,
      };
      if (progress.action === "in_progress") {
        return (await ledger.start(facts, progress.runnerName, now)) ? "running" : "unchanged";
      }
      const phase = finishedPhase(progress.conclusion);
      const changed = await ledger.finish(facts, phase, progress.conclusion, now);
      // An ephemeral runner is gone once its job completes: free the limit slot of the job that
      // launched it (which may be another job: runners are not bound to jobs). Exactly once, through
      // the conditional clear of slotHeld; the reconciler frees what this misses.
      const instanceId = progress.runnerName === undefined ? undefined : instanceIdFromRunnerName(prefix, progress.runnerName);
      if (instanceId !== undefined) {
        const launchedFor = await ledger.jobOfInstance(instanceId);
        if (launchedFor !== undefined) {
          const released = await ledger.releaseSlot(launchedFor, instanceId, now);
          if (released !== undefined && released.pool !== undefined && released.scopeOwner !== undefined) {
            const keys = limitKeys(released.pool, released.scopeOwner);
            await Promise.all([counters.release(keys.global, 1), counters.release(keys.pool, 1), counters.release(keys.owner, 1)]);
            // A warm runner's synthetic job ends with the runner's only job.
            if (released.kind === "warm") await ledger.finish({ jobId: released.jobId, runAttempt: released.runAttempt, kind: "warm" }, "completed", "warm runner used", now);
          }
        }
      }
      return changed === undefined ? "unchanged" : phase;
    },
  };
}
