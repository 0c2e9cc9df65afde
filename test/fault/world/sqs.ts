import { createHash } from "node:crypto";
import { worldUuid } from "./random.js";
import type { SQSRecord } from "aws-lambda";
import { AwsFault } from "../../helpers/loopback-aws.js";
import type { LoopbackAws } from "../../helpers/loopback-aws.js";

/**
 * SQS FIFO queues as the kit uses them: per pool a queue and a dead-letter queue, 5-minute
 * deduplication on MessageDeduplicationId, message groups (a group with a message in flight delivers
 * nothing else), visibility timeouts, ApproximateReceiveCount and redrive after maxReceiveCount.
 * Served over the AWS JSON protocol (SendMessage, ChangeMessageVisibility(Batch), DeleteMessage); the event
 * source mapping driver receives and deletes directly.
 */

export const ACCOUNT = "123456789012";
export const REGION = "eu-west-1";
export const DEDUPLICATION_WINDOW_MS = 5 * 60 * 1000;

export interface QueueMessage {
  readonly messageId: string;
  readonly body: string;
  readonly groupId: string;
  readonly deduplicationId: string;
  readonly attributes: Readonly<Record<string, { DataType: string; StringValue?: string }>>;
  readonly sentAt: number;
  sequenceNumber: string;
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt: number | undefined;
  receiptHandle: string | undefined;
}

export class FifoQueue {
  readonly messages: QueueMessage[] = [];
  /** Every message ever moved here or sent here (dead-letter queues keep them for the report). */
  readonly deduplication = new Map<string, { messageId: string; at: number }>();
  receives = 0;
  redeliveries = 0;
  sends = 0;
  deduplicated = 0;
  private sequence = 0;

  constructor(
    readonly name: string,
    readonly url: string,
    readonly visibilityTimeoutSeconds: number,
    readonly maxReceiveCount: number,
    readonly deadLetter: FifoQueue | undefined,
  ) {}

  get arn(): string {
    return `arn:aws:sqs:${REGION}:${ACCOUNT}:${this.name}`;
  }

  send(input: { body: string; groupId: string; deduplicationId: string; attributes?: QueueMessage["attributes"] }, now: number): { messageId: string; sequenceNumber: string } {
    this.sends += 1;
    const seen = this.deduplication.get(input.deduplicationId);
    if (seen !== undefined && now - seen.at < DEDUPLICATION_WINDOW_MS) {
      this.deduplicated += 1;
      return { messageId: seen.messageId, sequenceNumber: "0" };
    }
    const messageId = worldUuid();
    this.deduplication.set(input.deduplicationId, { messageId, at: now });
    this.sequence += 1;
    const message: QueueMessage = {
      messageId,
      body: input.body,
      groupId: input.groupId,
      deduplicationId: input.deduplicationId,
      attributes: input.attributes ?? {},
      sentAt: now,
      sequenceNumber: String(this.sequence).padStart(20, "0"),
      visibleAt: now,
      receiveCount: 0,
      firstReceivedAt: undefined,
      receiptHandle: undefined,
    };
    this.messages.push(message);
    return { messageId, sequenceNumber: message.sequenceNumber };
  }

  /** FIFO receive: in order, skipping groups with a message in flight; redrives messages received too often. */
  receive(max: number, now: number): QueueMessage[] {
    const blocked = new Set<string>();
    for (const message of this.messages) if (message.receiptHandle !== undefined && message.visibleAt > now) blocked.add(message.groupId);
    const taken: QueueMessage[] = [];
    for (const message of [...this.messages]) {
      if (taken.length >= max) break;
      if (blocked.has(message.groupId) || message.visibleAt > now) {
        blocked.add(message.groupId);
        continue;
      }
      if (message.receiveCount >= this.maxReceiveCount && this.deadLetter !== undefined) {
        // Redrive: moved instead of received an extra time.
        this.remove(message);
        this.deadLetter.messages.push({ ...message, receiptHandle: undefined, visibleAt: now, attributes: { ...message.attributes, Redriven: { DataType: "String", StringValue: "maxReceiveCount" } } });
        continue;
      }
      message.receiveCount += 1;
      if (message.receiveCount > 1) this.redeliveries += 1;
      message.firstReceivedAt ??= now;
      message.receiptHandle = worldUuid();
      message.visibleAt = now + this.visibilityTimeoutSeconds * 1000;
      this.receives += 1;
      taken.push(message);
    }
    return taken;
  }

  changeVisibility(receiptHandle: string, seconds: number, now: number): void {
    const message = this.messages.find((m) => m.receiptHandle === receiptHandle);
    if (message === undefined) throw new AwsFault("ReceiptHandleIsInvalid", 400, "The input receipt handle is invalid.");
    if (message.visibleAt <= now) throw new AwsFault("MessageNotInflight", 400, "The message referred to is not in flight.");
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > 43200) throw new AwsFault("InvalidParameterValue", 400, `VisibilityTimeout ${seconds}`);
    message.visibleAt = now + seconds * 1000;
  }

  delete(receiptHandle: string): boolean {
    const message = this.messages.find((m) => m.receiptHandle === receiptHandle);
    if (message === undefined) return false;
    this.remove(message);
    return true;
  }

  private remove(message: QueueMessage): void {
    const index = this.messages.indexOf(message);
    if (index >= 0) this.messages.splice(index, 1);
  }

  visible(now: number): number {
    return this.messages.filter((m) => m.visibleAt <= now).length;
  }
}

