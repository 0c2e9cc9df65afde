import { instanceIdFromRunnerName } from "../../shared/core.js";
import type { JobMessage } from "../../shared/core.js";
import { carryRunnerInterruption } from "../../libs/ledger/interrupted-runner.js";
import type { LimitCounters } from "../../libs/ledger/port.js";
import type { Ledger } from "../../libs/ledger/port.js";
import { finishedPhase, jobKey, limitKeys } from "../../libs/ledger/phases.js";
import type { Phase } from "../../libs/ledger/phases.js";
import { jobFacts } from "../../libs/ledger/types.js";
import type { JobFacts } from "../../libs/ledger/types.js";
import type { JobProgress } from "../route.js";

/** What a `queued` sighting learned from its one write. */
export interface Sighting {
  /** This delivery holds the right to queue the job: it sends now. */
  readonly leased: boolean;
  /** The job's phase after the write. */
  readonly phase: Phase;
  /** The delivery that queued (or is queueing) the job. */
  readonly queuedBy: string | undefined;
}

/** What a progress event wrote. */
export interface ProgressOutcome {
  readonly phase: Phase | "unchanged";
  /** The phase was written by an earlier handling of the same delivery. */
  readonly redelivery: boolean;
}

/** The webhook's view of the job ledger. */
export interface JobBook {
  /**
   * Records a `queued` job and, in the same conditional write, takes the right to queue it for
   * `leaseMs`: true for exactly one of concurrent sightings (Ledger.receiveToQueue).
   */
  sighted(job: JobMessage, leaseMs: number, now: Date): Promise<Sighting>;
  /** Gives the lease back after a failed send, so the next sighting queues the job at once. */
  releaseQueueing(job: JobMessage, owner: string, now: Date): Promise<void>;
  /**
   * Records `in_progress` or `completed` in one write; resolves to the phase written, or "unchanged".
   * A redelivery of the delivery that wrote the phase (same `deliveryId`) gets that phase again, marked
   * `redelivery` (nothing new happened: nothing to count).
   */
  progressed(progress: JobProgress, deliveryId: string | undefined, now: Date): Promise<ProgressOutcome>;
}

const UNCHANGED: ProgressOutcome = { phase: "unchanged", redelivery: false };

export function ledgerJobBook(ledger: Ledger, counters: LimitCounters, prefix: string): JobBook {
  return {
    async sighted(job, leaseMs, now) {
      const facts = jobFacts(job);
      const sighting = await ledger.receiveToQueue(facts, job.deliveryId, leaseMs, now);
      return sighting.leased ? { leased: true, phase: "received", queuedBy: job.deliveryId } : { leased: false, phase: sighting.record.phase, queuedBy: sighting.record.queueLeaseOwner };
    },

    async releaseQueueing(job, owner, now) {
      await ledger.releaseQueueing(jobKey(job), owner, now);
    },

    async progressed(progress, deliveryId, now) {
      const facts = jobFacts(progress);
      // Only this deployment's runners can have been noted by the spot handler (issue 15).
      const instanceId = progress.runnerName === undefined ? undefined : instanceIdFromRunnerName(prefix, progress.runnerName);
      if (progress.action === "in_progress") {
        const started = await ledger.start(facts, progress.runnerName, now, deliveryId);
        if (instanceId !== undefined) await carryRunnerInterruption(ledger, jobKey(facts), progress.runnerName, now);
        if (started) return { phase: "running", redelivery: false };
        return (await writtenBy(facts, deliveryId, "startedBy")) ? { phase: "running", redelivery: true } : UNCHANGED;
      }
      const phase = finishedPhase(progress.conclusion);
      const changed = await ledger.finish(facts, phase, progress.conclusion, now, deliveryId);
      if (instanceId !== undefined && phase === "failed") await carryRunnerInterruption(ledger, jobKey(facts), progress.runnerName, now);
      // An ephemeral runner is gone once its job completes: free the limit slot of the job that
      // launched it (which may be another job: runners are not bound to jobs). Exactly once, through
      // the conditional clear of slotHeld; the reconciler frees what this misses.
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
      if (changed !== undefined) return { phase, redelivery: false };
      return (await writtenBy(facts, deliveryId, "finishedBy")) ? { phase, redelivery: true } : UNCHANGED;
    },
  };

  /**
   * Whether a refused progress write is a redelivery of the delivery that made it (one read, on that
   * path only): then it gets the first answer again, as GitHub's redelivery of a delivery should.
   */
  async function writtenBy(facts: JobFacts, deliveryId: string | undefined, field: "startedBy" | "finishedBy"): Promise<boolean> {
    if (deliveryId === undefined || deliveryId === "") return false;
    return (await ledger.get(jobKey(facts)))?.[field] === deliveryId;
  }
}
