import { DeleteCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { RecordView } from "../decide.js";

export interface RunnerRecords {
  /** Every item, without `jitConfig`: the reconciler has no use for the secret. */
  scan(): Promise<RecordView[]>;
  remove(pk: string): Promise<void>;
}

export function dynamoDbRunnerRecords(client: DynamoDBDocumentClient, tableName: string): RunnerRecords {
  return {
    async scan() {
      const records: RecordView[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({
            TableName: tableName,
            // Strongly consistent: a fresh record vouches for an instance EC2 does not list yet; an
            // eventually consistent scan could miss it and the reconciler would delete the registration.
            ConsistentRead: true,
            ProjectionExpression: "#pk, #instanceId, #owner, #installationId, #createdAt",
            ExpressionAttributeNames: {
              "#pk": "pk",
              "#instanceId": "instanceId",
              "#owner": "owner",
              "#installationId": "installationId",
              "#createdAt": "createdAt",
            },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) {
          const createdAt = new Date(String(item.createdAt));
          if (typeof item.pk !== "string" || typeof item.instanceId !== "string" || typeof item.owner !== "string") continue;
          records.push({
            pk: item.pk,
            instanceId: item.instanceId,
            owner: item.owner,
            installationId: Number(item.installationId),
            createdAt: Number.isNaN(createdAt.getTime()) ? new Date(0) : createdAt,
          });
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined);
      return records;
    },

    async remove(pk) {
      await client.send(new DeleteCommand({ TableName: tableName, Key: { pk } }));
    },
  };
}
