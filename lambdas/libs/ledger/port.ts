import type { Phase } from "./phases.js";
import type { BudgetRecord, ClaimResult, JobFacts, JobRecord, LedgerSnapshot } from "./types.js";

/** What one `queued` sighting got from {@link Ledger.receiveToQueue}. */
export type QueueSighting =
  /** This delivery holds the right to queue the job: it sends now (the write returns nothing, to parse nothing). */
  | { readonly leased: true }
  /** Another delivery queued the job, or it is past `received`: the job as it is. */
  | { readonly leased: false; readonly record: JobRecord };

/** The instance and runner a job was launched on. */
export interface LaunchedInstance {
  readonly instanceId: string;
  readonly runnerName: string;
}

/**
 * The job ledger (docs/reliability.md): one record per job attempt, moved between phases only by
 * conditional writes, plus small pointer, counter and budget items in the same table. Two stores
 * implement it with the same conditions: DynamoDB (dynamodb-store.ts) and memory (memory-store.ts);
 * one contract suite (test/lambdas/libs/ledger/ledger-contract.ts) runs against both.
 */
export interface Ledger {
  /** Records a `queued` job in `received` (facts where absent, the delivery id added); the job as it is afterwards. */
  receive(facts: JobFacts, deliveryId: string, now: Date): Promise<JobRecord>;
  /**
   * Webhook `queued`, one conditional write: records the job as `receive` does and, in the same write,
   * takes the right to queue it for `leaseMs` (`queuedAt`, lease owner = the delivery). Taken only when
   * the job is new, or `received` and never queued, or its sender's lease ran out inside
   * QUEUE_RESEND_WINDOW_MS of `queuedAt`: of concurrent sightings exactly one wins. A sighting that does
   * not win still adds its delivery id (a second write, on that path only) and gets the job as it is.
   */
  receiveToQueue(facts: JobFacts, deliveryId: string, leaseMs: number, now: Date): Promise<QueueSighting>;
  /** Webhook: gives a queueing lease back (the send failed), so the next sighting queues at once. */
  releaseQueueing(key: string, owner: string, now: Date): Promise<boolean>;
  /** Scale-up: take the job for `leaseMs`. Refused when it is past `launching` or claimed by a live lease. */
  claim(facts: JobFacts & { readonly scopeOwner: string }, token: string, leaseMs: number, now: Date): Promise<ClaimResult>;
  /** Scale-up: the instance launched for the claim (recorded before its runner exists, for crash recovery). */
  recordInstance(key: string, token: string, instanceId: string, runnerName: string, now: Date): Promise<boolean>;
  /**
   * Scale-up: the job's runner is registered (its configuration is written next); the job now holds its
   * limit slot. `instance` records the instance and runner on the job in the same write (scale-up's
   * launch; a takeover that adopts a crashed attempt's runner has them already).
   */
  markLaunched(key: string, token: string, now: Date, instance?: LaunchedInstance): Promise<boolean>;
  /**
   * Scale-up: give the claim back; the message is retried later. A job's reserved GitHub write turn is
   * not the ledger's: it is kept in a `turn#<messageId>` item (lambdas/libs/governor/port.ts).
   */
  release(key: string, token: string, reason: string, now: Date): Promise<boolean>;
  /**
   * Webhook `in_progress`: some runner took the job (`startedBy` = the delivery, when given). Returns
   * whether the phase changed.
   */
  start(facts: JobFacts, runnerName: string | undefined, now: Date, deliveryId?: string): Promise<boolean>;
  /**
   * Webhook `completed` (or the reconciler): returns the record as it was, when the phase changed
   * (`finishedBy` = the delivery, when given).
   */
  finish(facts: JobFacts, phase: Phase, conclusion: string | undefined, now: Date, deliveryId?: string): Promise<JobRecord | undefined>;
  /** Scale-up: the job cannot be served (too old, unreadable). */
  expire(facts: JobFacts, reason: string, now: Date): Promise<boolean>;
  /** Reconciler: the job goes back to `received` for a new runner; returns the record as it was. */
  relaunch(key: string, instanceId: string, reason: string, now: Date): Promise<JobRecord | undefined>;
  /** Clears `slotHeld` once; the record when this call released it (the caller then decrements the counters). */
  releaseSlot(key: string, instanceId: string, now: Date): Promise<JobRecord | undefined>;
  /** Marks the job running on an interrupted runner; a failure then gets a re-run. */
  markInterrupted(key: string, now: Date): Promise<boolean>;
  /** Spot handler: the runner was warned but could not be deregistered (the warning time kept, first write wins). */
  markRunnerInterrupted(runnerName: string, now: Date): Promise<void>;
  /** When the runner was warned, if {@link markRunnerInterrupted} recorded it. */
  runnerInterruptedAt(runnerName: string): Promise<Date | undefined>;
  /** Records that a re-run was requested, once. */
  markRerunRequested(key: string, now: Date): Promise<boolean>;
  get(key: string): Promise<JobRecord | undefined>;
  /** The job an instance was launched for, through its pointer item. */
  jobOfInstance(instanceId: string): Promise<string | undefined>;
  /** The job a runner is running, through its pointer item. */
  jobOfRunner(runnerName: string): Promise<string | undefined>;
  /** Every job in a non-terminal phase, paged. */
  activeJobs(): Promise<JobRecord[]>;
  /**
   * One paged scan for the reconciler: non-terminal jobs plus failed interrupted jobs not yet re-run,
   * idle sightings, and counter values.
   */
  snapshot(): Promise<LedgerSnapshot>;
  /** The reconciler queued a `received` job again (its message was lost): note it, and when. */
  noteRequeued(key: string, now: Date): Promise<boolean>;
  /** Remembers when an instance was first seen idle (kept if already there). */
  markIdleSeen(instanceId: string, now: Date): Promise<void>;
  clearIdleSeen(instanceId: string): Promise<void>;
}

/**
 * Limit counters: a counter counts runner instances launched and not yet gone; reserving is one
 * conditional write, so concurrent scale-up invocations can never take more than the limit together.
 * Drift from crashes between a reservation and its job's write is repaired by the reconciler's recount.
 */
export interface LimitCounters {
  /** Takes up to `wanted` units while staying <= `max`; resolves to the units granted (0..wanted). */
  reserve(key: string, wanted: number, max: number): Promise<number>;
  /** Gives units back (never below zero). */
  release(key: string, units: number): Promise<void>;
  /** Current values; absent counters are 0. */
  read(keys: readonly string[]): Promise<Map<string, number>>;
  /** Sets the counter to `actual` only if it still holds `observed` (a concurrent change wins). */
  recount(key: string, observed: number, actual: number): Promise<boolean>;
}

/**
 * The newest budget observation per App, shared by concurrent invocations. Kept per App rather than
 * per installation: a deployment usually serves one installation per App, and the JIT endpoint's
 * ceiling is per App.
 */
export interface BudgetStore {
  /** Keeps the newest observation per App. */
  save(records: readonly BudgetRecord[]): Promise<void>;
  load(appIds: readonly number[]): Promise<BudgetRecord[]>;
}
