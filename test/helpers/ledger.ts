import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { LimitCounters } from "../../lambdas/libs/ledger/port.js";
import type { JobFacts } from "../../lambdas/libs/ledger/types.js";
import type { Ledger } from "../../lambdas/libs/ledger/port.js";
import { jobKey, limitKeys } from "../../lambdas/libs/ledger/phases.js";

/** A job as the webhook records it (`queued`), with the facts a queue message needs. */
export function jobFacts(jobId: number, overrides: Partial<JobFacts> = {}): JobFacts {
  return {
    jobId,
    runAttempt: 1,
    runId: 9000 + jobId,
    repository: "octo-org/octo-repo",
    org: "octo-org",
    pool: "linux",
    installationId: 52103487,
    labels: ["self-hosted", "linux"],
    ...overrides,
  };
}

/**
 * Walks a job through the ledger as webhook and scale-up do: received, claimed, instance recorded,
 * launched (holding one unit of each limit counter). Returns its ledger key.
 */
export async function seedLaunchedJob(
  ledger: Ledger,
  counters: LimitCounters,
  options: { readonly facts: JobFacts; readonly instanceId: string; readonly prefix: string; readonly scopeOwner: string; readonly at: Date },
): Promise<string> {
  const { facts, instanceId, prefix, scopeOwner, at } = options;
  if (facts.kind !== "warm") await ledger.receive(facts, `delivery-${facts.jobId}`, at);
  const token = `token-${facts.jobId}`;
  const claim = await ledger.claim({ ...facts, scopeOwner }, token, 60_000, at);
  if (!claim.claimed) throw new Error(`seed: claim of ${jobKey(facts)} refused`);
  const key = jobKey(facts);
  const keys = limitKeys(facts.pool ?? "", scopeOwner);
  for (const counter of [keys.global, keys.pool, keys.owner]) await counters.reserve(counter, 1, 1000);
  if (!(await ledger.recordInstance(key, token, instanceId, `${prefix}-${instanceId}`, at))) throw new Error(`seed: instance of ${key} not recorded`);
  if (!(await ledger.markLaunched(key, token, at))) throw new Error(`seed: ${key} not launched`);
  return key;
}

/** The value of a limit counter (0 when absent). */
export async function counterValue(client: DynamoDBDocumentClient, table: string, key: string): Promise<number> {
  const item = (await client.send(new GetCommand({ TableName: table, Key: { pk: key }, ConsistentRead: true }))).Item;
  return Number(item?.inUse ?? 0);
}

/** A runners-table item as scale-up writes it (after the runner read its config). */
export async function putRunnerItem(
  client: DynamoDBDocumentClient,
  table: string,
  item: { readonly instanceArnPrefix: string; readonly instanceId: string; readonly runnerId: number; readonly owner: string; readonly installationId: number; readonly createdAt: Date; readonly prefix: string },
): Promise<void> {
  await client.send(
    new PutCommand({
      TableName: table,
      Item: {
        pk: `${item.instanceArnPrefix}${item.instanceId}`,
        instanceId: item.instanceId,
        pool: "linux",
        owner: item.owner,
        installationId: item.installationId,
        runnerName: `${item.prefix}-${item.instanceId}`,
        runnerId: item.runnerId,
        createdAt: item.createdAt.toISOString(),
        expiresAt: Math.floor(item.createdAt.getTime() / 1000) + 86_400,
      },
    }),
  );
}
