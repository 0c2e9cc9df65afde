import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  paginateListQueues,
} from "@aws-sdk/client-sqs";
import type { MessageAttributeValue, SQSClient } from "@aws-sdk/client-sqs";
import { CliError } from "../errors.js";
import { deadLetterQueueName, queueName } from "../deployment.js";
import type { Deployment } from "../deployment.js";

/** A pool's queue and dead-letter queue, by URL. */
export interface PoolQueueUrls {
  readonly pool: string;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
}

/**
 * The deployment's pools with their queue URLs, sorted by pool. With `--prefix` the pools are the
 * names `<prefix>-<pool>-dlq.fifo` whose `<prefix>-<pool>.fifo` also exists (ListQueues).
 */
export async function poolQueues(client: SQSClient, deployment: Deployment): Promise<PoolQueueUrls[]> {
  if (deployment.pools !== undefined) {
    const pools = Object.entries(deployment.pools).sort(([a], [b]) => a.localeCompare(b));
    return Promise.all(
      pools.map(async ([pool, queues]) => ({
        pool,
        queueUrl: queues.queueUrl ?? (await queueUrl(client, queues.queueName)),
        deadLetterQueueUrl: await queueUrl(client, queues.deadLetterQueueName),
      })),
    );
  }
  const byName = new Map<string, string>();
  for await (const page of paginateListQueues({ client }, { QueueNamePrefix: `${deployment.prefix}-`, MaxResults: 1000 })) {
    for (const url of page.QueueUrls ?? []) byName.set(url.slice(url.lastIndexOf("/") + 1), url);
  }
  const found: PoolQueueUrls[] = [];
  const dlq = new RegExp(`^${deployment.prefix}-(.+)-dlq\\.fifo$`);
  for (const [name, url] of byName) {
    const pool = dlq.exec(name)?.[1];
    const main = pool === undefined ? undefined : byName.get(queueName(deployment.prefix, pool));
    if (pool !== undefined && main !== undefined && name === deadLetterQueueName(deployment.prefix, pool)) found.push({ pool, queueUrl: main, deadLetterQueueUrl: url });
  }
  if (found.length === 0) throw new CliError(`no queues named ${deployment.prefix}-<pool>.fifo found: is --prefix (and --region) right?`);
  return found.sort((a, b) => a.pool.localeCompare(b.pool));
}

async function queueUrl(client: SQSClient, name: string): Promise<string> {
  const url = (await client.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  if (url === undefined) throw new CliError(`queue ${name} has no URL`);
  return url;
}

/** Messages waiting plus in flight (ApproximateNumberOfMessages + ...NotVisible). */
export async function queueDepth(client: SQSClient, url: string): Promise<number> {
  const attributes = (
    await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }))
  ).Attributes;
  return Number(attributes?.ApproximateNumberOfMessages ?? 0) + Number(attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

/** A received dead-lettered message. */
export interface DeadLetter {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  /** String message attributes (scale-up's `Reason`, the webhook's `DeliveryId`). */
  readonly attributes: Readonly<Record<string, string>>;
}

/**
 * Receives every visible message of a dead-letter queue, hiding each for `hideSeconds` so one pass
 * sees each message once; stops at the first empty answer, or when a page brings back only messages
 * already seen (a pass longer than `hideSeconds`).
 */
export async function receiveAll(client: SQSClient, url: string, hideSeconds: number): Promise<DeadLetter[]> {
  const received: DeadLetter[] = [];
  const seen = new Set<string>();
  for (;;) {
    const page = await client.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: hideSeconds, WaitTimeSeconds: 0, MessageAttributeNames: ["All"] }),
    );
    const messages = (page.Messages ?? []).filter((message) => message.MessageId !== undefined && !seen.has(message.MessageId));
    if (messages.length === 0) return received;
    for (const message of messages) {
      if (message.MessageId === undefined || message.ReceiptHandle === undefined) continue;
      seen.add(message.MessageId);
      received.push({
        messageId: message.MessageId,
        receiptHandle: message.ReceiptHandle,
        body: message.Body ?? "",
        attributes: Object.fromEntries(
          Object.entries(message.MessageAttributes ?? {}).flatMap(([name, value]) => (value.StringValue === undefined ? [] : [[name, value.StringValue]])),
        ),
      });
    }
  }
}

/** A FIFO send; resolves with the new message id. */
export async function sendMessage(
  client: SQSClient,
  url: string,
  message: { readonly body: string; readonly groupId: string; readonly deduplicationId: string; readonly attributes: Readonly<Record<string, string>> },
): Promise<string | undefined> {
  const attributes: Record<string, MessageAttributeValue> = Object.fromEntries(
    Object.entries(message.attributes).map(([name, value]) => [name, { DataType: "String", StringValue: value }]),
  );
  const sent = await client.send(
    new SendMessageCommand({
      QueueUrl: url,
      MessageBody: message.body,
      MessageGroupId: message.groupId,
      MessageDeduplicationId: message.deduplicationId,
      ...(Object.keys(attributes).length > 0 ? { MessageAttributes: attributes } : {}),
    }),
  );
  return sent.MessageId;
}

export async function deleteMessage(client: SQSClient, url: string, receiptHandle: string): Promise<void> {
  await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: receiptHandle }));
}

/** Makes a received message visible again at once (it stays where it is). */
export async function showAgain(client: SQSClient, url: string, receiptHandle: string): Promise<void> {
  await client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: receiptHandle, VisibilityTimeout: 0 }));
}
