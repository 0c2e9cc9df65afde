import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { WebhookError, flushMetrics, logger, withCorrelation } from "../shared/core.js";
import { dynamoDbLimitCounters } from "../libs/ledger/dynamodb-counters.js";
import { dynamoDbLedger } from "../libs/ledger/dynamodb-store.js";
import { awsJsonClient } from "./adapters/aws-json.js";
import { DYNAMODB_RETRYABLE_ERRORS, signedDocumentClient } from "./adapters/dynamodb-document.js";
import { ledgerJobBook } from "./adapters/ledger.js";
import { ssmSecureStringReader } from "./adapters/secret-parameter.js";
import type { ReadSecureString } from "./adapters/secret-parameter.js";
import { signedSqsJobQueue, sqsJobQueue } from "./adapters/sqs.js";
import { webhookConfigFromEnv } from "./config.js";
import { handleWebhook } from "./webhook.js";
import type { WebhookAnswer, WebhookDeps } from "./webhook.js";
import { DELIVERY_HEADER, headerValue, webhookSecretLoader } from "./verify.js";

/**
 * The AWS clients of the deployed function, built in its own bundle. No layer and no X-Ray SDK: the
 * webhook is bundled alone to start fast (docs/performance.md, "Webhook"); with `enable_tracing` the
 * function's own segment is still traced by Lambda, its SDK calls are not subsegments.
 */
export interface WebhookClients {
  readonly sqs: SQSClient;
  readonly dynamoDb: DynamoDBClient;
  /** Reads the webhook secrets' SecureStrings; default: {@link ssmSecureStringReader}, signed like dynamoDb's calls. */
  readonly readSecret: ReadSecureString;
}

/**
 * The deployed dependencies, from the function's environment. Runs on the first invocation. Ledger
 * item calls and SendMessage go out as signed awsJson requests (adapters/aws-json.ts) with the SDK
 * clients' own region, credentials and retry strategies: the clients' per-call middleware was most of
 * the CPU per delivery (docs/performance.md, "Webhook"). Clients passed in (tests) are used through the
 * SDK as given. The SQS side is made on the first send (pings, refusals and progress events never build it).
 */
export function defaultDeps(env?: NodeJS.ProcessEnv, clients: Partial<WebhookClients> = {}): WebhookDeps {
  const config = webhookConfigFromEnv(env);
  const dynamoDb = clients.dynamoDb ?? new DynamoDBClient({});
  let send: ReturnType<typeof sqsJobQueue> | undefined;
  let sdkDocumentClient: DynamoDBDocumentClient | undefined;
  const sdkDocuments = () => (sdkDocumentClient ??= DynamoDBDocumentClient.from(dynamoDb, { marshallOptions: { removeUndefinedValues: true } }));
  const documentClient =
    clients.dynamoDb === undefined
      ? signedDocumentClient(awsJsonClient(dynamoDb.config, { service: "dynamodb", endpointVariable: "DYNAMODB", jsonVersion: "1.0", retryableErrors: DYNAMODB_RETRYABLE_ERRORS }), sdkDocuments)
      : sdkDocuments();
  const newQueue = () => {
    if (clients.sqs !== undefined) return sqsJobQueue(clients.sqs);
    // The SQS client is built for its resolved config only (region, credentials, its retry defaults).
    return signedSqsJobQueue(awsJsonClient(new SQSClient({}).config, { service: "sqs", endpointVariable: "SQS", jsonVersion: "1.0" }));
  };
  // Signed with the DynamoDB client's region and credential chain (resolved once, shared).
  const readSecret = clients.readSecret ?? ssmSecureStringReader(dynamoDb.config);
  return {
    pools: config.pools,
    maxBodyBytes: config.maxBodyBytes,
    admission: config.admission,
    maxJobAgeSeconds: config.maxJobAgeSeconds,
    // Webhook secret rotation: current and previous parameter, re-read on a mismatch (verify.ts).
    secrets: webhookSecretLoader({
      currentParameter: config.secretParameter,
      ...(config.previousSecretParameter === undefined ? {} : { previousParameter: config.previousSecretParameter }),
      read: readSecret,
    }),
    enqueue: (queueUrl, job) => (send ??= newQueue())(queueUrl, job),
    jobs: ledgerJobBook(dynamoDbLedger(documentClient, config.jobsTable), dynamoDbLimitCounters(documentClient, config.jobsTable), config.prefix),
    now: () => new Date(),
  };
}

/**
 * API Gateway REST proxy handler over `loadDeps`, which runs on the first invocation; its result is
 * kept for the life of the execution environment (warm invocations reuse clients and connections).
 */
export function createHandler(loadDeps: () => WebhookDeps): (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult> {
  let deps: WebhookDeps | undefined;
  return async (event, context) => {
    logger.addContext(context);
    return withCorrelation({ deliveryId: headerValue(event, DELIVERY_HEADER) }, () => handle(event));
  };

  async function handle(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
    try {
      deps ??= loadDeps();
      return toResult(await handleWebhook(event, deps));
    } catch (error) {
      if (error instanceof WebhookError) {
        if (error.statusCode >= 500) logger.error("webhook failed", { error });
        else logger.warn("webhook refused", { statusCode: error.statusCode, reason: error.message });
        return toResult({ statusCode: error.statusCode, body: { message: error.message } });
      }
      logger.error("webhook failed", { error });
      return toResult({ statusCode: 500, body: { message: "internal error" } });
    } finally {
      flushMetrics();
    }
  }
}

/** The GitHub App's webhook endpoint (the zip's entry point). */
export const handler = createHandler(defaultDeps);

/** Every answer's headers, one object for the environment's life (the runtime only serialises it). */
const ANSWER_HEADERS = Object.freeze({ "content-type": "application/json" });

function toResult(answer: WebhookAnswer): APIGatewayProxyResult {
  return { statusCode: answer.statusCode, headers: ANSWER_HEADERS, body: JSON.stringify(answer.body) };
}
