import { ChangeMessageVisibilityCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import type { SQSClient } from "@aws-sdk/client-sqs";

/** What scale-up does to queue messages besides answering the batch. */
export interface JobQueueControl {
  /** Makes the message invisible for `seconds` (it comes back then, not after the default timeout). */
  defer(queueUrl: string, receiptHandle: string, seconds: number): Promise<void>;
  /** Puts a copy on the dead-letter queue with the reason; the caller then lets the original go. */
  deadLetter(deadLetterQueueUrl: string, message: { readonly id: string; readonly body: string; readonly groupId: string }, reason: string): Promise<void>;
  /** Queues a job message again (the reconciler's relaunch) under a new deduplication id. */
  requeue(queueUrl: string, body: string, groupId: string, deduplicationId: string): Promise<void>;
}

export function sqsJobQueueControl(client: SQSClient): JobQueueControl {
  return {
    async defer(queueUrl, receiptHandle, seconds) {
      await client.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }));
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
