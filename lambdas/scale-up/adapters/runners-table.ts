import { setTimeout as sleep } from "node:timers/promises";
import { BatchWriteCommand, GetCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { expirationAt } from "../../libs/ledger/dynamodb-update.js";
import { instanceKey } from "../../libs/ledger/phases.js";
import { childLogger } from "../../shared/index.js";

const log = childLogger("scale-up.runners-table");

/** An item of the runners table (docs/contracts.md, "Runners table"). */
export interface RunnerItem {
  /** Instance ARN: the runner's role may only read the item whose key is its own ARN. */
  readonly pk: string;
  readonly instanceId: string;
  readonly pool: string;
  readonly owner: string;
  readonly installationId: number;
  readonly runnerName: string;
  readonly runnerId: number;
  readonly jitConfig: string;
  readonly createdAt: string;
  /** Ledger key of the job the runner was launched for. */
  readonly jobKey: string;
  /** Epoch seconds; DynamoDB TTL removes the item a day after creation. */
  readonly expiresAt: number;
}

/** Writes items; resolves with the keys that could not be written. */
export type WriteRunners = (items: readonly RunnerItem[]) => Promise<string[]>;

/** Whether the item of an instance ARN exists (its runner configuration was written). */
export type RunnerItemExists = (pk: string) => Promise<boolean>;

export function dynamoDbRunnerItemExists(client: DynamoDBDocumentClient, tableName: string): RunnerItemExists {
  return async (pk) => {
    const response = await client.send(new GetCommand({ TableName: tableName, Key: { pk }, ProjectionExpression: "pk", ConsistentRead: true }));
    return response.Item !== undefined;
  };
}

/** BatchWriteItem's limit. */
export const BATCH_WRITE_LIMIT = 25;
/** Attempts per chunk, the first included, before unprocessed items are given up. */
export const BATCH_WRITE_ATTEMPTS = 4;

/**
 * Writes runner items with BatchWriteItem. With `ledgerTable`, each runner's `instance#` pointer (the
 * job its instance was launched for, read by the spot handler and the webhook) goes in the same
 * request, across tables: two puts per runner, 12 runners per call. A runner counts as written only
 * when both of its puts were.
 */
export function dynamoDbRunnersTable(
  client: DynamoDBDocumentClient,
  tableName: string,
  backoffMs: (attempt: number) => number = (attempt) => 50 * 2 ** attempt,
  ledgerTable?: string,
): WriteRunners {
  const putsPerRunner = ledgerTable === undefined ? 1 : 2;
  const runnersPerCall = Math.floor(BATCH_WRITE_LIMIT / putsPerRunner);
  const puts = (item: RunnerItem, now: string): Put[] => [
    { table: tableName, runner: item.pk, item: { ...item } },
    ...(ledgerTable === undefined
      ? []
      : [{ table: ledgerTable, runner: item.pk, item: { pk: instanceKey(item.instanceId), job: item.jobKey, updatedAt: now, expiration: expirationAt(new Date(now)) } }]),
  ];
  return async (items) => {
    const failed = new Set<string>();
    for (let start = 0; start < items.length; start += runnersPerCall) {
      let pending = items.slice(start, start + runnersPerCall).flatMap((item) => puts(item, item.createdAt));
      for (let attempt = 0; pending.length > 0 && attempt < BATCH_WRITE_ATTEMPTS; attempt += 1) {
        if (attempt > 0) await sleep(backoffMs(attempt));
        try {
          const requestItems: Record<string, Array<{ PutRequest: { Item: Record<string, unknown> } }>> = {};
          for (const put of pending) (requestItems[put.table] ??= []).push({ PutRequest: { Item: put.item } });
          const response = await client.send(new BatchWriteCommand({ RequestItems: requestItems }));
          // Unprocessed puts come back as sent: match them by table and key.
          const unprocessed = new Set(
            Object.entries(response.UnprocessedItems ?? {}).flatMap(([table, requests]) => requests.map((request) => `${table}|${String(request.PutRequest?.Item?.pk)}`)),
          );
          pending = pending.filter((put) => unprocessed.has(`${put.table}|${String(put.item.pk)}`));
        } catch (error) {
          log.warn("batch write failed", { error, attempt, items: pending.length });
        }
      }
      for (const put of pending) failed.add(put.runner);
    }
    return [...failed];
  };
}

interface Put {
  readonly table: string;
  /** The runner item's key this put belongs to. */
  readonly runner: string;
  readonly item: Record<string, unknown>;
}
