import { EnqueueError, METRICS, childLogger, emitMetric, jobCorrelation, withCorrelation } from "../shared/core.js";
import type { JobMessage } from "../shared/core.js";
import type { Phase } from "../libs/ledger/phases.js";
import type { JobBook } from "./adapters/ledger.js";
import type { EnqueueJob } from "./adapters/sqs.js";
import type { AdmissionPolicy } from "../shared/core.js";
import type { WebhookPools } from "./config.js";
import { routeDelivery } from "./route.js";
import { CONTENT_TYPE_HEADER, DELIVERY_HEADER, EVENT_HEADER, headerValue, parseJsonBody, readBody, verifySignature } from "./verify.js";
import type { LoadWebhookSecrets, WebhookRequest } from "./verify.js";

const log = childLogger("webhook");

export interface WebhookDeps {
  readonly pools: WebhookPools;
  readonly maxBodyBytes: number;
  /** Who may get a runner (ALLOWED_OWNERS, ALLOWED_REPOSITORIES; the pools' allowPublicRepositories). */
  readonly admission: AdmissionPolicy;
  /** `queued` deliveries created longer ago than this are refused as replays (WEBHOOK_MAX_JOB_AGE_SECONDS). */
  readonly maxJobAgeSeconds: number;
  /** The current and previous webhook secrets (rotation; see verify.ts). */
  readonly secrets: LoadWebhookSecrets;
  readonly enqueue: EnqueueJob;
  /** The job ledger: deduplicates jobs across deliveries and records their progress. */
  readonly jobs: JobBook;
  /**
   * Runs the handling of one verified delivery at most once per delivery id (Powertools idempotency in
   * the handler): a redelivery, even hours later, gets the first answer back and changes nothing.
   */
  readonly oncePerDelivery: <T extends WebhookAnswer>(deliveryId: string | undefined, handle: () => Promise<T>) => Promise<T>;
  readonly now: () => Date;
}

/** The JSON answer of docs/contracts.md, before it becomes an API Gateway response. */
export interface WebhookAnswer {
  readonly statusCode: number;
  readonly body: { readonly message: string } & Readonly<Record<string, unknown>>;
}

/**
 * Size, then signature, then JSON, then routing: nothing from the body is trusted before the
 * signature holds. Refusals are thrown as WebhookError and answered by the handler.
 */
export async function handleWebhook(request: WebhookRequest, deps: WebhookDeps): Promise<WebhookAnswer> {
  const body = readBody(request, deps.maxBodyBytes);
  await verifySignature(request, body, deps.secrets, deps.now);
  const payload = parseJsonBody(body, headerValue(request, CONTENT_TYPE_HEADER));

  const deliveryId = headerValue(request, DELIVERY_HEADER);
  return withCorrelation({ deliveryId }, () => routeAndHandle(request, payload, deliveryId, deps));
}

async function routeAndHandle(request: WebhookRequest, payload: Readonly<Record<string, unknown>>, deliveryId: string | undefined, deps: WebhookDeps): Promise<WebhookAnswer> {
  const decision = routeDelivery({
    event: headerValue(request, EVENT_HEADER),
    deliveryId,
    payload,
    pools: deps.pools,
    receivedAt: deps.now(),
    admission: deps.admission,
    maxJobAgeSeconds: deps.maxJobAgeSeconds,
  });
  switch (decision.kind) {
    case "pong":
      return { statusCode: 200, body: { message: "pong" } };
    case "ignore":
      log.info("delivery ignored", { reason: decision.message });
      emitMetric(METRICS.deliveriesIgnored, 1);
      return { statusCode: 202, body: { message: decision.message } };
    case "refuse":
      // 202 like an ignored delivery: a redelivery would be refused again, so GitHub should not flag it.
      log.warn("delivery refused", { reason: decision.reason, detail: decision.message });
      emitMetric(METRICS.deliveriesRefused, 1, { Reason: decision.reason });
      return { statusCode: 202, body: { message: decision.message } };
    case "progress": {
      const { jobId, runAttempt, pool, owner, repository, runnerName } = decision.progress;
      return withCorrelation({ jobId, runAttempt, pool, owner, repository, runnerName }, () => deps.oncePerDelivery(deliveryId, async () => {
        const progress = decision.progress;
        const phase = await deps.jobs.progressed(progress, deps.now());
        log.info("job progress recorded", { action: progress.action, phase });
        // `running` is written once per job attempt (a redelivered or late in_progress answers
        // "unchanged"), so the start and its wait are counted once.
        if (progress.action === "in_progress" && phase === "running") {
          emitMetric(METRICS.jobsStarted, 1, { Pool: progress.pool });
          if (progress.timeToRunnerSeconds !== undefined) emitMetric(METRICS.timeToRunner, progress.timeToRunnerSeconds, { Pool: progress.pool });
        }
        return { statusCode: 200, body: { message: `recorded: ${phase}`, jobId: decision.progress.jobId } };
      }));
    }
    case "enqueue":
      return withCorrelation(jobCorrelation(decision.job), () => deps.oncePerDelivery(deliveryId, () => enqueueOnce(decision.pool, decision.job, deps)));
  }
}

