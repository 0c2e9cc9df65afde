import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { WebhookError, flushMetrics, getSecureString, logger, traced, withCorrelation } from "../shared/index.js";
import { dynamoDbLimitCounters } from "../libs/ledger/dynamodb-counters.js";
import { dynamoDbLedger } from "../libs/ledger/dynamodb-store.js";
import { ledgerJobBook } from "./adapters/ledger.js";
import { oncePerDeliveryWithPowertools } from "./adapters/idempotency.js";
import { sqsJobQueue } from "./adapters/sqs.js";
import { webhookConfigFromEnv } from "./config.js";
import { handleWebhook } from "./webhook.js";
import type { WebhookAnswer, WebhookDeps } from "./webhook.js";
import { DELIVERY_HEADER, headerValue, webhookSecretLoader } from "./verify.js";

/** The core's dependencies plus what the edge needs: Powertools idempotency wants the Lambda context. */
export type WebhookHandlerDeps = WebhookDeps & { readonly registerContext: (context: Context) => void };

/**
 * The AWS clients of the deployed function. They are built here, in the handler's own bundle, not in
 * the shared layer: SDK commands and paginators check `client instanceof <their own client class>`,
 * and the layer carries another copy.
 */
export interface WebhookClients {
  readonly sqs: SQSClient;
  readonly dynamoDb: DynamoDBClient;
}

/** The deployed dependencies, from the function's environment. */
export function defaultDeps(env?: NodeJS.ProcessEnv, clients: WebhookClients = { sqs: traced(new SQSClient({})), dynamoDb: traced(new DynamoDBClient({})) }): WebhookHandlerDeps {
  const config = webhookConfigFromEnv(env);
  const documentClient = DynamoDBDocumentClient.from(clients.dynamoDb, { marshallOptions: { removeUndefinedValues: true } });
  const once = oncePerDeliveryWithPowertools(clients.dynamoDb, config.jobsTable);
  return {
    pools: config.pools,
    maxBodyBytes: config.maxBodyBytes,
    admission: config.admission,
    maxJobAgeSeconds: config.maxJobAgeSeconds,
    // Webhook secret rotation: current and previous parameter, re-read on a mismatch (verify.ts).
    secrets: webhookSecretLoader({
      currentParameter: config.secretParameter,
      ...(config.previousSecretParameter === undefined ? {} : { previousParameter: config.previousSecretParameter }),
      read: (name, fresh) => getSecureString(name, { forceFetch: fresh }),
    }),
    enqueue: sqsJobQueue(clients.sqs),
    jobs: ledgerJobBook(dynamoDbLedger(documentClient, config.jobsTable), dynamoDbLimitCounters(documentClient, config.jobsTable), config.prefix),
    oncePerDelivery: once.run,
    registerContext: once.registerContext,
    now: () => new Date(),
  };
}

/**
 * API Gateway REST proxy handler over `loadDeps`, which runs on the first invocation; its result is
 * kept for the life of the execution environment (warm invocations reuse clients and connections).
 */
export function createHandler(loadDeps: () => WebhookHandlerDeps): (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult> {
  let deps: WebhookHandlerDeps | undefined;
  return async (event, context) => {
    logger.addContext(context);
    return withCorrelation({ deliveryId: headerValue(event, DELIVERY_HEADER) }, () => handle(event, context));
  };

  async function handle(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
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
      flushMetrics();
    }
  }
}

/** The GitHub App's webhook endpoint (the zip's entry point). */
export const handler = createHandler(defaultDeps);

function toResult(answer: WebhookAnswer): APIGatewayProxyResult {
  return {
    statusCode: answer.statusCode,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(answer.body),
  };
}
