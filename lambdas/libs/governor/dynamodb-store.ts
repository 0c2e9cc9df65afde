import type { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { isConditionFailure } from "../ledger/dynamodb-update.js";
import { blockedFullAt, grant, interval, tokensAt } from "./bucket.js";
import type { BucketSettings } from "./bucket.js";
import { governorKey } from "./port.js";
import type { WriteGovernor } from "./port.js";

/** Conditional writes per take before giving up for this batch (others keep winning the race). */
const TAKE_ATTEMPTS = 4;
/** The bucket item outlives its last use by a day, then the table's TTL removes it. */
const ITEM_TTL_SECONDS = 24 * 60 * 60;

/** `fullAt` of a marshalled item returned with a failed condition (`{ fullAt: { N: "1700000000000" } }`). */
function marshalledFullAt(item: unknown): number | undefined | "absent" {
  if (item === undefined) return undefined;
  const field = (item as Record<string, { N?: string }>).fullAt;
  return field?.N === undefined ? "absent" : Number(field.N);
}

/**
 * The governor's buckets as items of the ledger table (`governor#<appId>`, attribute `fullAt`, see
 * bucket.ts). Taking tokens is one conditional UpdateItem on the value last seen (optimistic
 * concurrency): of concurrent takers each write succeeds only on the state it computed from, so the
 * fleet never takes more than the bucket holds. A first take assumes a full bucket, which costs no read.
 */
export function dynamoDbWriteGovernor(client: DynamoDBDocumentClient, tableName: string, settings: BucketSettings): WriteGovernor {
  const write = async (appId: number, fullAt: number, condition: string, values: Record<string, unknown>): Promise<"ok" | { seen: number | undefined }> => {
    try {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: governorKey(appId) },
          UpdateExpression: "SET #fullAt = :fullAt, #expiration = :expiration",
          ConditionExpression: condition,
          ExpressionAttributeNames: { "#fullAt": "fullAt", "#expiration": "expiration" },
          ExpressionAttributeValues: { ":fullAt": fullAt, ":expiration": Math.ceil(fullAt / 1000) + ITEM_TTL_SECONDS, ...values },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      return "ok";
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // DynamoDB returns the item with the failure; servers that do not (dynalite) cost one read.
      const returned = marshalledFullAt((error as ConditionalCheckFailedException).Item);
      if (returned === "absent") return { seen: undefined };
      return { seen: returned ?? (await read(appId)) };
    }
  };
  const read = async (appId: number): Promise<number | undefined> => {
    const item = (await client.send(new GetCommand({ TableName: tableName, Key: { pk: governorKey(appId) }, ConsistentRead: true }))).Item;
    return item?.fullAt === undefined ? undefined : Number(item.fullAt);
  };
  return {
    settings,
    async take(appId, wanted, now) {
      // First guess: a full (or absent) bucket.
      let seen: number | undefined = undefined;
      let guessFull = true;
      for (let attempt = 0; attempt < TAKE_ATTEMPTS; attempt += 1) {
        const result = grant(seen, now, wanted, settings);
        if (result.granted === 0 || result.fullAt === undefined) return { granted: 0, nextTokenAt: tokensAt(seen, now, 1, settings) };
        const outcome: "ok" | { seen: number | undefined } = guessFull
          ? await write(appId, result.fullAt, "attribute_not_exists(#fullAt) OR #fullAt <= :now", { ":now": now })
          : await write(appId, result.fullAt, "#fullAt = :seen", { ":seen": seen });
        if (outcome === "ok") return { granted: result.granted, nextTokenAt: tokensAt(result.fullAt, now, 1, settings) };
        seen = outcome.seen;
        guessFull = seen === undefined || seen <= now;
      }
      return { granted: 0, nextTokenAt: tokensAt(seen, now, 1, settings) };
    },

    async lineUp(appId, count, now, earliest) {
      const span = count * interval(settings);
      const base = Math.max(now, earliest);
      const update = (expression: string, condition: string, values: Record<string, unknown>) =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: governorKey(appId) },
            UpdateExpression: expression,
            ConditionExpression: condition,
            ExpressionAttributeNames: { "#line": "lineEndsAt" },
            ExpressionAttributeValues: values,
            ReturnValues: "ALL_NEW",
          }),
        );
      for (let attempt = 0; attempt < TAKE_ATTEMPTS; attempt += 1) {
        try {
          // A line still waiting: join its end.
          const joined = await update("ADD #line :span", "#line >= :base", { ":span": span, ":base": base });
          return Number(joined.Attributes?.lineEndsAt) - span;
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
        }
        try {
          // No line (or it has passed): start one now.
          await update("SET #line = :end", "attribute_not_exists(#line) OR #line < :base", { ":end": base + span, ":base": base });
          return base;
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
        }
      }
      // Others keep changing the line: wait for the whole bucket to refill, a bound on any place in it.
      return base + settings.burst * interval(settings);
    },

    async blockUntil(appId, until) {
      const fullAt = blockedFullAt(until, settings);
      // A later block already stored wins; an earlier one is extended.
      await write(appId, fullAt, "attribute_not_exists(#fullAt) OR #fullAt < :fullAt", {});
    },
  };
}
