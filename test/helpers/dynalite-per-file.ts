import { waitUntilTableExists } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll } from "vitest";
import { startDynalite } from "./dynalite.js";
import type { LocalDynamoDb } from "./dynalite.js";

/** A dynalite server for the calling test file and fresh tables on it, for store contract suites. */
export interface DynalitePerFile {
  /** The server (started before the file's first test). */
  readonly db: LocalDynamoDb;
  /** A new, empty table keyed by `pk`, named `<prefix>-<n>`, ready when this resolves. */
  freshTable(prefix: string): Promise<string>;
  /** A new table name `<prefix>-<n>` for a table the caller creates in its own shape. */
  freshName(prefix: string): string;
}

/** Starts dynalite before the calling file's tests and closes it after them (vitest hooks of that file). */
export function dynalitePerFile(): DynalitePerFile {
  let server: LocalDynamoDb | undefined;
  let tables = 0;
  beforeAll(async () => {
    server = await startDynalite();
  });
  afterAll(async () => {
    await server?.close();
  });
  const self: DynalitePerFile = {
    get db(): LocalDynamoDb {
      if (server === undefined) throw new Error("dynalite is not started yet: use it inside a test or a hook");
      return server;
    },
    freshName(prefix) {
      tables += 1;
      return `${prefix}-${tables}`;
    },
    async freshTable(prefix) {
      const table = self.freshName(prefix);
      await self.db.createTable(table);
      // dynalite refuses items while a table is CREATING; on a loaded machine the first write can beat the flip to ACTIVE.
      await waitUntilTableExists({ client: self.db.client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: table });
      return table;
    },
  };
  return self;
}
