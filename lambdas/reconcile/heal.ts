/**
 * The webhook healer, one step of each reconcile round (docs/healer.md). GitHub does not redeliver a
 * failed delivery by itself, so a `queued` delivery answered 5xx, throttled or never sent is a job
 * without a runner. Two passes, within one budget of GitHub calls per round:
 * 1. the App's delivery log since the last mark: failed `workflow_job` deliveries are redelivered,
 *    each at most once (a claim per event GUID in the ledger table);
 * 2. for repositories the ledger saw recently, the jobs GitHub still reports queued that the ledger
 *    never saw are queued through the webhook's own path (ledger lease, same message and ids).
 */
import { METRICS, childLogger, emitMetric } from "../shared/index.js";
import type { JobMessage } from "../shared/index.js";
import type { HealerState } from "../libs/ledger/healer-state.js";
import type { DeliveryLog, QueuedJobsSource } from "./adapters/deliveries.js";
import { REDELIVERY_HORIZON_MS, RECENT_REPOSITORY_MS, deliveriesToRedeliver, nextCursor, queuedJobMessages, scanPlan } from "./heal-plan.js";
import type { DeliveryAttempt, ScanOutcome } from "./heal-plan.js";

const log = childLogger("reconcile.heal");

export interface HealDeps {
  /** GitHub calls per round, both passes together; 0 turns the healer off. */
  readonly maxCalls: number;
  readonly state: HealerState;
  readonly deliveries: DeliveryLog;
  readonly queuedJobs: QueuedJobsSource;
  readonly pools: Readonly<Record<string, { readonly labels: readonly string[] }>>;
  /** The webhook's enqueue path (ledger lease, SendMessage, markQueued): "queued" when this call sent it. */
  readonly enqueue: (pool: string, job: JobMessage) => Promise<"queued" | "duplicate">;
  readonly now: () => Date;
}

export interface HealSummary {
  readonly calls: number;
  readonly redelivered: number;
  readonly recovered: number;
  readonly errors: number;
}

/** A countdown of GitHub calls; every call is counted before it is made. */
class CallBudget {
  used = 0;
  constructor(readonly limit: number) {}
  take(): boolean {
    if (this.used >= this.limit) return false;
    this.used += 1;
    return true;
  }
}

export async function heal(deps: HealDeps): Promise<HealSummary> {
  if (deps.maxCalls <= 0) return { calls: 0, redelivered: 0, recovered: 0, errors: 0 };
  // Half the budget for the delivery log; what it leaves goes to the queued-jobs check.
  const deliveryBudget = new CallBudget(Math.ceil(deps.maxCalls / 2));
  const first = await redeliverFailed(deps, deliveryBudget).catch((error: unknown) => {
    log.error("healing failed deliveries failed", { error });
    return { redelivered: 0, errors: 1 };
  });
  const queuedBudget = new CallBudget(deps.maxCalls - deliveryBudget.used);
  const second = await recoverQueued(deps, queuedBudget).catch((error: unknown) => {
    log.error("checking queued jobs failed", { error });
    return { recovered: 0, errors: 1 };
  });
  const summary = { calls: deliveryBudget.used + queuedBudget.used, redelivered: first.redelivered, recovered: second.recovered, errors: first.errors + second.errors };
  emitMetric(METRICS.healerGitHubCalls, summary.calls);
  emitMetric(METRICS.deliveriesRedelivered, summary.redelivered);
  log.info("healer finished", { summary });
  return summary;
}

async function redeliverFailed(deps: HealDeps, budget: CallBudget): Promise<{ redelivered: number; errors: number }> {
  const now = deps.now();
  const cursor = await deps.state.loadCursor();
  const plan = scanPlan(cursor, now);
  const attempts: DeliveryAttempt[] = [];
  let outcome: ScanOutcome = { complete: false };
  let pageCursor = plan.startCursor;
  // Reading pages leaves at least one call for a redelivery.
  while (budget.limit - budget.used > 1 && budget.take()) {
    const page = await deps.deliveries.page(pageCursor);
    attempts.push(...page.attempts);
    const newestSeen = outcome.newestSeen ?? page.attempts[0]?.deliveredAt;
    const reachedUntil = page.attempts.some((attempt) => attempt.deliveredAt < plan.until);
    outcome = { ...(newestSeen === undefined ? {} : { newestSeen }), complete: reachedUntil || page.nextCursor === undefined, ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }) };
    if (outcome.complete) break;
    pageCursor = page.nextCursor;
  }
  if (outcome.newestSeen === undefined && !outcome.complete) return { redelivered: 0, errors: 0 };
  const wanted = deliveriesToRedeliver(attempts.filter((attempt) => attempt.deliveredAt >= plan.until), now);
  let redelivered = 0;
  let errors = 0;
  let unfinished = false;
  for (const attempt of wanted) {
    if (budget.used >= budget.limit) {
      unfinished = true;
      break;
    }
    // The claim comes before the call: of two runs, or a run and its retry, only one asks GitHub.
    if (!(await deps.state.claimRedelivery(attempt.guid, attempt.id, now, new Date(Date.parse(attempt.deliveredAt) + REDELIVERY_HORIZON_MS)))) continue;
    budget.take();
    try {
      await deps.deliveries.redeliver(attempt.id);
      redelivered += 1;
      log.info("delivery redelivered", { guid: attempt.guid, deliveryId: attempt.id, action: attempt.action });
    } catch (error) {
      // The claim stays: a delivery GitHub refused to redeliver is not asked for again; the queued-jobs check covers its job.
      errors += 1;
      log.warn("redelivery refused", { guid: attempt.guid, deliveryId: attempt.id, error });
    }
  }
  await deps.state.saveCursor(nextCursor(cursor, plan, outcome, !unfinished), now);
  return { redelivered, errors };
}

async function recoverQueued(deps: HealDeps, budget: CallBudget): Promise<{ recovered: number; errors: number }> {
  const now = deps.now();
  const repositories = await deps.state.recentRepositories(new Date(now.getTime() - RECENT_REPOSITORY_MS));
  let recovered = 0;
  let errors = 0;
  for (const repository of repositories) {
    const runIds = new Set<number>();
    for (const status of ["queued", "in_progress"] as const) {
      if (!budget.take()) return { recovered, errors };
      for (const runId of await deps.queuedJobs.runs(repository.repository, repository.installationId, status)) runIds.add(runId);
    }
    for (const runId of [...runIds].sort((a, b) => a - b)) {
      if (!budget.take()) return { recovered, errors };
      const jobs = await deps.queuedJobs.jobs(repository.repository, repository.installationId, runId);
      for (const message of queuedJobMessages(jobs, repository, deps.pools, now)) {
        try {
          if ((await deps.enqueue(message.pool, message)) !== "queued") continue;
          recovered += 1;
          emitMetric(METRICS.queuedJobsRecovered, 1, { Pool: message.pool });
          log.info("queued job recovered", { jobId: message.jobId, runAttempt: message.runAttempt, repository: message.repository, pool: message.pool });
        } catch (error) {
          errors += 1;
          log.error("queueing a recovered job failed", { jobId: message.jobId, error });
        }
      }
    }
  }
  return { recovered, errors };
}
