import { BatchGetCommand, BatchWriteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { isConditionFailure } from "../ledger/dynamodb-update.js";
import { blockedFullAt, interval, turnsFrom } from "./bucket.js";
import type { BucketSettings } from "./bucket.js";
import { KEPT_TURN_TTL_SECONDS, governorKey, keptTurnKey } from "./port.js";
import type { KeptTurn, WriteGovernor } from "./port.js";

/** Writes per reservation before giving up for this batch (the bucket keeps flipping between idle and waiting). */
const RESERVE_ATTEMPTS = 4;
/**
 * The bucket item outlives its last use by two days, then the table's TTL removes it: longer than any
 * line (a job waits at most `job_max_age_seconds`, a day at most), so a live line is never forgotten.
 */
const ITEM_TTL_SECONDS = 2 * 24 * 60 * 60;
/** BatchWriteItem's and BatchGetItem's limits. */
const BATCH_WRITE_MAX = 25;
const BATCH_GET_MAX = 100;
/** Calls per chunk for what DynamoDB leaves unprocessed; a turn not kept is only reserved again later. */
const BATCH_ATTEMPTS = 3;

/**
 * The governor's buckets as items of the ledger table (`governor#<appId>`, attribute `fullAt`, see
 * bucket.ts). A reservation is ONE UpdateItem without a read: while a line is waiting (`fullAt` at or
 * after now) an atomic `ADD` appends the batch to it and returns where it landed, so concurrent batches
 * get disjoint turns; on an idle bucket a conditional `SET` starts the line at now. The two conditions
 * are complementary, so the other form is tried only when the bucket changed state in between; the
 * environment remembers which form worked last. Turns kept by waiting messages are items of their
 * own (`turn#<message id>`), written and read in batches: no per-job write.
 */
export function dynamoDbWriteGovernor(client: DynamoDBDocumentClient, tableName: string, settings: BucketSettings): WriteGovernor {
  const lineSeen = new Map<number, number>();
  const send = (appId: number, expression: string, condition: string, values: Record<string, unknown>) =>
    client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { pk: governorKey(appId) },
        UpdateExpression: expression,
        ConditionExpression: condition,
        ExpressionAttributeNames: { "#fullAt": "fullAt", "#expiration": "expiration" },
        ExpressionAttributeValues: values,
        ReturnValues: "UPDATED_NEW",
      }),
    );
  const expiration = (at: number): number => Math.ceil(at / 1000) + ITEM_TTL_SECONDS;
  /** Appends `span` to a waiting line and resolves to where it landed; undefined when no line is waiting. */
  const join = async (appId: number, span: number, now: number): Promise<number | undefined> => {
    try {
      const result = await send(appId, "ADD #fullAt :span SET #expiration = :expiration", "#fullAt >= :now", { ":span": span, ":now": now, ":expiration": expiration(now) });
      return Number(result.Attributes?.fullAt) - span;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  };
  /** Starts a line at `now` on an idle (or absent) bucket; undefined when a line is waiting. */
  const start = async (appId: number, span: number, now: number): Promise<number | undefined> => {
    try {
      await send(appId, "SET #fullAt = :fullAt, #expiration = :expiration", "attribute_not_exists(#fullAt) OR #fullAt < :now", {
        ":fullAt": now + span,
        ":now": now,
        ":expiration": expiration(now),
      });
      return now;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  };
  return {
    settings,
    async reserve(appId, count, now, seenByCaller) {
      const tokens = Math.max(0, Math.floor(count));
      if (tokens === 0) return [];
      const span = tokens * interval(settings);
      // The newest sighting of the line picks the form likely to succeed first (a cold environment has
      // only its caller's read of the bucket item); the other form follows if the bucket changed since.
      const seen = Math.max(lineSeen.get(appId) ?? 0, seenByCaller ?? 0);
      const forms = seen >= now ? [join, start] : [start, join];
      for (let attempt = 0; attempt < RESERVE_ATTEMPTS; attempt += 1) {
        const begin = await (forms[attempt % 2] as typeof join)(appId, span, now);
        if (begin !== undefined) {
          lineSeen.set(appId, begin + span);
          return turnsFrom(begin, now, tokens, settings);
        }
      }
      throw new Error(`the write bucket of App ${appId} kept changing: no reservation after ${RESERVE_ATTEMPTS} writes`);
    },

    async keepTurns(turns) {
      const items = [...turns].map(([messageId, turn]) => ({
        pk: keptTurnKey(messageId),
        appId: turn.appId,
        at: turn.at,
        expiration: Math.ceil(turn.at / 1000) + KEPT_TURN_TTL_SECONDS,
      }));
      for (let start = 0; start < items.length; start += BATCH_WRITE_MAX) {
        let pending: Array<Record<string, unknown>> = items.slice(start, start + BATCH_WRITE_MAX);
        for (let attempt = 0; pending.length > 0 && attempt < BATCH_ATTEMPTS; attempt += 1) {
          const response = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending.map((item) => ({ PutRequest: { Item: item } })) } }));
          pending = (response.UnprocessedItems?.[tableName] ?? []).flatMap((request) => (request.PutRequest?.Item === undefined ? [] : [request.PutRequest.Item]));
        }
      }
    },

    async keptTurns(messageIds) {
      const found = new Map<string, KeptTurn>();
      const ids = [...new Set(messageIds)];
      for (let start = 0; start < ids.length; start += BATCH_GET_MAX) {
        let keys: Array<Record<string, unknown>> = ids.slice(start, start + BATCH_GET_MAX).map((id) => ({ pk: keptTurnKey(id) }));
        for (let attempt = 0; keys.length > 0 && attempt < BATCH_ATTEMPTS; attempt += 1) {
          const response = await client.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys } } }));
          for (const item of response.Responses?.[tableName] ?? []) {
            found.set(String(item.pk).slice(keptTurnKey("").length), { appId: Number(item.appId), at: Number(item.at) });
          }
          keys = response.UnprocessedKeys?.[tableName]?.Keys ?? [];
        }
      }
      return found;
    },

    async blockUntil(appId, until) {
      const fullAt = blockedFullAt(until, settings);
      try {
        // A later block (or a longer line) already stored wins; an earlier one is extended.
        await send(appId, "SET #fullAt = :fullAt, #expiration = :expiration", "attribute_not_exists(#fullAt) OR #fullAt < :fullAt", {
          ":fullAt": fullAt,
          ":expiration": expiration(until),
        });
        lineSeen.set(appId, fullAt);
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    },
  };
}
