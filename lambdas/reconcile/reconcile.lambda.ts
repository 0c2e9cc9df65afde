/**
 * Reconcile, every few minutes (EventBridge schedule).
 * Reads:  EC2 DescribeInstances (instances tagged self-runners:prefix=PREFIX, pending/running/stopping/stopped);
 *         DynamoDB Scan of RUNNERS_TABLE (without jitConfig) and of JOBS_TABLE (jobs, idle sightings,
 *         counters); GitHub list runners of every owner found in those tags and items, and GET of the
 *         few jobs it doubts (at most MAX_JOB_CHECKS); SSM GITHUB_APP_PRIVATE_KEY_SSM_PARAMETER_NAME and DRAINING_PARAMETER.
 * Writes: GitHub DELETE runner registrations (ours, by name prefix, never a busy one, and an idle one only
 *         after BUSY_CONFIRM_SECONDS); EC2 TerminateInstances (only instances with no registration past the
 *         boot timeout, or whose registration was just deleted); DynamoDB DeleteItem of runner items whose
 *         instance is gone; JOBS_TABLE phase changes, slot releases, counter repairs, idle sightings; SQS
 *         SendMessage of relaunched or lost jobs; GitHub re-run of jobs failed by a spot interruption.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Context, ScheduledEvent } from "aws-lambda";
import { flushMetrics, getStringParameter, installationIdFor, getWorkflowJob, installationClientProvider, logger, rerunWorkflowJob } from "../shared/index.js";
import { dynamoDbLimitCounters } from "../ledger/counters.js";
import { dynamoDbLedger } from "../ledger/ledger.js";
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
const sqsClient = new SQSClient({});
const dynamoDbDocumentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });

let deps: ReconcileDeps | undefined;

function loadDeps(): ReconcileDeps {
  const config = reconcileConfigFromEnv();
  const clients = installationClientProvider(config.app);
  return {
    prefix: config.prefix,
    bootTimeoutSeconds: config.bootTimeoutSeconds,
    idleTimeoutSeconds: config.idleTimeoutSeconds,
    inventory: ec2InstanceInventory(ec2Client, config.prefix),
    directory: gitHubRunnerDirectory(config.scope, clients),
    records: dynamoDbRunnerRecords(dynamoDbDocumentClient, config.runnersTable),
    now: () => new Date(),
    ledger: dynamoDbLedger(dynamoDbDocumentClient, config.jobsTable),
    counters: dynamoDbLimitCounters(dynamoDbDocumentClient, config.jobsTable),
    jobs: {
      get: async (installationId, repository, jobId) => getWorkflowJob(await clients(installationId), repository, jobId),
      rerun: async (installationId, repository, jobId) => rerunWorkflowJob(await clients(installationId), repository, jobId),
    },
    requeue: async (pool, body, groupId, deduplicationId) => {
      const queueUrl = config.pools[pool]?.queueUrl;
      if (queueUrl === undefined) throw new Error(`unknown pool ${pool}`);
      await sqsClient.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageGroupId: groupId, MessageDeduplicationId: deduplicationId }));
    },
    isDraining: async () => (await getStringParameter(config.drainingParameter, 30)).trim().toLowerCase() === "true",
    busyConfirmSeconds: config.busyConfirmSeconds,
    relaunchGraceSeconds: config.relaunchGraceSeconds,
    requeueAfterSeconds: config.requeueAfterSeconds,
    rerunInterrupted: config.rerunInterrupted,
    maxJobChecks: config.maxJobChecks,
    warmPools: Object.fromEntries(Object.entries(config.pools).map(([key, pool]) => [key, pool.warm])),
    scope: config.scope,
    installationFor: (owner) => installationIdFor(config.app, { scope: config.scope, owner }),
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
