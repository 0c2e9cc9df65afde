import { setTimeout as sleep } from "node:timers/promises";
import { BatchWriteCommand, GetCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
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

export function dynamoDbRunnersTable(
  client: DynamoDBDocumentClient,
  tableName: string,
  backoffMs: (attempt: number) => number = (attempt) => 50 * 2 ** attempt,
): WriteRunners {
  return async (items) => {
    const failed: string[] = [];
    for (let start = 0; start < items.length; start += BATCH_WRITE_LIMIT) {
      let pending: Array<Record<string, unknown>> = items.slice(start, start + BATCH_WRITE_LIMIT).map((item) => ({ ...item }));
      for (let attempt = 0; pending.length > 0 && attempt < BATCH_WRITE_ATTEMPTS; attempt += 1) {
        if (attempt > 0) await sleep(backoffMs(attempt));
        try {
          const response = await client.send(
            new BatchWriteCommand({ RequestItems: { [tableName]: pending.map((Item) => ({ PutRequest: { Item } })) } }),
          );
          pending = (response.UnprocessedItems?.[tableName] ?? []).flatMap((request) =>
            request.PutRequest?.Item === undefined ? [] : [request.PutRequest.Item],
          );
        } catch (error) {
          log.warn("batch write failed", { error, attempt, items: pending.length });
        }
      }
      failed.push(...pending.map((item) => String(item.pk)));
    }
    return failed;
  };
}
