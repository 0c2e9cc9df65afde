import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { KMSClient } from "@aws-sdk/client-kms";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { JobDeferredError, drainWriteBlocks, flushMetrics, getStringParameter, getWorkflowJob, logger, observedBudgets, traced } from "../shared/index.js";
import { dynamoDbBudgetStore, dynamoDbLimitCounters } from "../libs/ledger/dynamodb-counters.js";
import { dynamoDbLedger } from "../libs/ledger/dynamodb-store.js";
import { dynamoDbWriteGovernor } from "../libs/governor/dynamodb-store.js";
import { dynamoDbBatchStart } from "./adapters/batch-start.js";
import { ec2RunnerFleet } from "./adapters/ec2.js";
import { appInstallationClients, gitHubRunnerRegistrar, registrationClients } from "./adapters/github.js";
import { kmsEncrypt } from "./adapters/kms.js";
import { dynamoDbRunnerItemExists, dynamoDbRunnersTable } from "./adapters/runners-table.js";
import { sqsJobQueueControl } from "./adapters/sqs.js";
import { scaleUpConfigFromEnv } from "./config.js";
import { jitSealer } from "./jit-seal.js";
import { processBatch } from "./scale-up.js";
import type { ScaleUpDeps } from "./scale-up.js";

// Retry contract: every record listed in batchItemFailures goes back to the queue and is received
// again when its visibility timeout ends; scale-up sets that timeout per record (back-off with jitter),
// so a waiting job (draining, limit, budget, capacity) sleeps instead of storming. The others are
// deleted: launched, duplicates, and jobs moved to the dead-letter queue with their reason (unreadable,
// unknown pool, older than JOB_MAX_AGE_SECONDS). The queue's redrive policy is only a safety net.
//
// BatchProcessor, not SqsFifoPartialProcessor: the FIFO processor stops at the first failure and
// fails every record after it, so records whose runners were already launched would be retried. Each
// job is its own message group (docs/contracts.md), so no ordering is lost by settling records apart.
const processor = new BatchProcessor(EventType.SQS);

/** Draining is read through Powertools parameters with a short cache: flipping it acts within a minute. */
export const DRAINING_CACHE_SECONDS = 30;

/** The core's dependencies but the ARN prefix and the time left, which come with each invocation's context. */
export type ScaleUpHandlerDeps = Omit<ScaleUpDeps, "instanceArnPrefix" | "remainingMs">;

/**
 * The AWS clients of the deployed function, built in the handler's own bundle, not in the shared
 * layer: SDK commands and paginators check `client instanceof <their own client class>`, and the
 * layer carries another copy.
 */
export interface ScaleUpClients {
  readonly ec2: EC2Client;
  readonly sqs: SQSClient;
  readonly dynamoDb: DynamoDBClient;
  /** Only used with a kit key (JIT_KMS_KEY_ARN); created when first needed otherwise. */
  readonly kms?: KMSClient;
}

/** `arn:aws:lambda:eu-west-1:123456789012:function:x` -> `arn:aws:ec2:eu-west-1:123456789012:instance/`. */
export function instanceArnPrefix(invokedFunctionArn: string): string {
  const [arn, partition, , region, account] = invokedFunctionArn.split(":");
  if (arn !== "arn" || !partition || !region || !account) {
    throw new Error(`cannot derive the instance ARN from function ARN ${invokedFunctionArn}`);
  }
  return `arn:${partition}:ec2:${region}:${account}:instance/`;
}

/** The deployed dependencies, from the function's environment. */
export function defaultDeps(
  env?: NodeJS.ProcessEnv,
  clients: ScaleUpClients = { ec2: traced(new EC2Client({})), sqs: traced(new SQSClient({})), dynamoDb: traced(new DynamoDBClient({})) },
): ScaleUpHandlerDeps {
  const config = scaleUpConfigFromEnv(env);
  const documentClient = DynamoDBDocumentClient.from(clients.dynamoDb, { marshallOptions: { removeUndefinedValues: true } });
  let appCursor = 0;
  const installationClients = appInstallationClients(config.app, config.scope);
  return {
    config,
    ledger: dynamoDbLedger(documentClient, config.jobsTable),
    counters: dynamoDbLimitCounters(documentClient, config.jobsTable),
    budgets: dynamoDbBudgetStore(documentClient, config.jobsTable),
    readBatchStart: dynamoDbBatchStart(documentClient, config.jobsTable),
    observedBudgets,
    writeGovernor: dynamoDbWriteGovernor(documentClient, config.jobsTable, config.gitHubWrites),
    drainWriteBlocks,
    fleet: ec2RunnerFleet(clients.ec2, config.prefix),
    registerRunner: gitHubRunnerRegistrar(config.prefix, config.scope, registrationClients(config.app, config.scope, installationClients)),
    // The primary App's installation from the webhook, as for registration; its answer's budget is observed.
    lookupWorkflowJob: async (job, owner) => getWorkflowJob(await installationClients(config.app.appId, owner, job.installationId), job.repository, job.jobId),
    writeRunners: dynamoDbRunnersTable(documentClient, config.runnersTable, undefined, config.jobsTable),
    sealJitConfig: jitSealer(config.jitKmsKeyArn === undefined ? undefined : kmsEncrypt(clients.kms ?? traced(new KMSClient({})), config.jitKmsKeyArn)),
    runnerItemExists: dynamoDbRunnerItemExists(documentClient, config.runnersTable),
    queue: sqsJobQueueControl(clients.sqs),
    isDraining: async () => (await getStringParameter(config.drainingParameter, DRAINING_CACHE_SECONDS)).trim().toLowerCase() === "true",
    now: () => new Date(),
    random: Math.random,
    newToken: randomUUID,
    appCursor: () => appCursor++,
  };
}

/**
 * SQS handler over `loadDeps` (run on the first invocation, kept for the execution environment): one
 * runner per job message, reporting the records that wait as batch failures.
 */
export function createHandler(loadDeps: () => ScaleUpHandlerDeps): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  let deps: ScaleUpHandlerDeps | undefined;
  return async (event, context) => {
    logger.addContext(context);
    try {
      deps ??= loadDeps();
      const outcome = await processBatch(
        event.Records.map((record) => ({
          id: record.messageId,
          body: record.body,
          receiptHandle: record.receiptHandle,
          receiveCount: Number(record.attributes.ApproximateReceiveCount) || 1,
          queueArn: record.eventSourceARN,
        })),
        { ...deps, instanceArnPrefix: instanceArnPrefix(context.invokedFunctionArn), remainingMs: () => context.getRemainingTimeInMillis() },
      );
      const recordHandler = async (record: SQSRecord): Promise<void> => {
        if (outcome.retry.has(record.messageId)) throw new JobDeferredError("waiting: see the batch log for the reason");
      };
      // Every record waiting is an ordinary answer here (e.g. draining), not an invocation error.
      return await processPartialResponse(event, recordHandler, processor, { context, throwOnFullBatchFailure: false });
    } finally {
      flushMetrics();
    }
  };
}

/** The zip's entry point. */
export const handler = createHandler(defaultDeps);
