import { SCALE_UP_WRITE_TURN_WAIT_SECONDS } from "../../contracts/scale-up.js";
import { METRICS, UNKNOWN_DIMENSION_VALUE, childLogger, emitMetric, jobCorrelation, jobGroupId, parseJobMessage, withCorrelation } from "../shared/index.js";
import type { BudgetObservation } from "../shared/index.js";
import type { BudgetStore, Ledger, LimitCounters } from "../libs/ledger/port.js";
import { jobFacts } from "../libs/ledger/types.js";
import type { RunnerFleet } from "./adapters/ec2.js";
import type { RegisterRunner } from "./adapters/github.js";
import type { RunnerItemExists, WriteRunners } from "./adapters/runners-table.js";
import type { JobQueueControl } from "./adapters/sqs.js";
import type { ScaleUpConfig, ScaleUpPool } from "./config.js";
import type { SealJitConfig } from "./jit-seal.js";
import { launchGroupWithLimits } from "./launch-group.js";
import { claimJobs } from "./claims.js";
import type { Claimed } from "./claims.js";
import { assignApps, groupLaunches, triage } from "./plan.js";
import type { DeferralKind, ParsedRecord, Triage } from "./plan.js";
import { batchWaits, countWaits, sendBack, visibilityPlan } from "./deferrals.js";
import { separateBatchStart } from "./adapters/batch-start.js";
import type { ReadBatchStart } from "./adapters/batch-start.js";
import { appBudgets, budgetWorthSharing } from "./budget-share.js";
import { confirmStillQueued } from "./still-queued.js";
import type { WorkflowJobLookup } from "./still-queued.js";
import { governWrites } from "./write-gate.js";
import type { WriteGateDeps, WriteTurn } from "./write-gate.js";

const log = childLogger("scale-up");

/** An SQS record as scale-up needs it. */
export interface IncomingRecord {
  readonly id: string;
  readonly body: string;
  readonly receiptHandle: string;
  readonly receiveCount: number;
  readonly queueArn: string;
}

export interface ScaleUpDeps extends WriteGateDeps {
  readonly config: ScaleUpConfig;
  readonly ledger: Ledger;
  readonly counters: LimitCounters;
  readonly budgets: BudgetStore;
  /** The batch's first read: shared budgets and kept write turns in one call; absent: each from its store. */
  readonly readBatchStart?: ReadBatchStart;
  /** Budgets seen in answers of this execution environment (Octokit hook). */
  readonly observedBudgets: () => BudgetObservation[];
  readonly fleet: RunnerFleet;
  readonly registerRunner: RegisterRunner;
  readonly writeRunners: WriteRunners;
  /** Seals the JIT configuration for its instance before it is written (jit-seal.ts). */
  readonly sealJitConfig: SealJitConfig;
  readonly runnerItemExists: RunnerItemExists;
  readonly queue: JobQueueControl;
  /** GET .../actions/jobs/{job_id}: is an old message's job still queued (still-queued.ts)? */
  readonly lookupWorkflowJob: WorkflowJobLookup;
  readonly isDraining: () => Promise<boolean>;
  /** `arn:<partition>:ec2:<region>:<account>:instance/`, from the function's own ARN. */
  readonly instanceArnPrefix: string;
  readonly now: () => Date;
  /** Time left in this invocation (the Lambda context's `getRemainingTimeInMillis`); absent: unbounded. */
  readonly remainingMs?: () => number;
  /** Waits in the invocation (a JIT POST for a write turn a few seconds away); absent: a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** In [0, 1): jitter. */
  readonly random: () => number;
  /** A unique claim token. */
  readonly newToken: () => string;
  /** Where the round robin over Apps starts for this batch. */
  readonly appCursor: () => number;
}

/** What became of each record: settled (deleted from the queue) or waiting (comes back later). */
export interface BatchOutcome {
  /** Records to report as batch item failures, with their new visibility already set. */
  readonly retry: ReadonlySet<string>;
  readonly launched: number;
  readonly duplicates: number;
  /** Old messages whose jobs GitHub reports started, finished or gone: settled, not launched. */
  readonly noLongerQueued: number;
  readonly deferred: Readonly<Partial<Record<DeferralKind, number>>>;
  readonly deadLettered: number;
}

/** A job past triage, with the write turn its message kept when it last waited. */
type Candidate = Triage["candidates"][number] & { readonly writeTurn?: WriteTurn };

/**
 * One batch: triage, claim every job in the ledger, spend GitHub budget, reserve limit slots, launch
 * each (pool, owner) group with one CreateFleet (plus bounded fallbacks), register one JIT runner per
 * instance, then record every side effect. Order matters for crash safety (docs/reliability.md): the
 * instance id is in the ledger before its runner exists, and the runner item before the job is
 * `launched`, so a crash at any point is resumed by the redelivered message or undone by the reconciler.
 */
