/**
 * Spot interruption warning (EventBridge, source aws.ec2, detail-type "EC2 Spot Instance Interruption
 * Warning"), two minutes before EC2 reclaims a spot instance.
 * Reads:  EC2 DescribeInstances of the instance; GitHub runners named after the instance (runner id);
 *         JOBS_TABLE pointers and jobs; SSM GITHUB_APP_PRIVATE_KEY_SSM_PARAMETER_NAME.
 * Writes: JOBS_TABLE (job marked interrupted, or relaunched); GitHub DELETE of the runner when idle;
 *         SQS SendMessage of a relaunched job.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Context, EventBridgeEvent } from "aws-lambda";
import { deleteRunner, flushMetrics, installationClientProvider, logger, runnerClientProvider, runnerName, traced } from "../shared/index.js";
import { dynamoDbLimitCounters } from "../libs/ledger/dynamodb-counters.js";
import { dynamoDbLedger } from "../libs/ledger/dynamodb-store.js";
import { describeInstanceTags } from "./adapters/aws.js";
import { runnerIdByName } from "./adapters/github.js";
import { spotInterruptionConfigFromEnv } from "./config.js";
import { handleInterruption } from "./spot-interruption.js";
import type { InterruptionOutcome, SpotInterruptionDeps } from "./spot-interruption.js";

type InterruptionEvent = EventBridgeEvent<"EC2 Spot Instance Interruption Warning", { "instance-id"?: string; "instance-action"?: string }>;

/** The AWS clients of the deployed function, built in the handler's own bundle (see the other handlers for why). */
export interface SpotInterruptionClients {
  readonly ec2: EC2Client;
  readonly sqs: SQSClient;
  readonly dynamoDb: DynamoDBClient;
}

/** The deployed dependencies, from the function's environment (the context is unused: runner ids come from GitHub). */
export function defaultDeps(
  _context: Context,
  env?: NodeJS.ProcessEnv,
  clients: SpotInterruptionClients = { ec2: traced(new EC2Client({})), sqs: traced(new SQSClient({})), dynamoDb: traced(new DynamoDBClient({})) },
): SpotInterruptionDeps {
  const config = spotInterruptionConfigFromEnv(env);
  const documentClient = DynamoDBDocumentClient.from(clients.dynamoDb, { marshallOptions: { removeUndefinedValues: true } });
  const installations = runnerClientProvider(config.app, config.scope, installationClientProvider(config.app));
  return {
    prefix: config.prefix,
    describe: describeInstanceTags(clients.ec2),
    runnerIdOf: async (instanceId, owner, installationId) =>
      runnerIdByName(await installations(installationId), { scope: config.scope, owner }, runnerName(config.prefix, instanceId)),
    deregister: async (owner, installationId, runnerId) => deleteRunner(await installations(installationId), { scope: config.scope, owner }, runnerId),
    ledger: dynamoDbLedger(documentClient, config.jobsTable),
    counters: dynamoDbLimitCounters(documentClient, config.jobsTable),
    requeue: async (pool, body, groupId, deduplicationId) => {
      const queueUrl = config.queueUrls[pool];
      if (queueUrl === undefined) throw new Error(`unknown pool ${pool}`);
      await clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageGroupId: groupId, MessageDeduplicationId: deduplicationId }));
    },
    now: () => new Date(),
  };
}

/**
 * EventBridge target over `loadDeps` (run on the first invocation, kept for the execution environment):
 * one warning per invocation. A thrown error makes EventBridge retry the event.
 */
export function createHandler(
  loadDeps: (context: Context) => SpotInterruptionDeps,
): (event: InterruptionEvent, context: Context) => Promise<InterruptionOutcome | { ignored: string }> {
  let deps: SpotInterruptionDeps | undefined;
  return async (event, context) => {
    logger.addContext(context);
    try {
      const instanceId = event.detail?.["instance-id"];
      if (typeof instanceId !== "string" || !/^i-[0-9a-f]{8,17}$/.test(instanceId)) {
        logger.warn("event without an instance id ignored", { detailType: event["detail-type"] });
        return { ignored: "no instance id" };
      }
      deps ??= loadDeps(context);
      return await handleInterruption(instanceId, deps);
    } finally {
      flushMetrics();
    }
  };
}

/** The zip's entry point. */
export const handler = createHandler((context) => defaultDeps(context));
