import { dynamoDbIndex } from "../../lambdas/build-cache/adapters/dynamodb-index.js";
import { memoryIndex } from "../../lambdas/build-cache/adapters/memory-index.js";
import type { IndexStore, SweepIndex } from "../../lambdas/build-cache/ports.js";
import { createIndexTable } from "./build-cache.js";
import { dynalitePerFile } from "./dynalite-per-file.js";

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
  const dynalite = dynalitePerFile();
  return [
    { name: "memory", make: async () => memoryIndex() },
    {
      name: "dynamodb",
      make: async () => {
        const table = dynalite.freshName(tablePrefix);
        await createIndexTable(dynalite.db.client, table);
        return dynamoDbIndex(dynalite.db.documentClient, table);
      },
    },
  ];
}
