import { worldUuid } from "./random.js";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { vi } from "vitest";
import { SCALE_UP_TIMEOUT_SECONDS } from "../../../contracts/scale-up.js";
import { lambdaContext } from "../../helpers/aws.js";
import { settleBatch } from "./esm.js";
import { remainingMs, runInvocation } from "./invocations.js";
import type { InvocationResult } from "./invocations.js";
import { MINUTE, PREFIX, SIM_START } from "./options.js";
import type { CrashPoint, ScaleUpHandler, ScheduledHandler } from "./options.js";
import type { CallScheduler } from "./scheduler.js";
import { ACCOUNT, REGION, sqsRecord } from "./sqs.js";
import type { FifoQueue, QueueMessage } from "./sqs.js";
import type { Timeline, WorldStats } from "./stats.js";

/**
 * The shipped scale-up, reconcile and spot-interruption functions invoked as Lambda would: scale-up
 * by the SQS event source mapping (world/esm.ts) in its execution environments, the reconciler on
 * its 5-minute schedule, the spot handler on EventBridge's warning. Without a call scheduler each
 * round of invocations runs at one instant and the clock moves on by the longest; with one
 * (world/scheduler.ts) they interleave call by call while the world keeps running.
 */

/** What the invocations need of the world. */
export interface ControlPlaneWorld extends Pick<Timeline, "note"> {
  readonly pools: ReadonlyMap<string, { readonly queue: FifoQueue; readonly deadLetter: FifoQueue }>;
  readonly stats: WorldStats;
  readonly scheduler: CallScheduler | undefined;
  /** Without a call scheduler, the order keeper of concurrent environments' calls (world.ts). */
  readonly lockstep: CallScheduler | undefined;
  /** Lambda refuses this many scale-up invocations (throttled / runtime error). */
  esmFailuresLeft: number;
  /** A crash the scenario injects (the "before-delete" point is the event source mapping's). */
  crash: { point: CrashPoint; remaining: number } | undefined;
  trackPeaks(): void;
}

/** A Lambda context whose remaining time is the running invocation's, on the world's clock. */
function invocationContext(functionName: string): Context {
  return { ...lambdaContext(functionName), getRemainingTimeInMillis: remainingMs };
}

export class ControlPlane {
  /** Scale-up environments running an invocation (interleaved worlds). */
  readonly busyScaleUp = new Set<number>();
  /** Messages a scale-up environment received while an invocation of another still held them. */
  receivedWhileHeld = 0;
  nextReconcileAt = SIM_START + 5 * MINUTE;
  private reconcileLive = false;
  private pollRound = 0;
  private readonly heldBy = new Map<string, string>();
  private spotHandler: ScheduledHandler | undefined;

  constructor(
    private readonly w: ControlPlaneWorld,
    private readonly scaleUp: readonly ScaleUpHandler[],
    private readonly reconcileHandler: ScheduledHandler,
    /** The spot handler loads on the first warning (most scenarios have none). */
    private readonly loadSpotHandler: () => ScheduledHandler,
  ) {}

  async pollQueues(): Promise<void> {
    const environments = this.scaleUp.length;
    for (let round = 0; round < 50; round += 1) {
      const batches: Array<{ queue: FifoQueue; messages: QueueMessage[]; env: number }> = [];
      const queues = [...this.w.pools.values()].map((p) => p.queue);
      for (let env = 0; env < environments; env += 1) {
        for (let q = 0; q < queues.length; q += 1) {
          const queue = queues[(env + round + q) % queues.length] as FifoQueue;
          const messages = queue.receive(10, Date.now());
          if (messages.length > 0) {
            batches.push({ queue, messages, env });
            break;
          }
        }
      }
      if (batches.length === 0) return;
      const running = batches.map((batch) => this.invokeScaleUp(batch.env, batch.queue, batch.messages));
      // The environments' calls pass one at a time in a fixed order (their own simulated time, then start).
      await this.w.lockstep?.runUntil(Number.POSITIVE_INFINITY, async () => undefined);
      const results = await Promise.all(running);
      const longest = Math.max(...results.map((r) => r.elapsedMs), 0);
      this.w.stats.maxInvocationSeconds = Math.max(this.w.stats.maxInvocationSeconds, longest / 1000);
      // The environments were busy that long: the world moves on by the longest invocation.
      vi.setSystemTime(Date.now() + Math.max(longest, 500));
    }
  }