/** The queues of a world, by URL, with the JSON-protocol operations the handlers call. */
export class SqsModel {
  readonly queues = new Map<string, FifoQueue>();
  /** Set by the world: refuses ChangeMessageVisibility (an SQS fault) while it returns true. */
  failVisibility: () => boolean = () => false;
  /** Set by a scenario: refuses SendMessage (an SQS fault) while it returns true. */
  failSend: () => boolean = () => false;
  sendFailures = 0;
  visibilityFailures = 0;

  constructor(
    private readonly endpoint: string,
    private readonly now: () => number,
  ) {}

  createPool(pool: string, prefix: string, options: { visibilityTimeoutSeconds?: number; maxReceiveCount?: number } = {}): { queue: FifoQueue; deadLetter: FifoQueue } {
    const dlqName = `${prefix}-${pool}-dlq.fifo`;
    const deadLetter = new FifoQueue(dlqName, `${this.endpoint}/${ACCOUNT}/${dlqName}`, 30, Number.POSITIVE_INFINITY, undefined);
    const name = `${prefix}-${pool}.fifo`;
    const queue = new FifoQueue(name, `${this.endpoint}/${ACCOUNT}/${name}`, options.visibilityTimeoutSeconds ?? 180, options.maxReceiveCount ?? 100, deadLetter);
    this.queues.set(queue.url, queue);
    this.queues.set(deadLetter.url, deadLetter);
    return { queue, deadLetter };
  }

  private queue(url: unknown): FifoQueue {
    const queue = this.queues.get(String(url));
    if (queue === undefined) throw new AwsFault("AWS.SimpleQueueService.NonExistentQueue", 400, "The specified queue does not exist.");
    return queue;
  }

  serve(aws: LoopbackAws): void {
    aws
      .on("AmazonSQS.SendMessage", (input) => {
        if (this.failSend()) {
          this.sendFailures += 1;
          throw new AwsFault("InternalError", 500, "We encountered an internal error. Please try again.");
        }
        const queue = this.queue(input.QueueUrl);
        if (typeof input.MessageGroupId !== "string" || typeof input.MessageDeduplicationId !== "string") {
          throw new AwsFault("MissingParameter", 400, "FIFO queues need MessageGroupId and MessageDeduplicationId");
        }
        const body = String(input.MessageBody);
        const sent = queue.send(
          { body, groupId: input.MessageGroupId, deduplicationId: input.MessageDeduplicationId, attributes: (input.MessageAttributes ?? {}) as QueueMessage["attributes"] },
          this.now(),
        );
        // The SDK checks the MD5 of the body it sent against the answer.
        return { MessageId: sent.messageId, MD5OfMessageBody: createHash("md5").update(body).digest("hex"), SequenceNumber: sent.sequenceNumber };
      })
      .on("AmazonSQS.ChangeMessageVisibility", (input) => {
        if (this.failVisibility()) {
          this.visibilityFailures += 1;
          throw new AwsFault("InternalError", 500, "We encountered an internal error. Please try again.");
        }
        this.queue(input.QueueUrl).changeVisibility(String(input.ReceiptHandle), Number(input.VisibilityTimeout), this.now());
        return {};
      })
      .on("AmazonSQS.ChangeMessageVisibilityBatch", (input) => {
        // A refused call fails as a whole, as SQS's internal errors do; a bad entry fails alone.
        if (this.failVisibility()) {
          this.visibilityFailures += 1;
          throw new AwsFault("InternalError", 500, "We encountered an internal error. Please try again.");
        }
        const queue = this.queue(input.QueueUrl);
        const entries = (input.Entries ?? []) as Array<{ Id: string; ReceiptHandle: string; VisibilityTimeout: number }>;
        if (entries.length === 0 || entries.length > 10) throw new AwsFault("AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400, `${entries.length} entries`);
        const Successful: Array<{ Id: string }> = [];
        const Failed: Array<{ Id: string; SenderFault: boolean; Code: string; Message?: string }> = [];
        for (const entry of entries) {
          try {
            queue.changeVisibility(String(entry.ReceiptHandle), Number(entry.VisibilityTimeout), this.now());
            Successful.push({ Id: entry.Id });
          } catch (error) {
            if (!(error instanceof AwsFault)) throw error;
            Failed.push({ Id: entry.Id, SenderFault: true, Code: error.type, Message: error.message });
          }
        }
        return { Successful, Failed };
      })
      .on("AmazonSQS.DeleteMessage", (input) => {
        if (!this.queue(input.QueueUrl).delete(String(input.ReceiptHandle))) throw new AwsFault("ReceiptHandleIsInvalid", 400);
        return {};
      });
  }
}

/** The SQS record Lambda's event source mapping hands the function. */
export function sqsRecord(queue: FifoQueue, message: QueueMessage): SQSRecord {
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle as string,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(message.sentAt),
      SenderId: "AROAEXAMPLE:sr-webhook",
      ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? message.sentAt),
      SequenceNumber: message.sequenceNumber,
      MessageGroupId: message.groupId,
      MessageDeduplicationId: message.deduplicationId,
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.attributes).map(([name, value]) => [name, { dataType: value.DataType, stringValue: value.StringValue, stringListValues: [], binaryListValues: [] }]),
    ),
    md5OfBody: createHash("md5").update(message.body).digest("hex"),
    eventSource: "aws:sqs",
    eventSourceARN: queue.arn,
    awsRegion: REGION,
  };
}
