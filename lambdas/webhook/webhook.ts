import { EnqueueError, MetricUnit, childLogger, metrics } from "../shared/index.js";
import type { EnqueueJob } from "./adapters/sqs.js";
import type { WebhookPools } from "./config.js";
import { routeDelivery } from "./route.js";
import { DELIVERY_HEADER, EVENT_HEADER, headerValue, parseJsonBody, readBody, verifySignature } from "./verify.js";
import type { LoadWebhookSecrets, WebhookRequest } from "./verify.js";

const log = childLogger("webhook");

export interface WebhookDeps {
  readonly pools: WebhookPools;
  readonly maxBodyBytes: number;
  /** The current and previous webhook secrets (rotation; see verify.ts). */
  readonly secrets: LoadWebhookSecrets;
  readonly enqueue: EnqueueJob;
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
  const payload = parseJsonBody(body);

  const decision = routeDelivery({
    event: headerValue(request, EVENT_HEADER),
    deliveryId: headerValue(request, DELIVERY_HEADER),
    payload,
    pools: deps.pools,
    receivedAt: deps.now(),
  });
  switch (decision.kind) {
    case "pong":
      return { statusCode: 200, body: { message: "pong" } };
    case "ignore":
      log.info("delivery ignored", { reason: decision.message });
      metrics.addMetric("DeliveriesIgnored", MetricUnit.Count, 1);
      return { statusCode: 202, body: { message: decision.message } };
    case "enqueue": {
      const queueUrl = deps.pools[decision.pool]?.queueUrl;
      try {
        if (queueUrl === undefined) throw new Error(`pool ${decision.pool} has no queue`);
        await deps.enqueue(queueUrl, decision.job);
      } catch (error) {
        log.error("enqueue failed", { error, pool: decision.pool, jobId: decision.job.jobId });
        throw new EnqueueError({ cause: error });
      }
      log.info("job queued", { pool: decision.pool, jobId: decision.job.jobId, runAttempt: decision.job.runAttempt });
      metrics.addMetric("JobsQueued", MetricUnit.Count, 1);
      return { statusCode: 200, body: { message: "queued", pool: decision.pool, jobId: decision.job.jobId } };
    }
  }
}