  /**
   * One tick of an interleaved world: free environments receive batches, the reconciler starts on
   * its schedule (one at a time), and the scheduler lets calls through up to the tick's end; after
   * each call free environments receive again (a message whose visibility ran out mid-invocation)
   * and `between` runs (webhook deliveries due by then start).
   */
  async interleave(scheduler: CallScheduler, tickEnd: number, between: () => void): Promise<void> {
    this.startScaleUps();
    if (Date.now() >= this.nextReconcileAt) {
      this.nextReconcileAt += 5 * MINUTE;
      if (!this.reconcileLive) {
        this.reconcileLive = true;
        void this.runReconcile().finally(() => (this.reconcileLive = false));
      }
    }
    this.w.trackPeaks();
    await scheduler.runUntil(tickEnd, async () => {
      between();
      this.startScaleUps();
      this.w.trackPeaks();
    });
  }

  private startScaleUps(): void {
    const queues = [...this.w.pools.values()].map((p) => p.queue);
    this.pollRound += 1;
    for (let env = 0; env < this.scaleUp.length; env += 1) {
      if (this.busyScaleUp.has(env)) continue;
      for (let q = 0; q < queues.length; q += 1) {
        const queue = queues[(env + this.pollRound + q) % queues.length] as FifoQueue;
        const messages = queue.receive(10, Date.now());
        if (messages.length === 0) continue;
        this.busyScaleUp.add(env);
        void this.invokeScaleUp(env, queue, messages).finally(() => this.busyScaleUp.delete(env));
        break;
      }
    }
  }

  private async invokeScaleUp(env: number, queue: FifoQueue, messages: QueueMessage[]): Promise<{ elapsedMs: number }> {
    this.w.stats.scaleUpInvocations += 1;
    if (this.w.esmFailuresLeft > 0) {
      // Lambda could not run the function (throttled, runtime error): the batch returns after its visibility timeout.
      this.w.esmFailuresLeft -= 1;
      this.w.stats.esmFailures += 1;
      return { elapsedMs: 0 };
    }
    const event: SQSEvent = { Records: messages.map((message) => sqsRecord(queue, message)) };
    const handler = this.scaleUp[env] as ScaleUpHandler;
    // The receipt handles of this receive: another environment receiving a message again changes it.
    const handles = new Map(messages.map((message) => [message.messageId, message.receiptHandle as string]));
    const scheduler = this.w.scheduler ?? this.w.lockstep;
    const result: InvocationResult<SQSBatchResponse> = await runInvocation("scale-up", SCALE_UP_TIMEOUT_SECONDS * 1000, () => handler(event, invocationContext(`${PREFIX}-scale-up`)), (invocation) => {
      for (const message of messages) {
        const holder = this.heldBy.get(message.messageId);
        if (holder !== undefined) this.receivedWhileHeld += 1;
        this.heldBy.set(message.messageId, invocation.id);
      }
      scheduler?.begin(invocation);
    });
    try {
      return this.settleScaleUp(queue, messages, handles, result);
    } finally {
      for (const message of messages) if (this.heldBy.get(message.messageId) === result.invocation.id) this.heldBy.delete(message.messageId);
      scheduler?.end(result.invocation);
    }
  }

