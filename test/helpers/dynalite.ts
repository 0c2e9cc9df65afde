import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchWriteCommand, DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import dynalite from "dynalite";
import { installDynaliteExpressionCache } from "./dynalite-expression-cache.js";

/** A real DynamoDB-protocol server (dynalite, in memory) on 127.0.0.1, with tables keyed by `pk`. */
export interface LocalDynamoDb {
  readonly endpoint: string;
  /** The dynalite HTTP server (its request listener can be mounted elsewhere). */
  readonly server: Server;
  readonly client: DynamoDBClient;
  readonly documentClient: DynamoDBDocumentClient;
  createTable(name: string): Promise<void>;
  deleteTable(name: string): Promise<void>;
  /** Every item of a table, unmarshalled (all scan pages). */
  items(name: string): Promise<Array<Record<string, any>>>;
  /** Deletes every item, keeping the table (tests that share one handler and its table names). */
  clear(name: string): Promise<void>;
  close(): Promise<void>;
}

export const TEST_CREDENTIALS = { accessKeyId: "AKIDLOCAL", secretAccessKey: "local-secret" };

export async function startDynalite(): Promise<LocalDynamoDb> {
  installDynaliteExpressionCache();
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  // Keep idle sockets open: Node closes them after 5 s by default, and a client reusing one at that instant on a loaded machine gets ECONNRESET.
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: "eu-west-1", credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  const documentClient = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const items = async (name: string): Promise<Array<Record<string, any>>> => {
    const found: Array<Record<string, any>> = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await documentClient.send(new ScanCommand({ TableName: name, ConsistentRead: true, ExclusiveStartKey: startKey }));
      found.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return found;
  };
  return {
    endpoint,
    server,
    client,
    documentClient,
    async createTable(name) {
      await client.send(
        new CreateTableCommand({
          TableName: name,
          AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
          KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
          BillingMode: "PAY_PER_REQUEST",
        }),
      );
    },
    async deleteTable(name) {
      await client.send(new DeleteTableCommand({ TableName: name }));
    },
    items,
    async clear(name) {
      const keys = (await items(name)).map((item) => ({ pk: item.pk }));
      for (let start = 0; start < keys.length; start += 25) {
        await documentClient.send(
          new BatchWriteCommand({ RequestItems: { [name]: keys.slice(start, start + 25).map((Key) => ({ DeleteRequest: { Key } })) } }),
        );
      }
    },
    async close() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
