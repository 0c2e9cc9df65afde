import { ChangeMessageVisibilityBatchCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import type { SQSClient } from "@aws-sdk/client-sqs";

/** What scale-up does to queue messages besides answering the batch. */
export interface JobQueueControl {
  /**
   * Makes each message invisible for its `seconds` (it comes back then, not after the default
   * timeout): one ChangeMessageVisibilityBatch per 10 messages. Resolves to the receipt handles SQS
   * refused (their queue default applies); a failed call rejects.
   */
  defer(queueUrl: string, messages: readonly DeferredMessage[]): Promise<string[]>;
  /** Puts a copy on the dead-letter queue with the reason; the caller then lets the original go. */
  deadLetter(deadLetterQueueUrl: string, message: { readonly id: string; readonly body: string; readonly groupId: string }, reason: string): Promise<void>;
  /** Queues a job message again (the reconciler's relaunch) under a new deduplication id. */
  requeue(queueUrl: string, body: string, groupId: string, deduplicationId: string): Promise<void>;
}

/** A message to make invisible for a while. */
export interface DeferredMessage {
  readonly receiptHandle: string;
  readonly seconds: number;
}

/** ChangeMessageVisibilityBatch's largest batch. */
const VISIBILITY_BATCH_MAX = 10;

export function sqsJobQueueControl(client: SQSClient): JobQueueControl {
  return {
    async defer(queueUrl, messages) {
      const refused: string[] = [];
      for (let start = 0; start < messages.length; start += VISIBILITY_BATCH_MAX) {
        const chunk = messages.slice(start, start + VISIBILITY_BATCH_MAX);
        // Entry ids are the index in the chunk: receipt handles are too long and not id-safe.
        const response = await client.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: chunk.map((message, index) => ({ Id: String(index), ReceiptHandle: message.receiptHandle, VisibilityTimeout: message.seconds })),
          }),
        );
        for (const failed of response.Failed ?? []) {
          const message = chunk[Number(failed.Id)];
          if (message !== undefined) refused.push(message.receiptHandle);
        }
      }
      return refused;
    },
    async deadLetter(deadLetterQueueUrl, message, reason) {
      await client.send(
        new SendMessageCommand({
          QueueUrl: deadLetterQueueUrl,
          MessageBody: message.body,
          MessageGroupId: message.groupId,
          // The original message id: moving the same message twice leaves one copy.
          MessageDeduplicationId: message.id,
          MessageAttributes: {
            Reason: { DataType: "String", StringValue: reason.slice(0, 1000) },
            OriginalMessageId: { DataType: "String", StringValue: message.id },
          },
        }),
      );
    },
    async requeue(queueUrl, body, groupId, deduplicationId) {
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageGroupId: groupId, MessageDeduplicationId: deduplicationId }));
    },
  };
}