  private settleScaleUp(queue: FifoQueue, messages: QueueMessage[], handles: ReadonlyMap<string, string>, result: InvocationResult<SQSBatchResponse>): InvocationResult<SQSBatchResponse> {
    if (result.invocation.killed !== undefined) {
      const reason = result.invocation.killed;
      this.w.stats.killed.set(reason, (this.w.stats.killed.get(reason) ?? 0) + 1);
      if (reason.startsWith("timeout")) this.w.stats.timeouts += 1;
      this.w.note(`scale-up ${result.invocation.id} died: ${reason}`);
      return result;
    }
    if (result.error !== undefined) {
      this.w.stats.scaleUpErrors += 1;
      this.w.note(`scale-up ${result.invocation.id} failed: ${String(result.error)}`);
      return result;
    }
    if (this.w.crash?.point === "before-delete" && this.w.crash.remaining > 0 && (result.value?.batchItemFailures.length ?? 0) < messages.length) {
      this.w.crash.remaining -= 1;
      this.w.stats.skippedDeletes += 1;
      this.w.note(`crash injected before the SQS delete of ${result.invocation.id}`);
      return result;
    }
    // The event source mapping's rules (world/esm.ts): invalid answers, FIFO groups, late deletes. A
    // message received again meanwhile is in flight elsewhere: this receipt handle is stale.
    const asReceived = messages.map((message) => (message.receiptHandle === handles.get(message.messageId) ? message : { ...message, visibleAt: Number.NEGATIVE_INFINITY }));
    const settled = settleBatch(asReceived, result.value, result.invocation.startedAt + result.elapsedMs);
    this.w.stats.esmSettlement.invalidResponses += settled.invalidResponse ? 1 : 0;
    this.w.stats.esmSettlement.heldBackInGroup += settled.heldBackInGroup;
    this.w.stats.esmSettlement.staleDeletes += settled.staleDeletes;
    for (const message of settled.deleted) queue.delete(handles.get(message.messageId) as string);
    return result;
  }

  // ------------------------------------------------------------------ reconcile

  async runReconcile(): Promise<void> {
    const event = {
      version: "0",
      id: worldUuid(),
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: ACCOUNT,
      time: new Date(Date.now()).toISOString(),
      region: REGION,
      resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/${PREFIX}-reconcile`],
      detail: {},
    };
    const scheduler = this.w.scheduler ?? this.w.lockstep;
    const running = runInvocation("reconcile", 300_000, () => this.reconcileHandler(event, lambdaContext(`${PREFIX}-reconcile`)), (invocation) => scheduler?.begin(invocation)).then((result) => {
      scheduler?.end(result.invocation);
      return result;
    });
    if (this.w.scheduler === undefined) await this.w.lockstep?.runUntil(Number.POSITIVE_INFINITY, async () => undefined);
    const result = await running;
    // Counted when it ends: the world is quiet after two whole runs.
    this.w.stats.reconcileRuns += 1;
    if (result.error !== undefined || result.invocation.killed !== undefined) {
      this.w.stats.reconcileErrors += 1;
      this.w.note(`reconcile failed: ${String(result.error ?? result.invocation.killed)}`);
    } else {
      this.w.stats.reconcileSummaries.push(result.value);
    }
  }

  // ------------------------------------------------------------------ spot interruption

  /**
   * EventBridge delivers the two-minute warning for `instanceId` to the spot handler; under a call
   * scheduler the invocation runs call by call beside the others (do not await it from the loop).
   */
  async spotWarning(instanceId: string): Promise<void> {
    const event = {
      version: "0",
      id: worldUuid(),
      "detail-type": "EC2 Spot Instance Interruption Warning",
      source: "aws.ec2",
      account: ACCOUNT,
      time: new Date(Date.now()).toISOString(),
      region: REGION,
      resources: [`arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${instanceId}`],
      detail: { "instance-id": instanceId, "instance-action": "terminate" },
    };
    this.spotHandler ??= this.loadSpotHandler();
    const handler = this.spotHandler;
    const scheduler = this.w.scheduler ?? this.w.lockstep;
    const running = runInvocation("spot-interruption", 30_000, () => handler(event, lambdaContext(`${PREFIX}-spot-interruption`)), (invocation) => {
      scheduler?.begin(invocation);
      scheduler?.mark(invocation, `warning ${instanceId}`);
    }).then((result) => {
      scheduler?.end(result.invocation);
      return result;
    });
    if (this.w.scheduler === undefined) await this.w.lockstep?.runUntil(Number.POSITIVE_INFINITY, async () => undefined);
    const result = await running;
    this.w.stats.spotOutcomes.push(result.value ?? { error: String(result.error) });
    this.w.note(`spot warning ${instanceId}: ${JSON.stringify(result.value ?? String(result.error))}`);
  }
}
