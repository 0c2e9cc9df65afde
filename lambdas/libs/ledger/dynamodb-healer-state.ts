import { GetCommand, PutCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { expirationAt, isConditionFailure } from "./dynamodb-update.js";
import { HEALER_CURSOR_KEY, newestPerRepository, redeliveryKey } from "./healer-state.js";
import type { DeliveryCursor, HealerState } from "./healer-state.js";

/** The webhook healer's state on DynamoDB, in the job ledger's table (same items as the memory store). */
export function dynamoDbHealerState(client: DynamoDBDocumentClient, tableName: string): HealerState {
  return {
    async loadCursor() {
      const item = (await client.send(new GetCommand({ TableName: tableName, Key: { pk: HEALER_CURSOR_KEY }, ConsistentRead: true }))).Item;
      return (item?.cursor as DeliveryCursor | undefined) ?? {};
    },

    async saveCursor(cursor, now) {
      await client.send(new PutCommand({ TableName: tableName, Item: { pk: HEALER_CURSOR_KEY, cursor, updatedAt: now.toISOString(), expiration: expirationAt(now) } }));
    },

    async claimRedelivery(guid, deliveryId, now, expiresAt) {
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: { pk: redeliveryKey(guid, deliveryId), deliveryId, claimedAt: now.toISOString(), expiration: Math.floor(expiresAt.getTime() / 1000) },
            // TTL deletes lag by up to days: an expired claim counts as absent.
            ConditionExpression: "attribute_not_exists(#pk) OR #expiration <= :now",
            ExpressionAttributeNames: { "#pk": "pk", "#expiration": "expiration" },
            ExpressionAttributeValues: { ":now": Math.floor(now.getTime() / 1000) },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    async recentRepositories(since) {
      const jobs: Record<string, unknown>[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({
            TableName: tableName,
            FilterExpression: "begins_with(#pk, :job) AND #receivedAt >= :since",
            ProjectionExpression: "#pk, #repository, #installationId, #receivedAt",
            ExpressionAttributeNames: { "#pk": "pk", "#repository": "repository", "#installationId": "installationId", "#receivedAt": "receivedAt" },
            ExpressionAttributeValues: { ":job": "job#", ":since": since.toISOString() },
            ExclusiveStartKey: startKey,
          }),
        );
        jobs.push(...(page.Items ?? []));
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined);
      return newestPerRepository(jobs, since);
    },
  };
}
