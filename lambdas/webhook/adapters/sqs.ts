import { createHash } from "node:crypto";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { DELIVERY_ID_ATTRIBUTE, jobDeduplicationId, jobGroupId } from "../../shared/core.js";
import type { JobMessage } from "../../shared/core.js";
import type { AwsJsonCall } from "./aws-json.js";

/** Puts a job on its pool's FIFO queue. */
export type EnqueueJob = (queueUrl: string, job: JobMessage) => Promise<void>;

/**
 * SendMessage's input with the ids of docs/contracts.md: group = job id (full parallelism),
 * deduplication = `<jobId>-<runAttempt>` so GitHub redeliveries within the 5-minute window enqueue nothing new.
 */
function sendMessageInput(queueUrl: string, job: JobMessage) {
  return {
    QueueUrl: queueUrl,
    MessageBody: JSON.stringify(job),
    MessageGroupId: jobGroupId(job),
    MessageDeduplicationId: jobDeduplicationId(job),
    MessageAttributes: {
      [DELIVERY_ID_ATTRIBUTE]: { DataType: "String", StringValue: job.deliveryId },
    },
  };
}

/** SendMessage through an SDK client (tests inject one). */
export function sqsJobQueue(client: SQSClient): EnqueueJob {
  return async (queueUrl, job) => {
    await client.send(new SendMessageCommand(sendMessageInput(queueUrl, job)));
  };
}

/**
 * SendMessage as one signed awsJson call (aws-json.ts), sent to the queue URL's host when no endpoint is
 * configured, as the SQS client does (`useQueueUrlAsEndpoint`), and with the client's check of the
 * body's MD5 (its default `md5: true`): a mismatch throws, so the delivery is not acknowledged.
 */
export function signedSqsJobQueue(call: AwsJsonCall): EnqueueJob {
  // Each pool's queue host, parsed once (a few queues for the environment's life).
  const origins = new Map<string, URL>();
  const originOf = (queueUrl: string): URL => {
    let origin = origins.get(queueUrl);
    if (origin === undefined) origins.set(queueUrl, (origin = new URL(new URL(queueUrl).origin)));
    return origin;
  };
  return async (queueUrl, job) => {
    const input = sendMessageInput(queueUrl, job);
    const output = await call("AmazonSQS.SendMessage", input, originOf(queueUrl));
    const md5 = createHash("md5").update(input.MessageBody).digest("hex");
    if (output.MD5OfMessageBody !== md5) throw new Error(`SendMessage: MD5 of the message body is ${String(output.MD5OfMessageBody)}, expected ${md5}`);
  };
}
