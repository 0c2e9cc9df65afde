import { afterAll, beforeAll } from "vitest";
import { dynamoDbIndex } from "../../lambdas/build-cache/adapters/dynamodb-index.js";
import { memoryIndex } from "../../lambdas/build-cache/adapters/memory-index.js";
import type { IndexStore, SweepIndex } from "../../lambdas/build-cache/ports.js";
import { createIndexTable } from "./build-cache.js";
import { startDynalite } from "./dynalite.js";
import type { LocalDynamoDb } from "./dynalite.js";

/** One store of the build cache's index port, made fresh and empty by `make`. */
export interface IndexStoreCase {
  readonly name: string;
  readonly make: () => Promise<IndexStore & SweepIndex>;
}

/**
 * Both stores of the index port, for a contract suite (`describe.each`): memory, and DynamoDB on a
 * dynalite server the calling test file starts before its tests and closes after them.
 */
export function indexStores(tablePrefix: string): IndexStoreCase[] {
  let db: LocalDynamoDb | undefined;
  let tables = 0;
  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => {
    await db?.close();
  });
  return [
    { name: "memory", make: async () => memoryIndex() },
    {
      name: "dynamodb",
      make: async () => {
        const server = db as LocalDynamoDb;
        const table = `${tablePrefix}-${tables++}`;
        await createIndexTable(server.client, table);
        return dynamoDbIndex(server.documentClient, table);
      },
    },
  ];
}
