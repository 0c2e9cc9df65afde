import { METRICS, childLogger, emitMetric, jobCorrelation, withCorrelation } from "../shared/index.js";
import type { JobMessage } from "../shared/index.js";
import { jobKey, refusedClaimOutcome, takeoverAction } from "../libs/ledger/phases.js";
import type { Ledger } from "../libs/ledger/port.js";
import { jobFacts } from "../libs/ledger/types.js";
import type { RunnerFleet } from "./adapters/ec2.js";
import type { RunnerItemExists } from "./adapters/runners-table.js";
import type { ScaleUpConfig } from "./config.js";
import type { DeferralKind } from "./plan.js";
import { ownerOf } from "./plan.js";
import { claimFollowsDeadAttempt, jitAttemptsBefore, keptInstanceReusable } from "./time-budget.js";

const log = childLogger("scale-up");

/** A job this invocation holds a claim on. */
export interface Claimed {
  readonly recordId: string;
  readonly job: JobMessage;
  readonly key: string;
  readonly token: string;
  readonly owner: string;
  /**
   * The instance an earlier attempt launched under this claim and kept, out of time for its JIT call
   * (takeoverAction "reuse"): it is registered instead of launching another, and holds its slots.
   */
  readonly instanceId?: string;
  /** A fresh launch replacing a kept instance too old to reuse: the slots reserved for that instance are its own. */
  readonly holdsSlots?: boolean;
  /** Attempts earlier claims made on the kept instance (time-budget.ts, `jitAttemptsBefore`): its JIT deadline grows with them. */
  readonly earlierAttempts?: number;
  /** Its previous claim's invocation died mid-launch: the instance is recorded before the JIT call (time-budget.ts). */
  readonly recordInstanceFirst?: boolean;
  /** Its GitHub write turn (epoch ms), a few seconds away: its JIT POST waits for it here (write-gate.ts). */
  readonly writeAt?: number;
}

/** The part of scale-up's dependencies claiming uses. */
export interface ClaimDeps {
  readonly config: ScaleUpConfig;
  readonly ledger: Ledger;
  readonly fleet: RunnerFleet;
  readonly runnerItemExists: RunnerItemExists;
  /** `arn:<partition>:ec2:<region>:<account>:instance/`, from the function's own ARN. */
  readonly instanceArnPrefix: string;
  /** A unique claim token. */
  readonly newToken: () => string;
}

/** A job with budget and a write token, in batch order. */
export interface ClaimCandidate {
  readonly recordId: string;
  readonly job: JobMessage;
  readonly writeAt?: number;
}

export interface ClaimOutcome {
  /** The jobs claimed, in batch order (limits go to the oldest records first). */
  readonly claimed: Claimed[];
  /** Jobs the ledger already holds as launched or ended: settled. */
  readonly duplicates: number;
  /** Expired claims whose crashed attempt had finished all but the last write: now launched. */
  readonly adopted: number;
}

/**
 * Claims every job in the ledger; only claimed jobs go on. A takeover of an expired claim adopts the
 * crashed attempt's runner, reuses its kept instance, or ends an instance too old to reuse. A job
 * another invocation holds, or a failed claim, waits (`wait`).
 */
export async function claimJobs(
  jobs: readonly ClaimCandidate[],
  deps: ClaimDeps,
  now: Date,
  wait: (recordId: string, kind: DeferralKind, reason: string) => void,
): Promise<ClaimOutcome> {
  const { config } = deps;
  const claimed: Claimed[] = [];
  let duplicates = 0;
  let adopted = 0;
  await Promise.all(
    jobs.map(({ recordId, job, writeAt }) => withCorrelation(jobCorrelation(job), async () => {
      const owner = ownerOf(job, config.scope, config.app.enterprise?.slug);
      const key = jobKey(job);
      const token = deps.newToken();
      try {
        const result = await deps.ledger.claim({ ...jobFacts(job), scopeOwner: owner }, token, config.claimLeaseSeconds * 1000, now);
        if (!result.claimed) {
          if (refusedClaimOutcome(result.record?.phase) === "duplicate") {
            duplicates += 1;
            emitMetric(METRICS.scaleUpJobsDeduplicated, 1, { Pool: job.pool });
            log.info("duplicate job settled", { jobId: job.jobId, runAttempt: job.runAttempt, phase: result.record?.phase });
          } else {
            wait(recordId, "in-flight", "another invocation is launching this job");
          }
          return;
        }
        // Only a takeover of an expired claim carries the instance its crashed attempt launched;
        // `instanceId` may be older (released or relaunched), gone or serving another job.
        const previous = result.record.claimInstanceId;
        if (previous !== undefined) {
          const written = result.record.runnerWritten === true || (await deps.runnerItemExists(`${deps.instanceArnPrefix}${previous}`));
          const action = takeoverAction({ instanceId: previous, runnerWritten: written });
          log.warn("took over an expired claim", { jobId: job.jobId, previous, action });
          if (action === "adopt") {
            // The crashed attempt finished everything but the last write: its runner is ours.
            await deps.ledger.markLaunched(key, token, now);
            adopted += 1;
            if (job.kind !== "warm") emitMetric(METRICS.jobsDispatched, 1, { Pool: job.pool });
            return;
          }
          if (keptInstanceReusable(result.record.events, previous, now, config.runnerBootTimeoutSeconds)) {
            // Reused: the instance still waits for a configuration and holds the slots reserved for it.
            const earlierAttempts = jitAttemptsBefore(result.record.events, previous);
            claimed.push({ recordId, job, key, token, owner, instanceId: previous, earlierAttempts, ...(writeAt === undefined ? {} : { writeAt }) });
            return;
          }
          // Too old to pick up a configuration before its boot timeout: ended (TerminateInstances is
          // idempotent) and replaced by a fresh instance that inherits its slots.
          log.warn("kept instance too old to reuse: replaced", { jobId: job.jobId, previous });
          await deps.fleet.terminate([previous]).catch((error: unknown) => log.warn("terminating an old kept instance failed", { error, previous }));
        }
        claimed.push({
          recordId,
          job,
          key,
          token,
          owner,
          ...(previous === undefined ? {} : { holdsSlots: true }),
          ...(claimFollowsDeadAttempt(result.record.events) ? { recordInstanceFirst: true } : {}),
          ...(writeAt === undefined ? {} : { writeAt }),
        });
      } catch (error) {
        log.error("claiming job failed", { error, jobId: job.jobId });
        wait(recordId, "launch-failed", "ledger unavailable");
      }
    })),
  );
  // Claims settle in any order; limits go to the oldest records of the batch first.
  const batchOrder = new Map(jobs.map(({ recordId }, index) => [recordId, index]));
  claimed.sort((a, b) => (batchOrder.get(a.recordId) ?? 0) - (batchOrder.get(b.recordId) ?? 0));
  return { claimed, duplicates, adopted };
}
