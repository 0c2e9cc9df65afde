import { apiGatewayEvent, lambdaContext } from "../../helpers/aws.js";
import type { GitHubWorld } from "./github.js";
import { floodArrivals } from "./ingress.js";
import type { Flood, Ingress } from "./ingress.js";
import { runInvocation } from "./invocations.js";
import { PREFIX } from "./options.js";
import type { WebhookHandler } from "./options.js";
import type { CallScheduler } from "./scheduler.js";
import type { Timeline, WorldStats } from "./stats.js";

/**
 * GitHub's webhook deliveries reaching the shipped webhook function: through the ingress model when
 * the world has one (web ACL, stage throttle), or answered by API Gateway itself when the scenario
 * makes the function unavailable; GitHub records each answer in its delivery log.
 */

export type Delivery = ReturnType<GitHubWorld["dueDeliveries"]>[number];

/** What the deliveries need of the world. */
export interface WebhookWorld extends Pick<Timeline, "note"> {
  readonly github: GitHubWorld;
  readonly ingress: Ingress | undefined;
  readonly floods: Array<{ flood: Flood; next: number }>;
  readonly webhookHandlers: readonly WebhookHandler[];
  readonly webhookUnavailable: (delivery: { readonly action: string; readonly jobId: number }) => number | undefined;
  readonly stats: WorldStats;
  readonly startedAt: number;
  /** Under a call scheduler, deliveries run as scheduled invocations (startWebhooks). */
  readonly scheduler: CallScheduler | undefined;
  /** Without one, the order keeper of deliveries handled at once (world.ts). */
  readonly lockstep: CallScheduler | undefined;
  /** Deliveries due while every webhook environment was busy (interleaved worlds). */
  readonly webhookBacklog: Delivery[];
  /** Webhook environments running an invocation (interleaved worlds). */
  readonly busyWebhookEnvironments: Set<number>;
}

/** Flood requests that arrived by now go through the ingress model; none reaches the function. */
function admitFloods(w: WebhookWorld): void {
  const ingress = w.ingress;
  if (ingress === undefined) return;
  for (const entry of w.floods) {
    for (const { at, sourceIp } of floodArrivals(entry.flood, w.startedAt, entry.next, Date.now())) {
      entry.next += 1;
      const verdict = ingress.admit(at, sourceIp, entry.flood.signed ? `sha256=${"0".repeat(64)}` : undefined);
      // A junk request the ingress lets through is answered 401 by the function; it costs a token, not a job.
      if (verdict === "passed") w.stats.junkReachedFunction += 1;
    }
  }
}

export async function deliverWebhooks(w: WebhookWorld): Promise<void> {
  admitFloods(w);
  const due = w.github.dueDeliveries();
  const environments = w.webhookHandlers.length;
  if (environments === 1) {
    for (const delivery of due) {
      const running = deliverWebhook(w, delivery, w.webhookHandlers[0] as WebhookHandler, w.lockstep);
      await w.lockstep?.runUntil(Number.POSITIVE_INFINITY, async () => undefined);
      await running;
    }
    return;
  }
  // Deliveries of the same instant overlap, up to one per environment (as Lambda scales out).
  const instants = [...new Set(due.map((delivery) => delivery.at))];
  for (const at of instants) {
    const together = due.filter((delivery) => delivery.at === at);
    for (let start = 0; start < together.length; start += environments) {
      const running = together.slice(start, start + environments).map((delivery, i) => deliverWebhook(w, delivery, w.webhookHandlers[i] as WebhookHandler, w.lockstep));
      // Their calls pass one at a time in a fixed order (world.ts lockstep), not as real time has it.
      await w.lockstep?.runUntil(Number.POSITIVE_INFINITY, async () => undefined);
      await Promise.all(running);
    }
  }
}

/**
 * Interleaved worlds: deliveries due by now start in free webhook environments as invocations under
 * the call scheduler, and return at once; the scheduler runs them call by call beside scale-up, the
 * reconciler and the spot handler. Called every tick and after every call the scheduler lets through,
 * so a delivery due in the middle of another invocation starts there.
 */
export function startWebhooks(w: WebhookWorld, scheduler: CallScheduler): void {
  admitFloods(w);
  w.webhookBacklog.push(...w.github.dueDeliveries());
  for (let env = 0; env < w.webhookHandlers.length && w.webhookBacklog.length > 0; env += 1) {
    if (w.busyWebhookEnvironments.has(env)) continue;
    const delivery = w.webhookBacklog.shift() as Delivery;
    w.busyWebhookEnvironments.add(env);
    void deliverWebhook(w, delivery, w.webhookHandlers[env] as WebhookHandler, scheduler).finally(() => w.busyWebhookEnvironments.delete(env));
  }
}

async function deliverWebhook(w: WebhookWorld, delivery: Delivery, handler: WebhookHandler, scheduler?: CallScheduler): Promise<void> {
  w.stats.webhooks += 1;
  const verdict = w.ingress?.admit(Date.now(), `github-hook-${delivery.hook}`, w.github.signature(delivery.body));
  if (verdict !== undefined && verdict !== "passed") {
    // 403 from WAF or 429 from the stage: GitHub records a failed delivery and does not redeliver it.
    const status = verdict === "throttled" ? 429 : 403;
    w.github.deliveryLog.record(delivery, status);
    w.stats.webhookStatuses.set(status, (w.stats.webhookStatuses.get(status) ?? 0) + 1);
    w.note(`webhook ${delivery.action} job ${delivery.jobId} refused at the ingress: ${verdict}`);
    return;
  }
  const unavailable = w.webhookUnavailable(delivery);
  if (unavailable !== undefined) {
    w.github.deliveryLog.record(delivery, unavailable);
    w.stats.webhookStatuses.set(unavailable, (w.stats.webhookStatuses.get(unavailable) ?? 0) + 1);
    w.note(`webhook ${delivery.action} job ${delivery.jobId} answered ${unavailable} by the API (function unavailable)`);
    return;
  }
  const event = apiGatewayEvent({
    body: delivery.body,
    headers: {
      "Content-Type": "application/json",
      "User-Agent": "GitHub-Hookshot/044aadd",
      "X-GitHub-Event": "workflow_job",
      "X-GitHub-Delivery": delivery.deliveryId,
      "X-GitHub-Hook-ID": String(4_000_000 + delivery.hook),
      "X-GitHub-Hook-Installation-Target-Type": "integration",
      "X-Hub-Signature-256": w.github.signature(delivery.body),
    },
  });
  const result = await runInvocation("webhook", 10_000, () => handler(event, lambdaContext(`${PREFIX}-webhook`)), (invocation) => {
    scheduler?.begin(invocation);
    scheduler?.mark(invocation, `delivery ${delivery.action} job ${delivery.jobId}`);
  });
  scheduler?.end(result.invocation);
  const status = result.value?.statusCode ?? 599;
  w.github.deliveryLog.record(delivery, status);
  w.stats.webhookStatuses.set(status, (w.stats.webhookStatuses.get(status) ?? 0) + 1);
  const message = (() => {
    try {
      return String((JSON.parse(result.value?.body ?? "{}") as { message?: unknown }).message);
    } catch {
      return "unreadable";
    }
  })();
  w.stats.webhookAnswers.set(message, (w.stats.webhookAnswers.get(message) ?? 0) + 1);
  if (status >= 500) w.note(`webhook ${delivery.action} job ${delivery.jobId} answered ${status}: ${result.value?.body ?? String(result.error)}`);
}
