import type { Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { CreateTableCommandInput } from "@aws-sdk/client-dynamodb";
import { TEST_ACCOUNT } from "./aws.js";
import { LoopbackAws, answerGetParameter, answerSendMessage, serviceEndpointEnv } from "./loopback-aws.js";
import { LOOPBACK_AWS_ENV } from "./shipped-zip.js";

// dynalite ships no type declarations; this is the part of its API the doubles use.
const dynalite = createRequire(import.meta.url)("dynalite") as (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;

/** The SSM name the doubles serve the webhook secret under. */
export const WEBHOOK_SECRET_PARAMETER = "/sr/github-app/webhook-secret";

export interface WebhookDoublesOptions {
  /** The webhook secret SSM answers with. */
  readonly secret: string;
  /** Pool key to labels; each pool gets a FIFO queue URL on the loopback endpoint (POOLS). */
  readonly pools: Readonly<Record<string, readonly string[]>>;
  /** MAX_BODY_BYTES; when absent the handler uses its default. */
  readonly maxBodyBytes?: number;
  /** Tables created in the DynamoDB double before the handler is loaded. */
  readonly tables?: readonly CreateTableCommandInput[];
  /** More environment for the handler, e.g. a table name. */
  readonly env?: Readonly<Record<string, string>>;
}

/** One SendMessage input as the loopback SQS recorded it. */
export interface SentJobMessage {
  readonly QueueUrl: string;
  readonly MessageBody: string;
  readonly MessageGroupId: string;
  readonly MessageDeduplicationId: string;
  readonly MessageAttributes: Record<string, { readonly DataType: string; readonly StringValue: string }>;
}

export interface WebhookDoubles {
  /** SSM and SQS on loopback; script other answers (e.g. a failing SendMessage) with `aws.on`. */
  readonly aws: LoopbackAws;
  /** dynalite on loopback: DynamoDB with real conditional writes, for ledgers and idempotency records. */
  readonly dynamodbEndpoint: string;
  /** Pool key to its queue URL. */
  readonly queueUrls: Readonly<Record<string, string>>;
  /** The webhook's environment: per-service endpoints, POOLS, the secret's parameter name. */
  readonly env: Record<string, string>;
  /** Every SendMessage since the last reset. */
  sent(): SentJobMessage[];
  /** GetParameter calls since the last reset. */
  secretReads(): number;
  /** A client of the DynamoDB double, for assertions on what the handler wrote. */
  dynamodb(): DynamoDBClient;
  /** Forgets the recorded SSM and SQS calls. */
  reset(): void;
  stop(): Promise<void>;
}

/**
 * The AWS side of the webhook for shipped-zip tests, in one place: SSM (the secret) and SQS (one FIFO
 * queue per pool) on a LoopbackAws endpoint, DynamoDB on a dynalite server, each reached by the zip's
 * own SDK through its AWS_ENDPOINT_URL_<SERVICE> variable; anything else goes to a closed port.
 * Pass `env` to loadShippedHandler("webhook", env).
 */
export async function startWebhookDoubles(options: WebhookDoublesOptions): Promise<WebhookDoubles> {
  const aws = new LoopbackAws()
    .on("AmazonSSM.GetParameter", answerGetParameter({ [WEBHOOK_SECRET_PARAMETER]: options.secret }))
    .on("AmazonSQS.SendMessage", answerSendMessage());
  const dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const [awsEndpoint, dynamodbEndpoint] = await Promise.all([
    aws.start(),
    new Promise<string>((resolve) => dynamo.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`))),
  ]);

  const clients: DynamoDBClient[] = [];
  const dynamodb = (): DynamoDBClient => {
    const client = new DynamoDBClient({
      endpoint: dynamodbEndpoint,
      region: LOOPBACK_AWS_ENV.AWS_REGION,
      credentials: { accessKeyId: LOOPBACK_AWS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: LOOPBACK_AWS_ENV.AWS_SECRET_ACCESS_KEY },
    });
    clients.push(client);
    return client;
  };
  const setup = dynamodb();
  for (const table of options.tables ?? []) await setup.send(new CreateTableCommand(table));

  // The SQS client sends to the queue URL's host, so the queues live on the loopback endpoint too.
  const queueUrls = Object.fromEntries(Object.keys(options.pools).map((pool) => [pool, `${awsEndpoint}/${TEST_ACCOUNT}/sr-${pool}.fifo`]));
  const env: Record<string, string> = {
    AWS_ENDPOINT_URL: LOOPBACK_AWS_ENV.AWS_ENDPOINT_URL,
    ...serviceEndpointEnv({ SSM: awsEndpoint, SQS: awsEndpoint, DynamoDB: dynamodbEndpoint }),
    WEBHOOK_SECRET_PARAMETER,
    POOLS: JSON.stringify(
      Object.fromEntries(Object.entries(options.pools).map(([pool, labels]) => [pool, { labels, queueUrl: queueUrls[pool] }])),
    ),
    ...(options.maxBodyBytes === undefined ? {} : { MAX_BODY_BYTES: String(options.maxBodyBytes) }),
    ...options.env,
  };

  return {
    aws,
    dynamodbEndpoint,
    queueUrls,
    env,
    sent: () => aws.inputsOf("AmazonSQS.SendMessage") as unknown as SentJobMessage[],
    secretReads: () => aws.inputsOf("AmazonSSM.GetParameter").length,
    dynamodb,
    reset: () => {
      aws.calls.length = 0;
    },
    stop: async () => {
      for (const client of clients) client.destroy();
      await Promise.all([aws.stop(), new Promise<void>((resolve, reject) => dynamo.close((e) => (e ? reject(e) : resolve())))]);
    },
  };
}
