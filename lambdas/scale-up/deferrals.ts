import { METRICS, childLogger, emitMetric } from "../shared/index.js";
import type { Ledger } from "../libs/ledger/port.js";
import type { DeferredMessage, JobQueueControl } from "./adapters/sqs.js";
import type { Claimed } from "./claims.js";
import { deferralSeconds } from "./plan.js";
import type { BackoffSettings, DeferralKind } from "./plan.js";

/**
 * The records of a batch that wait and come back later (deferrals): why each waits, what happens to a
 * claim it held, and the visibility it sleeps for instead of the queue's default timeout.
 */

const log = childLogger("scale-up");

/** Why a record waits, and what its wait is measured from. */
export interface RecordWait {
  readonly kind: DeferralKind;
  readonly reason: string;
  /** Seconds until the budget's reset (budget), the turn (write-rate) or the lease's end (out-of-time). */
  readonly resetInSeconds?: number;
  /** Epoch ms: the wait ends then, however long the invocation still runs (a write turn). */
  readonly until?: number;
}

/** The waits of one batch, filled as its records are decided. */
export interface BatchWaits {
  /** Records that wait, by record id; the last decision for a record wins. */
  readonly waits: ReadonlyMap<string, RecordWait>;
  wait(recordId: string, kind: DeferralKind, reason: string, resetInSeconds?: number, until?: number): void;
  /**
   * The record waits and its claim goes back, except a claim that keeps its instance (a job that only
   * waits for a limit): the takeover registers that instance. A failed launch has terminated it.
   */
  giveBack(job: Claimed, kind: DeferralKind, reason: string): Promise<void>;
  /** The claim is kept, with its instance recorded on it: the message comes back once the lease has run out, for the takeover. */
  keep(job: Claimed, reason: string): void;
}

export function batchWaits(ledger: Pick<Ledger, "release">, now: Date, claimLeaseSeconds: number): BatchWaits {
  const waits = new Map<string, RecordWait>();
  const wait: BatchWaits["wait"] = (recordId, kind, reason, resetInSeconds, until) => {
    waits.set(recordId, { kind, reason, ...(resetInSeconds === undefined ? {} : { resetInSeconds }), ...(until === undefined ? {} : { until }) });
  };
  return {
    waits,
    wait,
    async giveBack(job, kind, reason) {
      wait(job.recordId, kind, reason);
      if (job.instanceId !== undefined && kind !== "launch-failed") return;
      try {
        await ledger.release(job.key, job.token, reason, now);
      } catch (error) {
        // The claim's lease runs out instead; the next delivery takes it over.
        log.warn("releasing claim failed", { error, jobId: job.job.jobId });
      }
    },
    keep(job, reason) {
      wait(job.recordId, "out-of-time", reason, claimLeaseSeconds + 1);
    },
  };
}

/** A waiting record as its visibility change needs it. */
export interface WaitingRecord {
  readonly receiptHandle: string;
  readonly receiveCount: number;
  /** The queue of the pool it came from; absent: no pool reads its queue, and the queue default applies. */
  readonly queueUrl?: string;
}

/** Each waiting record's visibility (seconds), grouped by queue: one ChangeMessageVisibilityBatch per queue and 10 records. */
export interface VisibilityPlan {
  readonly byQueue: ReadonlyMap<string, ReadonlyArray<DeferredMessage & { readonly recordId: string }>>;
  readonly counts: Readonly<Partial<Record<DeferralKind, number>>>;
}

/**
 * How long each waiting record sleeps, decided when the batch settles (`settledAt`, epoch ms): a wait
 * with an end (`until`, a write turn) keeps that end, not its length, however long the invocation ran;
 * the others back off by kind and receive count with jitter (plan.ts, deferralSeconds). `random` is
 * drawn once per waiting record, in order.
 */
export function visibilityPlan(
  waits: ReadonlyMap<string, RecordWait>,
  records: ReadonlyMap<string, WaitingRecord>,
  settledAt: number,
  backoff: BackoffSettings,
  random: () => number,
): VisibilityPlan {
  const counts: Partial<Record<DeferralKind, number>> = {};
  const byQueue = new Map<string, Array<DeferredMessage & { recordId: string }>>();
  for (const [recordId, wait] of waits) {
    const record = records.get(recordId) as WaitingRecord;
    counts[wait.kind] = (counts[wait.kind] ?? 0) + 1;
    const resetIn = wait.until === undefined ? wait.resetInSeconds : (wait.until - settledAt) / 1000;
    const seconds = deferralSeconds(wait.kind, record.receiveCount, backoff, random(), resetIn);
    if (record.queueUrl === undefined) continue;
    byQueue.set(record.queueUrl, [...(byQueue.get(record.queueUrl) ?? []), { recordId, receiptHandle: record.receiptHandle, seconds }]);
  }
  return { byQueue, counts };
}

/**
 * Sends the waiting records back for their visibility (one ChangeMessageVisibilityBatch per queue and
 * 10 records, instead of one call per record); a refused or failed change leaves the queue default.
 */
export async function sendBack(queue: JobQueueControl, plan: VisibilityPlan): Promise<void> {
  await Promise.all(
    [...plan.byQueue].map(async ([queueUrl, messages]) => {
      try {
        const refused = await queue.defer(queueUrl, messages);
        if (refused.length > 0) log.warn("setting visibility refused; the queue default applies", { refused: refused.length });
      } catch (error) {
        log.warn("setting visibility failed; the queue default applies", { error, records: messages.map((m) => m.recordId) });
      }
    }),
  );
}

/** One `JobsDeferred` metric per waiting record, by pool and reason. */
export function countWaits(waits: ReadonlyMap<string, RecordWait>, poolOf: (recordId: string) => string): void {
  for (const [recordId, wait] of waits) emitMetric(METRICS.jobsDeferred, 1, { Pool: poolOf(recordId), Reason: wait.kind });
}
