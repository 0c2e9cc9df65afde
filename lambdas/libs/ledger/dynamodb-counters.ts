import type { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { BatchGetCommand, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { isConditionFailure } from "./dynamodb-update.js";
import type { BudgetStore, LimitCounters } from "./port.js";
import { budgetKey } from "./types.js";
import type { BudgetRecord } from "./types.js";

/**
 * Limit counters and GitHub budget records in the ledger table (ports in port.ts). Reserving is one
 * conditional ADD, so concurrent scale-up invocations can never take more than the limit together.
 */

const RESERVE_ATTEMPTS = 3;

/** The counter value of a marshalled item returned with a failed condition (`{ inUse: { N: "3" } }`). */
function marshalledNumber(item: unknown, attribute: string): number | undefined {
  const field = (item as Record<string, { N?: string }> | undefined)?.[attribute];
  return field?.N === undefined ? undefined : Number(field.N);
}

export function dynamoDbLimitCounters(client: DynamoDBDocumentClient, tableName: string): LimitCounters {
  const add = async (key: string, units: number, condition: string, values: Record<string, unknown>): Promise<number | "ok"> => {
    try {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: key },
          UpdateExpression: "ADD #inUse :units",
          ConditionExpression: condition,
          ExpressionAttributeNames: { "#inUse": "inUse" },
          ExpressionAttributeValues: { ":units": units, ...values },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      return "ok";
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // DynamoDB returns the item with the failure; servers that do not (dynalite) cost one read.
      return marshalledNumber((error as ConditionalCheckFailedException).Item, "inUse") ?? (await current(key));
    }
  };
  const current = async (key: string): Promise<number> => {
    const item = (await client.send(new GetCommand({ TableName: tableName, Key: { pk: key }, ConsistentRead: true }))).Item;
    return Number(item?.inUse ?? 0);
  };
  return {
    async reserve(key, wanted, max) {
      let ask = Math.min(wanted, max);
      for (let attempt = 0; attempt < RESERVE_ATTEMPTS && ask > 0; attempt += 1) {
        const result = await add(key, ask, "attribute_not_exists(#inUse) OR #inUse <= :room", { ":room": max - ask });
        if (result === "ok") return ask;
        // Someone else holds units: ask for what is left at their value, and try again.
        ask = Math.min(ask, Math.max(0, max - result));
      }
      return 0;
    },

    async release(key, units) {
      if (units <= 0) return;
      const result = await add(key, -units, "#inUse >= :units_abs", { ":units_abs": units });
      if (result !== "ok" && result > 0) {
        // Fewer units than released (drift after a crash): floor at zero rather than go negative.
        await add(key, -result, "#inUse = :seen", { ":seen": result });
      }
    },

    async read(keys) {
      const values = new Map(keys.map((key) => [key, 0]));
      for (let start = 0; start < keys.length; start += 100) {
        const response = await client.send(
          new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys.slice(start, start + 100).map((pk) => ({ pk })), ConsistentRead: true } } }),
        );
        for (const item of response.Responses?.[tableName] ?? []) values.set(String(item.pk), Number(item.inUse ?? 0));
      }
      return values;
    },

    async recount(key, observed, actual) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: key },
            UpdateExpression: "SET #inUse = :actual",
            ConditionExpression: observed === 0 ? "attribute_not_exists(#inUse) OR #inUse = :observed" : "#inUse = :observed",
            ExpressionAttributeNames: { "#inUse": "inUse" },
            ExpressionAttributeValues: { ":actual": actual, ":observed": observed },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
  };
}

export function dynamoDbBudgetStore(client: DynamoDBDocumentClient, tableName: string): BudgetStore {
  return {
    async save(records) {
      await Promise.all(
        records.map(async (record) => {
          try {
            await client.send(
              new PutCommand({
                TableName: tableName,
                Item: { pk: budgetKey(record.appId), ...record, expiration: record.resetAt + 24 * 60 * 60 },
                // An older observation from a slower invocation never overwrites a newer one.
                ConditionExpression: "attribute_not_exists(#observedAt) OR #observedAt < :observedAt",
                ExpressionAttributeNames: { "#observedAt": "observedAt" },
                ExpressionAttributeValues: { ":observedAt": record.observedAt },
              }),
            );
          } catch (error) {
            if (!isConditionFailure(error)) throw error;
          }
        }),
      );
    },

    async load(appIds) {
      if (appIds.length === 0) return [];
      const records: BudgetRecord[] = [];
      for (let start = 0; start < appIds.length; start += 100) {
        const response = await client.send(
          new BatchGetCommand({
            RequestItems: { [tableName]: { Keys: appIds.slice(start, start + 100).map((appId) => ({ pk: budgetKey(appId) })) } },
          }),
        );
        for (const item of response.Responses?.[tableName] ?? []) {
          records.push(budgetFromItem(item));
        }
      }
      return records;
    },
  };
}

/** A budget record from its ledger item (attributes as putBudget writes them). */
export function budgetFromItem(item: Record<string, unknown>): BudgetRecord {
  return {
    appId: Number(item.appId),
    installationId: Number(item.installationId),
    remaining: Number(item.remaining),
    limit: Number(item.limit),
    resetAt: Number(item.resetAt),
    observedAt: String(item.observedAt),
  };
}
