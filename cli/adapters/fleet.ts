import type { EC2Client } from "@aws-sdk/client-ec2";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
// Not lambdas/shared/index.ts: it would bundle Powertools and Octokit into the CLI.
import { kitInstances } from "../../lambdas/libs/kit-instances.js";
import { RUNNER_TAGS } from "../../contracts/tags.js";

/** A runner instance as EC2 describes it. */
export interface InstanceFacts {
  readonly instanceId: string;
  /** EC2 state name: pending, running, stopping or stopped. */
  readonly state: string;
  readonly pool: string | undefined;
}

/** The kit's instances (tag `self-runners:prefix`), in the states the reconciler counts. */
export async function listInstances(client: EC2Client, prefix: string): Promise<InstanceFacts[]> {
  const instances: InstanceFacts[] = [];
  for await (const instance of kitInstances(client, RUNNER_TAGS.prefix, prefix)) {
    const pool = instance.Tags?.find((tag) => tag.Key === RUNNER_TAGS.pool)?.Value;
    instances.push({ instanceId: instance.InstanceId, state: instance.State?.Name ?? "unknown", pool });
  }
  return instances;
}

/** A runners-table item without its JIT configuration (the CLI has no use for the secret). */
export interface RunnerConfigFacts {
  readonly instanceId: string;
  readonly runnerName: string;
}

/** Every runner configuration scale-up wrote (one item per launched instance). */
export async function scanRunnerConfigs(client: DynamoDBDocumentClient, tableName: string): Promise<RunnerConfigFacts[]> {
  const found: RunnerConfigFacts[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        ProjectionExpression: "#instanceId, #runnerName",
        ExpressionAttributeNames: { "#instanceId": "instanceId", "#runnerName": "runnerName" },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      if (typeof item.instanceId === "string" && typeof item.runnerName === "string") found.push({ instanceId: item.instanceId, runnerName: item.runnerName });
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return found;
}
