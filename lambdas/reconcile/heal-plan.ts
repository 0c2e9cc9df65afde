/**
 * The webhook healer's decisions (heal.ts performs them), pure: which failed deliveries to ask GitHub
 * to redeliver, how far back to read the App's delivery log, and which jobs GitHub reports queued that
 * the ledger never saw. Imports no SDK.
 */
import type { JobMessage } from "../shared/index.js";
import type { DeliveryCursor } from "../libs/ledger/healer-state.js";
import { matchPool } from "../webhook/route.js";

/**
 * GitHub keeps deliveries redeliverable for 3 days on github.com (7 on GHES): "Redelivering webhooks",
 * GitHub Docs. The healer uses the shorter one whatever the host.
 */
export const REDELIVERY_HORIZON_MS = 3 * 24 * 60 * 60 * 1000;
/** Deliveries this close to the horizon are left alone: the redelivery request would race it. */
export const HORIZON_MARGIN_MS = 60 * 60 * 1000;
/** With no mark yet (first run), the log is read this far back; older failures predate the healer. */
export const INITIAL_LOOKBACK_MS = 60 * 60 * 1000;
/** The mark is set this much before the newest delivery read, so attempts listed late are read again (claims make that free). */
export const MARK_OVERLAP_MS = 2 * 60 * 1000;
/**
 * Redeliveries asked for per event at most: a redelivery that fails too (the outage goes on) may be
 * redelivered in turn, up to this many times; then only the queued-jobs check can still find the job.
 */
export const MAX_REDELIVERIES = 3;
/** A queued job younger than this may still have its delivery in flight: not recovered yet. */
export const QUEUED_GRACE_MS = 2 * 60 * 1000;
/** Repositories whose jobs reached the ledger this recently are checked for queued jobs (terminal ledger items live a day). */
export const RECENT_REPOSITORY_MS = 24 * 60 * 60 * 1000;

/** One delivery attempt of the App's webhook, as `GET /app/hook/deliveries` lists it. */
export interface DeliveryAttempt {
  readonly id: number;
  /** The event's GUID (X-GitHub-Delivery), shared by the original attempt and its redeliveries. */
  readonly guid: string;
  readonly deliveredAt: string;
  readonly redelivery: boolean;
  readonly statusCode: number;
  readonly event: string;
  readonly action: string | null;
}

/** How far this run reads the log: from `startCursor` (the top when absent) down to `until`. */
export interface ScanPlan {
  readonly startCursor?: string;
  readonly until: string;
  /** The newest attempt of a scan resumed from an earlier run (it becomes the mark when done). */
  readonly newest?: string;
}

export function scanPlan(cursor: DeliveryCursor, now: Date): ScanPlan {
  const floor = new Date(now.getTime() - REDELIVERY_HORIZON_MS + HORIZON_MARGIN_MS).toISOString();
  const atLeastFloor = (at: string) => (at < floor ? floor : at);
  if (cursor.resume !== undefined) return { startCursor: cursor.resume.cursor, until: atLeastFloor(cursor.resume.until), newest: cursor.resume.newest };
  return { until: atLeastFloor(cursor.mark ?? new Date(now.getTime() - INITIAL_LOOKBACK_MS).toISOString()) };
}

/** What a scan read: the newest attempt seen, and whether it reached `until` (else the cursor to go on from). */
export interface ScanOutcome {
  readonly newestSeen?: string;
  readonly complete: boolean;
  readonly nextCursor?: string;
}

/** The cursor to keep after a scan; `previous` is kept whole when the run could not redeliver all it found. */
export function nextCursor(previous: DeliveryCursor, plan: ScanPlan, outcome: ScanOutcome, allRedelivered: boolean): DeliveryCursor {
  if (!allRedelivered) return previous;
  const newest = plan.newest ?? outcome.newestSeen;
  if (outcome.complete || outcome.nextCursor === undefined) {
    if (newest === undefined) return previous.mark === undefined ? { mark: plan.until } : { mark: previous.mark };
    const overlapped = new Date(Date.parse(newest) - MARK_OVERLAP_MS).toISOString();
    return { mark: overlapped > plan.until ? overlapped : plan.until };
  }
  return {
    ...(previous.mark === undefined ? {} : { mark: previous.mark }),
    resume: { cursor: outcome.nextCursor, until: plan.until, newest: newest ?? plan.until },
  };
}

/**
 * The `workflow_job` deliveries to redeliver among the attempts read: every attempt of the event
 * failed (no 2xx) and fewer than MAX_REDELIVERIES were redeliveries; the newest attempt is the one
 * redelivered (its claim keeps it from being redelivered twice), inside the horizon. `queued` first
 * (a lost one is a job without a runner), then oldest first.
 */
export function deliveriesToRedeliver(attempts: readonly DeliveryAttempt[], now: Date): DeliveryAttempt[] {
  const floor = now.getTime() - REDELIVERY_HORIZON_MS + HORIZON_MARGIN_MS;
  const byGuid = new Map<string, DeliveryAttempt[]>();
  for (const attempt of attempts) byGuid.set(attempt.guid, [...(byGuid.get(attempt.guid) ?? []), attempt]);
  const failed: DeliveryAttempt[] = [];
  for (const group of byGuid.values()) {
    if (group.some((attempt) => attempt.statusCode >= 200 && attempt.statusCode < 300)) continue;
    if (group.filter((attempt) => attempt.redelivery).length >= MAX_REDELIVERIES) continue;
    const newest = group.reduce((latest, attempt) => (attempt.id > latest.id ? attempt : latest));
    if (newest.event !== "workflow_job" || Date.parse(newest.deliveredAt) < floor) continue;
    failed.push(newest);
  }
  const rank = (attempt: DeliveryAttempt) => (attempt.action === "queued" ? 0 : 1);
  return failed.sort((a, b) => rank(a) - rank(b) || a.deliveredAt.localeCompare(b.deliveredAt) || a.id - b.id);
}

/** A job GitHub lists for a workflow run (`GET .../actions/runs/{run_id}/jobs`). */
export interface ListedJob {
  readonly id: number;
  readonly runId: number;
  readonly runAttempt: number;
  readonly status: string;
  readonly labels: readonly string[];
  readonly createdAt: string;
}

/**
 * The queue messages of jobs GitHub still reports queued, older than the grace, in a pool's labels,
 * shaped as the webhook shapes them (the webhook's own path then queues them, once, through the ledger).
 */
export function queuedJobMessages(
  jobs: readonly ListedJob[],
  repository: { readonly repository: string; readonly installationId: number },
  pools: Readonly<Record<string, { readonly labels: readonly string[] }>>,
  now: Date,
): JobMessage[] {
  const messages: JobMessage[] = [];
  for (const job of jobs) {
    if (job.status !== "queued" || now.getTime() - Date.parse(job.createdAt) < QUEUED_GRACE_MS) continue;
    const pool = matchPool(job.labels, pools);
    if (pool === undefined) continue;
    messages.push({
      version: 1,
      deliveryId: `healer-${job.id}-${job.runAttempt}`,
      pool,
      jobId: job.id,
      runId: job.runId,
      runAttempt: job.runAttempt,
      repository: repository.repository,
      owner: repository.repository.split("/")[0] ?? "",
      installationId: repository.installationId,
      labels: [...job.labels],
      receivedAt: now.toISOString(),
    });
  }
  return messages;
}
