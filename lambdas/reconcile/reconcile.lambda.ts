/**
 * Reconcile, every few minutes (EventBridge schedule).
 * Reads:  EC2 DescribeInstances (instances tagged self-runners:prefix=PREFIX, pending/running/stopping/stopped);
 *         DynamoDB Scan of RUNNERS_TABLE (without jitConfig); GitHub list runners of every owner found
 *         in those tags and items; SSM GITHUB_APP_KEY_PARAMETER (the app key).
 * Writes: GitHub DELETE runner registrations (ours, by name prefix, never a busy one); EC2 TerminateInstances
 *         (only instances with no registration past the boot timeout, or whose registration was just
 *         deleted); DynamoDB DeleteItem of items whose instance is gone.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Context, ScheduledEvent } from "aws-lambda";
import { flushMetrics, installationClientProvider, logger } from "../shared/index.js";
import { ec2InstanceInventory } from "./adapters/ec2.js";
import { gitHubRunnerDirectory } from "./adapters/github.js";
import { dynamoDbRunnerRecords } from "./adapters/table.js";
import { reconcileConfigFromEnv } from "./config.js";
import { reconcile } from "./reconcile.js";
import type { ReconcileDeps, ReconcileSummary } from "./reconcile.js";

// Clients are built here, in the handler's own bundle, not in the shared layer: SDK commands and
// paginators check `client instanceof <their own client class>`, and the layer carries another copy.
// Built once per execution environment, so warm invocations reuse connections.
const ec2Client = new EC2Client({});
const dynamoDbDocumentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });

let deps: ReconcileDeps | undefined;

function loadDeps(): ReconcileDeps {
  const config = reconcileConfigFromEnv();
  return {
    prefix: config.prefix,
    bootTimeoutSeconds: config.bootTimeoutSeconds,
    idleTimeoutSeconds: config.idleTimeoutSeconds,
    inventory: ec2InstanceInventory(ec2Client, config.prefix),
    directory: gitHubRunnerDirectory(config.scope, installationClientProvider(config.app)),
    records: dynamoDbRunnerRecords(dynamoDbDocumentClient, config.runnersTable),
    now: () => new Date(),
  };
}

export async function handler(_event: ScheduledEvent, context: Context): Promise<ReconcileSummary> {
  logger.addContext(context);
  try {
    deps ??= loadDeps();
    return await reconcile(deps);
  } finally {
    flushMetrics();
  }
}