/**
 * How long the delivery that won the right to queue a job holds it: three times the function's 10 s
 * timeout, so a live sender is never overtaken, and a crashed one delays the job by half a minute.
 */
export const QUEUE_LEASE_MS = 30_000;

/**
 * Records the job in the ledger and queues it unless an earlier delivery already did or the ledger knows
 * it past `received` (a redelivery, a `queued` again after `waiting`, or a second webhook): only the
 * first sighting gets a queue message. "First" is one conditional write, the queueing lease, so of
 * sightings arriving at the same moment in different execution environments exactly one sends (issue
 * 17). The job is marked queued only after SendMessage succeeded; a failed send gives the lease back and
 * a crashed one lets it run out, so the next sighting (or the reconciler's requeue of `received` jobs)
 * queues the job. When the ledger cannot be read or written the job is queued anyway; scale-up's claim
 * deduplicates it, so an outage of the ledger never loses a job. The webhook healer (reconcile) queues
 * the jobs whose delivery never arrived through this same path.
 */
/** Where {@link enqueueOnce} sends a pool's jobs (the webhook's pools, or the reconciler's for jobs the healer recovers). */
export type EnqueueOnceDeps = Pick<WebhookDeps, "jobs" | "enqueue" | "now"> & { readonly pools: Readonly<Record<string, { readonly queueUrl: string }>> };

export async function enqueueOnce(pool: string, job: JobMessage, deps: EnqueueOnceDeps): Promise<WebhookAnswer> {
  let seen: { readonly phase: Phase; readonly queued: boolean } | undefined;
  try {
    seen = await deps.jobs.received(job, deps.now());
  } catch (error) {
    log.error("ledger unavailable, queueing anyway", { error, jobId: job.jobId });
    emitMetric(METRICS.webhookLedgerErrors, 1);
  }
  const duplicate = (phase: Phase): WebhookAnswer => {
    log.info("duplicate job ignored", { jobId: job.jobId, runAttempt: job.runAttempt, phase });
    emitMetric(METRICS.webhookJobsDeduplicated, 1, { Pool: pool });
    return { statusCode: 200, body: { message: `duplicate: job is ${phase}`, pool, jobId: job.jobId } };
  };
  if (seen !== undefined && (seen.phase !== "received" || seen.queued)) return duplicate(seen.phase);
  let leased = false;
  if (seen !== undefined) {
    try {
      leased = await deps.jobs.leaseQueueing(job, job.deliveryId, QUEUE_LEASE_MS, deps.now());
      // Another sighting holds the lease (it is sending now) or queued the job since our read.
      if (!leased) return duplicate(seen.phase);
    } catch (error) {
      log.error("ledger unavailable, queueing anyway", { error, jobId: job.jobId });
      emitMetric(METRICS.webhookLedgerErrors, 1);
    }
  }
  const queueUrl = deps.pools[pool]?.queueUrl;
  try {
    if (queueUrl === undefined) throw new Error(`pool ${pool} has no queue`);
    await deps.enqueue(queueUrl, job);
  } catch (error) {
    log.error("enqueue failed", { error, pool, jobId: job.jobId });
    if (leased) {
      // Best effort: otherwise the lease runs out and the next sighting queues the job a little later.
      await deps.jobs
        .releaseQueueing(job, job.deliveryId, deps.now())
        .catch((releaseError: unknown) => log.warn("giving the queueing lease back failed", { error: releaseError, jobId: job.jobId }));
    }
    throw new EnqueueError({ cause: error });
  }
  log.info("job queued", { pool, jobId: job.jobId, runAttempt: job.runAttempt });
  emitMetric(METRICS.jobsQueued, 1, { Pool: pool });
  if (seen !== undefined) {
    try {
      await deps.jobs.queued(job, deps.now());
    } catch (error) {
      // The lease runs out and a later delivery may queue the job again; scale-up's claim settles the copy as a duplicate.
      log.warn("recording the queued job failed", { error, jobId: job.jobId });
    }
  }
  return { statusCode: 200, body: { message: "queued", pool, jobId: job.jobId } };
}
