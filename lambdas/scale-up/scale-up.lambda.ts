import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import {
  JobDeferredError,
  JobRejectedError,
  MetricUnit,
  RunnerLaunchError,
  flushMetrics,
  installationClientProvider,
  logger,
  metrics,
  parseJobMessage,
} from "../shared/index.js";
import { ec2RunnerFleet } from "./adapters/ec2.js";
import type { RunnerFleet } from "./adapters/ec2.js";
import { gitHubRunnerRegistrar } from "./adapters/github.js";
import { dynamoDbRunnersTable } from "./adapters/runners-table.js";
import { scaleUpConfigFromEnv } from "./config.js";
import type { ScaleUpConfig } from "./config.js";
import { planLaunches } from "./plan.js";
import type { ParsedRecord } from "./plan.js";
import { instanceArnPrefix, launchGroup } from "./scale-up.js";
import type { LaunchDeps } from "./scale-up.js";

// Clients are built here, in the handler's own bundle, not in the shared layer: SDK commands and
// paginators check `client instanceof <their own client class>`, and the layer carries another copy.
// Built once per execution environment, so warm invocations reuse connections.
const ec2Client = new EC2Client({});
const dynamoDbDocumentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });

// Retry contract: every record listed in batchItemFailures goes back to the queue and is received
// again after the visibility timeout; the others are deleted. Deferred (pool full) and failed launches
// are retried that way; rejected records (unparseable, unknown pool) fail every time and reach the
// dead-letter queue after maxReceiveCount.
//
// BatchProcessor, not SqsFifoPartialProcessor: the FIFO processor stops at the first failure and
// fails every record after it, so records whose runners were already launched would be retried and
// launch a second runner. Each job is its own message group (docs/contracts.md), so no ordering is
// lost by settling records independently.
const processor = new BatchProcessor(EventType.SQS);

interface Runtime {
  readonly config: ScaleUpConfig;
  readonly fleet: RunnerFleet;
  readonly launchDeps: (context: Context) => LaunchDeps;
}

let runtime: Runtime | undefined;

function loadRuntime(): Runtime {
  const config = scaleUpConfigFromEnv();
  const fleet = ec2RunnerFleet(ec2Client, config.prefix);
  const registerRunner = gitHubRunnerRegistrar(config.prefix, config.scope, installationClientProvider(config.app));
  const writeRunners = dynamoDbRunnersTable(dynamoDbDocumentClient, config.runnersTable);
  return {
    config,
    fleet,
    launchDeps: (context) => ({
      pools: config.pools,
      fleet,
      registerRunner,
      writeRunners,
      instanceArnPrefix: instanceArnPrefix(context.invokedFunctionArn),
      prefix: config.prefix,
      now: () => new Date(),
    }),
  };
}

/**
 * Settles the whole batch up front: parse every record, count active runners of the pools involved,
 * plan, then launch each (pool, owner) group with one CreateFleet. Resolves to each record's failure,
 * or undefined when its runner is ready; the promises never reject.
 */
async function settleBatch(records: readonly SQSRecord[], context: Context, rt: Runtime): Promise<Map<string, Promise<Error | undefined>>> {
  const parsed = records.map((record): ParsedRecord => {
    try {
      return { recordId: record.messageId, job: parseJobMessage(record.body) };
    } catch (error) {
      return { recordId: record.messageId, invalid: error instanceof Error ? error.message : String(error) };
    }
  });
  const pools = [...new Set(parsed.flatMap((record) => ("job" in record && record.job.pool in rt.config.pools ? [record.job.pool] : [])))];
  // A failed count throws: the handler fails and the whole batch is retried, nothing was launched yet.
  const counts = await Promise.all(pools.map(async (pool) => [pool, await rt.fleet.countActive(pool)] as const));
  const plan = planLaunches({
    records: parsed,
    pools: rt.config.pools,
    activeRunners: Object.fromEntries(counts),
    scope: rt.config.scope,
  });

  const outcomes = new Map<string, Promise<Error | undefined>>();
  for (const miss of plan.rejected) outcomes.set(miss.recordId, Promise.resolve(new JobRejectedError(miss.reason)));
  for (const miss of plan.deferred) outcomes.set(miss.recordId, Promise.resolve(new JobDeferredError(miss.reason)));
  if (plan.rejected.length > 0) {
    logger.error("jobs rejected", { rejected: plan.rejected });
    metrics.addMetric("JobsRejected", MetricUnit.Count, plan.rejected.length);
  }
  if (plan.deferred.length > 0) {
    logger.info("jobs deferred", { deferred: plan.deferred.length, activeRunners: Object.fromEntries(counts) });
    metrics.addMetric("JobsDeferred", MetricUnit.Count, plan.deferred.length);
  }

  const deps = rt.launchDeps(context);
  for (const group of plan.groups) {
    const settled = launchGroup(group, deps).catch((error: unknown) => {
      logger.error("launch failed", { error, pool: group.pool, owner: group.owner });
      return new Map(group.recordIds.map((recordId) => [recordId, new RunnerLaunchError("launch failed")]));
    });
    for (const recordId of group.recordIds) outcomes.set(recordId, settled.then((outcome) => outcome.get(recordId)));
  }
  return outcomes;
}

/** SQS handler: one runner per job message, reporting partial batch failures. */
export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  logger.addContext(context);
  try {
    runtime ??= loadRuntime();
    const outcomes = await settleBatch(event.Records, context, runtime);
    const recordHandler = async (record: SQSRecord): Promise<void> => {
      const failure = await (outcomes.get(record.messageId) ?? Promise.resolve(new RunnerLaunchError("record was not planned")));
      if (failure !== undefined) throw failure;
    };
    // All records failing is an ordinary answer here (e.g. a full pool), not an invocation error.
    return await processPartialResponse(event, recordHandler, processor, { context, throwOnFullBatchFailure: false });
  } finally {
    flushMetrics();
  }
}
