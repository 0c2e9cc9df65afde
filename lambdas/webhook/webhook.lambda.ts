import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { WebhookError, flushMetrics, getSecureString, logger } from "../shared/index.js";
import { dynamoDbLimitCounters } from "../libs/ledger/dynamodb-counters.js";
import { dynamoDbLedger } from "../libs/ledger/dynamodb-store.js";
import { ledgerJobBook } from "./adapters/ledger.js";
import { oncePerDeliveryWithPowertools } from "./adapters/idempotency.js";
import { sqsJobQueue } from "./adapters/sqs.js";
import { webhookConfigFromEnv } from "./config.js";
import { handleWebhook } from "./webhook.js";
import type { WebhookAnswer, WebhookDeps } from "./webhook.js";
import { DELIVERY_HEADER, headerValue, webhookSecretLoader } from "./verify.js";

// Clients are built here, in the handler's own bundle, not in the shared layer: SDK commands and
// paginators check `client instanceof <their own client class>`, and the layer carries another copy.
// Built once per execution environment, so warm invocations reuse connections.
const sqsClient = new SQSClient({});
const dynamoDbClient = new DynamoDBClient({});
const dynamoDbDocumentClient = DynamoDBDocumentClient.from(dynamoDbClient, { marshallOptions: { removeUndefinedValues: true } });

// Read on the first invocation, then kept for the life of the execution environment.
let deps: (WebhookDeps & { readonly registerContext: (context: Context) => void }) | undefined;

function loadDeps(): NonNullable<typeof deps> {
  const config = webhookConfigFromEnv();
  const once = oncePerDeliveryWithPowertools(dynamoDbClient, config.jobsTable);
  return {
    pools: config.pools,
    maxBodyBytes: config.maxBodyBytes,
    // Webhook secret rotation: current and previous parameter, re-read on a mismatch (verify.ts).
    secrets: webhookSecretLoader({
      currentParameter: config.secretParameter,
      ...(config.previousSecretParameter === undefined ? {} : { previousParameter: config.previousSecretParameter }),
      read: (name, fresh) => getSecureString(name, { forceFetch: fresh }),
    }),
    enqueue: sqsJobQueue(sqsClient),
    jobs: ledgerJobBook(dynamoDbLedger(dynamoDbDocumentClient, config.jobsTable), dynamoDbLimitCounters(dynamoDbDocumentClient, config.jobsTable), config.prefix),
    oncePerDelivery: once.run,
    registerContext: once.registerContext,
    now: () => new Date(),
  };
}

/** API Gateway REST proxy handler: the GitHub App's webhook endpoint. */
export async function handler(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  logger.addContext(context);
  logger.appendKeys({ deliveryId: headerValue(event, DELIVERY_HEADER) });
  try {
    deps ??= loadDeps();
    deps.registerContext(context);
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
    logger.removeKeys(["deliveryId"]);
    flushMetrics();
  }
}

function toResult(answer: WebhookAnswer): APIGatewayProxyResult {
  return {
    statusCode: answer.statusCode,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(answer.body),
  };
}
