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
import { appOctokit, flushMetrics, getSecureString, getStringParameter, installationIdFor, getWorkflowJob, installationClientProvider, logger, rerunWorkflowJob, runnerClientProvider, traced } from "../shared/index.js";
import { ENTERPRISE_WARM_INSTALLATION_ID } from "./warm.js";
import { dynamoDbLimitCounters } from "../libs/ledger/dynamodb-counters.js";
import { dynamoDbLedger } from "../libs/ledger/dynamodb-store.js";
import { dynamoDbHealerState } from "../libs/ledger/dynamodb-healer-state.js";
import { ledgerJobBook } from "../webhook/adapters/ledger.js";
import { sqsJobQueue } from "../webhook/adapters/sqs.js";
import { enqueueOnce } from "../webhook/webhook.js";
import { gitHubDeliveryLog, gitHubQueuedJobs } from "./adapters/deliveries.js";
import { ec2InstanceInventory } from "./adapters/ec2.js";
import { gitHubRunnerDirectory } from "./adapters/github.js";
import { rerunClients } from "./adapters/rerun-app.js";
import { dynamoDbRunnerRecords } from "./adapters/table.js";
import { reconcileConfigFromEnv } from "./config.js";
import { reconcile } from "./reconcile.js";
import type { ReconcileDeps, ReconcileSummary } from "./reconcile.js";

/**
 * The AWS clients of the deployed function, built in the handler's own bundle, not in the shared
 * layer: SDK commands and paginators check `client instanceof <their own client class>`, and the
 * layer carries another copy.
 */
export interface ReconcileClients {
  readonly ec2: EC2Client;
  readonly sqs: SQSClient;
  readonly dynamoDb: DynamoDBClient;
}

/** The deployed dependencies, from the function's environment. */
export function defaultDeps(
  env?: NodeJS.ProcessEnv,
  clients: ReconcileClients = { ec2: traced(new EC2Client({})), sqs: traced(new SQSClient({})), dynamoDb: traced(new DynamoDBClient({})) },
): ReconcileDeps {
  const config = reconcileConfigFromEnv(env);
  const documentClient = DynamoDBDocumentClient.from(clients.dynamoDb, { marshallOptions: { removeUndefinedValues: true } });
  const installations = installationClientProvider(config.app);
  const ledger = dynamoDbLedger(documentClient, config.jobsTable);
  const counters = dynamoDbLimitCounters(documentClient, config.jobsTable);
  // The jobs the healer recovers take the webhook's own path: ledger lease, same message, same ids.
  const webhookPath = { jobs: ledgerJobBook(ledger, counters, config.prefix), enqueue: sqsJobQueue(clients.sqs), pools: config.pools, now: () => new Date() };
  const rerunners = rerunClients(config.app, config.rerunApp, installations);
  return {
    prefix: config.prefix,
    bootTimeoutSeconds: config.bootTimeoutSeconds,
    idleTimeoutSeconds: config.idleTimeoutSeconds,
    inventory: ec2InstanceInventory(clients.ec2, config.prefix, config.runnerInstanceProfileArns),
    directory: gitHubRunnerDirectory(config.scope, runnerClientProvider(config.app, config.scope, installations)),
    records: dynamoDbRunnerRecords(documentClient, config.runnersTable),
    now: () => new Date(),
    ledger,
    counters,
    jobs: {
      get: async (installationId, repository, jobId) => getWorkflowJob(await installations(installationId), repository, jobId),
      rerun: async (installationId, repository, jobId) => rerunWorkflowJob(await rerunners(installationId, repository), repository, jobId),
    },
    requeue: async (pool, body, groupId, deduplicationId) => {
      const queueUrl = config.pools[pool]?.queueUrl;
      if (queueUrl === undefined) throw new Error(`unknown pool ${pool}`);
      await clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageGroupId: groupId, MessageDeduplicationId: deduplicationId }));
    },
    isDraining: async () => (await getStringParameter(config.drainingParameter, 30)).trim().toLowerCase() === "true",
    busyConfirmSeconds: config.busyConfirmSeconds,
    relaunchGraceSeconds: config.relaunchGraceSeconds,
    requeueAfterSeconds: config.requeueAfterSeconds,
    rerunInterrupted: config.rerunInterrupted,
    maxJobChecks: config.maxJobChecks,
    warmPools: Object.fromEntries(Object.entries(config.pools).map(([key, pool]) => [key, pool.warm])),
    scope: config.scope,
    installationFor: async (owner) =>
      // Enterprise runners are managed with the enterprise token: a warm message's installation is inert.
      config.scope === "enterprise" ? ENTERPRISE_WARM_INSTALLATION_ID : installationIdFor(config.app, { scope: config.scope, owner }),
    healer: {
      maxCalls: config.healerMaxGithubCalls,
      state: dynamoDbHealerState(documentClient, config.jobsTable),
      // App-level endpoints take the App's JWT, not an installation token.
      deliveries: gitHubDeliveryLog(async () => appOctokit({ appId: config.app.appId, privateKey: await getSecureString(config.app.privateKeyParameter), baseUrl: config.app.apiUrl })),
      queuedJobs: gitHubQueuedJobs(installations),
      pools: config.pools,
      enqueue: async (pool, job) => ((await enqueueOnce(pool, job, webhookPath)).body.message === "queued" ? "queued" : "duplicate"),
      now: () => new Date(),
    },
  };
}

/** Scheduled handler over `loadDeps` (run on the first invocation, kept for the execution environment). */
export function createHandler(loadDeps: () => ReconcileDeps): (event: ScheduledEvent, context: Context) => Promise<ReconcileSummary> {
  let deps: ReconcileDeps | undefined;
  return async (_event, context) => {
    logger.addContext(context);
    try {
      deps ??= loadDeps();
      return await reconcile(deps);
    } finally {
      flushMetrics();
    }
  };
}

/** The zip's entry point. */
export const handler = createHandler(defaultDeps);
