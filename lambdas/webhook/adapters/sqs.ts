import { SendMessageCommand } from "@aws-sdk/client-sqs";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { DELIVERY_ID_ATTRIBUTE, jobDeduplicationId, jobGroupId } from "../../shared/core.js";
import type { JobMessage } from "../../shared/core.js";

/** Puts a job on its pool's FIFO queue. */
export type EnqueueJob = (queueUrl: string, job: JobMessage) => Promise<void>;

/**
 * SendMessage with the ids of docs/contracts.md: group = job id (full parallelism), deduplication =
 * `<jobId>-<runAttempt>` so GitHub redeliveries within the 5-minute window enqueue nothing new.
 */
export function sqsJobQueue(client: SQSClient): EnqueueJob {
  return async (queueUrl, job) => {
    await client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(job),
        MessageGroupId: jobGroupId(job),
        MessageDeduplicationId: jobDeduplicationId(job),
        MessageAttributes: {
          [DELIVERY_ID_ATTRIBUTE]: { DataType: "String", StringValue: job.deliveryId },
        },
      }),
    );
  };
}
