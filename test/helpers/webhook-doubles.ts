import { TEST_ACCOUNT } from "./aws.js";
import { startDynalite } from "./dynalite.js";
import type { LocalDynamoDb } from "./dynalite.js";
import { LoopbackAws, answerGetParameter, answerSendMessage, serviceEndpointEnv } from "./loopback-aws.js";
import { LOOPBACK_AWS_ENV } from "./shipped-zip.js";

/** The SSM name the doubles serve the webhook secret under. */
export const WEBHOOK_SECRET_SSM_PARAMETER_NAME = "/sr/github-app/webhook-secret";
/** The job ledger table (JOBS_TABLE), created empty in the DynamoDB double. */
export const JOBS_TABLE = "sr-jobs";
/** The kit's name prefix (PREFIX). */
export const PREFIX = "sr";

export interface WebhookDoublesOptions {
  /** The webhook secret SSM answers with. */
  readonly secret: string;
  /** More SSM parameters (name to value), e.g. a previous webhook secret during a rotation. */
  readonly parameters?: Readonly<Record<string, string>>;
  /** Pool key to labels; each pool gets a FIFO queue URL on the loopback endpoint (POOLS). */
  readonly pools: Readonly<Record<string, readonly string[]>>;
  /** WEBHOOK_MAX_BODY_BYTES; when absent the module's default, 262144. */
  readonly maxBodyBytes?: number;
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
  /** dynalite on loopback (test/helpers/dynalite.ts): the job ledger table with real conditional writes. */
  readonly dynamodb: LocalDynamoDb;
  /** Pool key to its queue URL. */
  readonly queueUrls: Readonly<Record<string, string>>;
  /** The webhook's environment: per-service endpoints, POOLS, the secret's parameter name, JOBS_TABLE, PREFIX. */
  readonly env: Record<string, string>;
  /** Every SendMessage since the last reset. */
  sent(): SentJobMessage[];
  /** GetParameter calls since the last reset. */
  secretReads(): number;
  /** Forgets the recorded SSM and SQS calls. */
  reset(): void;
  stop(): Promise<void>;
}

/**
 * The AWS side of the webhook for shipped-zip tests, in one place: SSM (the secret) and SQS (one FIFO
 * queue per pool) on a LoopbackAws endpoint, DynamoDB (the job ledger table) on dynalite, each reached
 * by the zip's own SDK through its AWS_ENDPOINT_URL_<SERVICE> variable; anything else goes to a
 * closed port. Pass `env` to loadShippedHandler("webhook", env).
 */
export async function startWebhookDoubles(options: WebhookDoublesOptions): Promise<WebhookDoubles> {
  const aws = new LoopbackAws()
    .on("AmazonSSM.GetParameter", answerGetParameter({ ...options.parameters, [WEBHOOK_SECRET_SSM_PARAMETER_NAME]: options.secret }))
    .on("AmazonSQS.SendMessage", answerSendMessage());
  const [awsEndpoint, dynamodb] = await Promise.all([aws.start(), startDynalite()]);
  await dynamodb.createTable(JOBS_TABLE);

  // The SQS client sends to the queue URL's host, so the queues live on the loopback endpoint too.
  const queueUrls = Object.fromEntries(Object.keys(options.pools).map((pool) => [pool, `${awsEndpoint}/${TEST_ACCOUNT}/sr-${pool}.fifo`]));
  const env: Record<string, string> = {
    AWS_ENDPOINT_URL: LOOPBACK_AWS_ENV.AWS_ENDPOINT_URL,
    ...serviceEndpointEnv({ SSM: awsEndpoint, SQS: awsEndpoint, DynamoDB: dynamodb.endpoint }),
    WEBHOOK_SECRET_SSM_PARAMETER_NAME,
    JOBS_TABLE,
    PREFIX,
    POOLS: JSON.stringify(
      Object.fromEntries(Object.entries(options.pools).map(([pool, labels]) => [pool, { labels, queueUrl: queueUrls[pool] }])),
    ),
    WEBHOOK_MAX_BODY_BYTES: String(options.maxBodyBytes ?? 262_144),
    // The module's defaults: any owner, an hour's replay bound.
    ALLOWED_OWNERS: "[]",
    ALLOWED_REPOSITORIES: "[]",
    WEBHOOK_MAX_JOB_AGE_SECONDS: "3600",
    ...options.env,
  };

  return {
    aws,
    dynamodb,
    queueUrls,
    env,
    sent: () => aws.inputsOf("AmazonSQS.SendMessage") as unknown as SentJobMessage[],
    secretReads: () => aws.inputsOf("AmazonSSM.GetParameter").length,
    reset: () => {
      aws.calls.length = 0;
    },
    stop: async () => {
      await Promise.all([aws.stop(), dynamodb.close()]);
    },
  };
}