export async function processBatch(records: readonly IncomingRecord[], deps: ScaleUpDeps): Promise<BatchOutcome> {
  const { config } = deps;
  const now = deps.now();
  const byId = new Map(records.map((record) => [record.id, record]));
  // The records that wait, and the claims they give back or keep (deferrals.ts).
  const { waits, wait, giveBack, keep } = batchWaits(deps.ledger, now, config.claimLeaseSeconds);
  let deadLettered = 0;

  const parsed = records.map((record): ParsedRecord => {
    try {
      return { recordId: record.id, receiveCount: record.receiveCount, job: parseJobMessage(record.body) };
    } catch (error) {
      return { recordId: record.id, receiveCount: record.receiveCount, invalid: error instanceof Error ? error.message : String(error) };
    }
  });
  // A failed read throws: the whole batch comes back, and nothing was done yet.
  const draining = await deps.isDraining();
  const sorted = triage({ records: parsed, pools: config.pools, draining, now, maxJobAgeSeconds: config.maxJobAgeSeconds, admission: config.admission });

  const poolEntryOfRecord = (record: IncomingRecord): [string, ScaleUpPool] | undefined =>
    Object.entries(config.pools).find(([, pool]) => pool.queueArn === record.queueArn);
  const poolOfRecord = (record: IncomingRecord): ScaleUpPool | undefined => poolEntryOfRecord(record)?.[1];
  /** The pool dimension of a record: the pool whose queue it came from. */
  const poolKeyOf = (recordId: string): string => poolEntryOfRecord(byId.get(recordId) as IncomingRecord)?.[0] ?? UNKNOWN_DIMENSION_VALUE;
  const toDeadLetter = async (recordId: string, reason: string, groupId: string): Promise<void> => {
    const record = byId.get(recordId) as IncomingRecord;
    const pool = poolOfRecord(record);
    try {
      if (pool === undefined) throw new Error(`no pool reads queue ${record.queueArn}`);
      await deps.queue.deadLetter(pool.deadLetterQueueUrl, { id: record.id, body: record.body, groupId }, reason);
      deadLettered += 1;
      emitMetric(METRICS.jobsDeadLettered, 1, { Pool: poolKeyOf(recordId) });
      emitMetric(METRICS.jobsDispatchFailed, 1, { Pool: poolKeyOf(recordId) });
    } catch (error) {
      // Left on the queue: the redrive policy moves it after maxReceiveCount if this keeps failing.
      log.error("moving to the dead-letter queue failed", { error, recordId });
      wait(recordId, "launch-failed", reason);
    }
  };
  for (const miss of sorted.rejected) {
    log.error("job rejected", { recordId: miss.recordId, reason: miss.reason });
    await toDeadLetter(miss.recordId, `rejected: ${miss.reason}`, miss.recordId);
  }
  for (const miss of sorted.expired) {
    await withCorrelation(jobCorrelation(miss.job), async () => {
      log.error("job expired", { recordId: miss.recordId, reason: miss.reason });
      try {
        await deps.ledger.expire(jobFacts(miss.job), miss.reason, now);
      } catch (error) {
        log.warn("recording expiry failed", { error });
      }
      await toDeadLetter(miss.recordId, `expired: ${miss.reason}`, jobGroupId(miss.job));
    });
  }
  for (const miss of sorted.refused) {
    await withCorrelation(jobCorrelation(miss.job), async () => {
      log.warn("job refused", { recordId: miss.recordId, reason: miss.kind, detail: miss.reason });
      emitMetric(METRICS.jobsRefused, 1, { Pool: miss.job.pool, Reason: miss.kind });
      try {
        await deps.ledger.expire(jobFacts(miss.job), `refused: ${miss.reason}`, now);
      } catch (error) {
        log.warn("recording the refusal failed", { error });
      }
      await toDeadLetter(miss.recordId, `refused: ${miss.reason}`, jobGroupId(miss.job));
    });
  }
  for (const miss of sorted.deferred) wait(miss.recordId, miss.kind, miss.reason);

  // GitHub budget: a JIT config costs one request; keep the reserve, wait for the reset beyond it. The
  // shared budgets and the turns kept by redelivered messages come in one read (adapters/batch-start.ts).
  const appIds = [config.app.appId, ...config.app.additionalApps.map((app) => app.appId)];
  const redelivered = deps.writeGovernor === undefined ? [] : sorted.candidates.map(({ recordId }) => recordId).filter((id) => (byId.get(id)?.receiveCount ?? 1) > 1);
  const start = await (deps.readBatchStart ?? separateBatchStart(deps.budgets, deps.writeGovernor))(appIds, redelivered).catch((error: unknown) => {
    log.warn("loading budgets and kept write turns failed", { error });
    return { budgets: [], turns: new Map<string, WriteTurn>(), lines: new Map<number, number>() };
  });
  const stored = new Map(start.budgets.map((record) => [record.appId, record]));
  const budgets = appBudgets(appIds, start.budgets, deps.observedBudgets(), now);
  // Budget and write tokens are decided before any claim: a job that waits for either costs no claim
  // and no release (docs/performance.md, "Calls per runner").
  const assignment = assignApps(budgets, sorted.candidates.length, config.gitHubMinRemaining, deps.appCursor());
  const appOf = new Map<string, number>();
  const withBudget: Candidate[] = [];
  for (const [index, candidate] of sorted.candidates.entries()) {
    const appId = assignment.appIds[index];
    if (appId === undefined) {
      wait(candidate.recordId, "budget", "GitHub API budget is low", assignment.resetInSeconds(now));
      emitMetric(METRICS.jobsDeferredForBudget, 1, { Pool: candidate.job.pool });
      continue;
    }
    appOf.set(candidate.recordId, appId);
    const writeTurn = start.turns.get(candidate.recordId);
    withBudget.push(writeTurn === undefined ? candidate : { ...candidate, writeTurn });
  }

  // The shared GitHub write bucket of each App: one token per JIT config POST (write-gate.ts).
  const withTokens = await governWrites(
    withBudget,
    appOf,
    appIds,
    deps,
    now,
    // The visibility is set at the end of the invocation: the turn, not the wait's length, is kept.
    (candidate, waitSeconds) => wait(candidate.recordId, "write-rate", "GitHub write rate: waiting for its turn", waitSeconds, now.getTime() + waitSeconds * 1000),
    SCALE_UP_WRITE_TURN_WAIT_SECONDS * 1000,
    start.lines,
  );

  // Claim every job with budget and a write token; only claimed jobs go on (claims.ts).
  const { claimed, duplicates, adopted } = await claimJobs(withTokens, deps, now, wait);

  // An old message's job may have been taken or finished since: one GET each for the jobs granted
  // slots (launch-group.ts), so that messages waiting for a limit cost no GitHub call.
  let noLongerQueued = 0;
  const confirm = async (jobs: readonly Claimed[]): Promise<readonly Claimed[]> => {
    const confirmed = await confirmStillQueued(jobs, {
      deps,
      now,
      graceSeconds: config.stillQueuedGraceSeconds,
      factsOf: jobFacts,
      giveBack: (job, reason) => giveBack(job, "launch-failed", reason),
    });
    noLongerQueued += confirmed.settled.length;
    return confirmed.launch;
  };
  const claimOf = new Map(claimed.map((job) => [job.recordId, job]));
  const groups = groupLaunches(claimed, config.scope, config.app.enterprise?.slug);
  const results = await Promise.all(
    groups.map((group) => launchGroupWithLimits(group, { deps, now, claimOf, appOf, giveBack, keep, confirmStillQueued: confirm })),
  );
  const launched = adopted + results.reduce((sum, n) => sum + n, 0);

  // Shared only when the figure can change another environment's decision (budget-share.ts).
  const worthSharing = deps.observedBudgets().filter((b) => budgetWorthSharing(b, stored.get(b.appId), config.gitHubMinRemaining, now.getTime() / 1000));
  if (worthSharing.length > 0) {
    try {
      await deps.budgets.save(worthSharing.map((b) => ({ ...b })));
    } catch (error) {
      log.warn("saving budgets failed", { error });
    }
  }
  for (const b of deps.observedBudgets()) emitMetric(METRICS.gitHubBudgetRemaining, b.remaining, { App: String(b.appId) });

  // Waiting records sleep for their back-off, or until their turn, instead of the queue's visibility timeout.
  const plan = visibilityPlan(
    waits,
    new Map(records.map((record) => [record.id, { receiptHandle: record.receiptHandle, receiveCount: record.receiveCount, queueUrl: poolOfRecord(record)?.queueUrl }])),
    deps.now().getTime(),
    config.backoff,
    deps.random,
  );
  countWaits(waits, poolKeyOf);
  await sendBack(deps.queue, plan);
  log.info("batch settled", { records: records.length, launched, duplicates, noLongerQueued, deadLettered, deferred: plan.counts });
  return { retry: new Set(waits.keys()), launched, duplicates, noLongerQueued, deferred: plan.counts, deadLettered };
}
