import { WEBHOOK_FUNCTION_TIMEOUT_SECONDS } from "../../contracts/webhook.js";
import { EnqueueError, METRICS, childLogger, emitMetric, jobCorrelation, withCorrelation } from "../shared/core.js";
import type { JobMessage } from "../shared/core.js";
import type { Phase } from "../libs/ledger/phases.js";
import type { JobBook, Sighting } from "./adapters/ledger.js";
import type { EnqueueJob } from "./adapters/sqs.js";
import type { AdmissionPolicy } from "../shared/core.js";
import type { WebhookPools } from "./config.js";
import { routeDelivery } from "./route.js";
import { CONTENT_TYPE_HEADER, DELIVERY_HEADER, EVENT_HEADER, lowerCaseHeaders, parseJsonBody, receivedBody, verifySignature } from "./verify.js";
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
  /**
   * The job ledger: deduplicates jobs and deliveries (a redelivery, even days later, gets the first
   * answer back and queues nothing) and records their progress, one write per delivery.
   */
  readonly jobs: JobBook;
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
  // Headers looked up by lower-case name once; the body decoded at most once (a string as it came).
  const headers = lowerCaseHeaders(request);
  const body = receivedBody(request, deps.maxBodyBytes);
  await verifySignature({ headers }, body, deps.secrets, deps.now);
  const payload = parseJsonBody(body, headers[CONTENT_TYPE_HEADER]);

  const deliveryId = headers[DELIVERY_HEADER];
  return withCorrelation({ deliveryId }, () => routeAndHandle(headers[EVENT_HEADER], payload, deliveryId, deps));
}

async function routeAndHandle(event: string | undefined, payload: Readonly<Record<string, unknown>>, deliveryId: string | undefined, deps: WebhookDeps): Promise<WebhookAnswer> {
  const decision = routeDelivery({
    event,
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
      return withCorrelation({ jobId, runAttempt, pool, owner, repository, runnerName }, async () => {
        const progress = decision.progress;
        const { phase, redelivery } = await deps.jobs.progressed(progress, deliveryId, deps.now());
        log.info("job progress recorded", { action: progress.action, phase, redelivery });
        // `running` is written once per job attempt (a redelivered or late in_progress answers
        // "unchanged", or the first answer for a redelivery), so the start and its wait are counted once.
        if (progress.action === "in_progress" && phase === "running" && !redelivery) {
          emitMetric(METRICS.jobsStarted, 1, { Pool: progress.pool });
          if (progress.timeToRunnerSeconds !== undefined) emitMetric(METRICS.timeToRunner, progress.timeToRunnerSeconds, { Pool: progress.pool });
        }
        return { statusCode: 200, body: { message: `recorded: ${phase}`, jobId: progress.jobId } };
      });
    }
    case "enqueue":
      return withCorrelation(jobCorrelation(decision.job), async () => {
        const outcome = await queueJob(decision.pool, decision.job, deps);
        // A redelivery of the delivery that queued the job gets its first answer.
        return enqueueAnswer(decision.pool, decision.job, outcome.kind === "redelivery" ? { kind: "queued" } : outcome);
      });
  }
}

/**
 * How long the delivery that won the right to queue a job holds it: three times the function's
 * timeout (10 s), so a live sender is never overtaken, and a crashed one delays the job by half a minute.
 */
export const QUEUE_LEASE_MS = 3 * WEBHOOK_FUNCTION_TIMEOUT_SECONDS * 1000;

/** Where {@link enqueueOnce} sends a pool's jobs (the webhook's pools, or the reconciler's for jobs the healer recovers). */
export type EnqueueOnceDeps = Pick<WebhookDeps, "jobs" | "enqueue" | "now"> & { readonly pools: Readonly<Record<string, { readonly queueUrl: string }>> };

/** What one sighting did: sent the job, or not (a redelivery of the delivery that sent it, or a duplicate). */
type QueueOutcome = { readonly kind: "queued" } | { readonly kind: "redelivery" | "duplicate"; readonly phase: Phase };

/** The webhook's path for the healer: "queued" only when this call sent the job. */
export async function enqueueOnce(pool: string, job: JobMessage, deps: EnqueueOnceDeps): Promise<WebhookAnswer> {
  const outcome = await queueJob(pool, job, deps);
  return enqueueAnswer(pool, job, outcome.kind === "redelivery" ? { kind: "duplicate", phase: outcome.phase } : outcome);
}

function enqueueAnswer(pool: string, job: JobMessage, outcome: QueueOutcome): WebhookAnswer {
  const message = outcome.kind === "queued" ? "queued" : `duplicate: job is ${outcome.phase}`;
  return { statusCode: 200, body: { message, pool, jobId: job.jobId } };
}

/**
 * Records the job in the ledger and queues it unless an earlier delivery already did or the ledger knows
 * it past `received` (a redelivery, a `queued` again after `waiting`, or a second webhook): only the
 * first sighting gets a queue message. Recording the sighting and deciding "first" are one conditional
 * write (the delivery id, the job's facts, `queuedAt` and the queueing lease together), so of sightings
 * arriving at the same moment in different execution environments exactly one sends (issue 17), and a
 * queued delivery costs that write and the SendMessage. A failed send gives the lease back; a crashed one
 * lets it run out, and a sighting inside the re-send window (QUEUE_RESEND_WINDOW_MS; SQS's deduplication
 * id drops the copy if the first send went through), the webhook healer, or the reconciler's requeue of
 * `received` jobs queues the job. A redelivery of the delivery that queued the job answers "queued"
 * again. When the ledger cannot be written the job is queued anyway; scale-up's claim deduplicates it,
 * so an outage of the ledger never loses a job. The webhook healer (reconcile) queues the jobs whose
 * delivery never arrived through this same path.
 */
async function queueJob(pool: string, job: JobMessage, deps: EnqueueOnceDeps): Promise<QueueOutcome> {
  let sighting: Sighting | undefined;
  try {
    sighting = await deps.jobs.sighted(job, QUEUE_LEASE_MS, deps.now());
  } catch (error) {
    log.error("ledger unavailable, queueing anyway", { error, jobId: job.jobId });
    emitMetric(METRICS.webhookLedgerErrors, 1);
  }
  if (sighting !== undefined && !sighting.leased) {
    if (sighting.queuedBy === job.deliveryId) return { kind: "redelivery", phase: sighting.phase };
    log.info("duplicate job ignored", { jobId: job.jobId, runAttempt: job.runAttempt, phase: sighting.phase });
    emitMetric(METRICS.webhookJobsDeduplicated, 1, { Pool: pool });
    return { kind: "duplicate", phase: sighting.phase };
  }
  const queueUrl = deps.pools[pool]?.queueUrl;
  try {
    if (queueUrl === undefined) throw new Error(`pool ${pool} has no queue`);
    await deps.enqueue(queueUrl, job);
  } catch (error) {
    log.error("enqueue failed", { error, pool, jobId: job.jobId });
    if (sighting !== undefined) {
      // Best effort: otherwise the lease runs out and the next sighting queues the job a little later.
      await deps.jobs
        .releaseQueueing(job, job.deliveryId, deps.now())
        .catch((releaseError: unknown) => log.warn("giving the queueing lease back failed", { error: releaseError, jobId: job.jobId }));
    }
    throw new EnqueueError({ cause: error });
  }
  log.info("job queued", { pool, jobId: job.jobId, runAttempt: job.runAttempt });
  emitMetric(METRICS.jobsQueued, 1, { Pool: pool });
  return { kind: "queued" };
}
