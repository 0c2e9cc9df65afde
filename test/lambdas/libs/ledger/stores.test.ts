import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { dynamoDbBudgetStore, dynamoDbLimitCounters } from "../../../../lambdas/libs/ledger/dynamodb-counters.js";
import { dynamoDbLedger } from "../../../../lambdas/libs/ledger/dynamodb-store.js";
import { memoryBudgetStore, memoryLimitCounters } from "../../../../lambdas/libs/ledger/memory-counters.js";
import { MemoryLedgerTable, memoryLedger } from "../../../../lambdas/libs/ledger/memory-store.js";
import { dynalitePerFile } from "../../../helpers/dynalite-per-file.js";
import { describeCountersContract } from "./counters-contract.js";
import { describeLedgerContract } from "./ledger-contract.js";
import { describeQueueingLeaseContract } from "./queueing-lease-contract.js";
import type { LedgerStores } from "./ledger-contract.js";

// One contract, every store (Powertools' BasePersistenceLayer tests; terraform-aws-github-runner's
// scale-up-contract.test.ts): the DynamoDB store against a real DynamoDB-protocol server (its
// guarantees are condition expressions, which only a server evaluates), and the memory store that the
// handler tests use in its place.

const dynalite = dynalitePerFile();

async function dynamoDbStores(): Promise<LedgerStores> {
  const table = await dynalite.freshTable("jobs");
  const { db } = dynalite;
  return {
    ledger: dynamoDbLedger(db.documentClient, table),
    counters: dynamoDbLimitCounters(db.documentClient, table),
    budgets: dynamoDbBudgetStore(db.documentClient, table),
    put: async (item) => {
      await db.documentClient.send(new PutCommand({ TableName: table, Item: item }));
    },
    raw: async (key) => (await db.documentClient.send(new GetCommand({ TableName: table, Key: { pk: key }, ConsistentRead: true }))).Item,
  };
}

async function memoryStores(): Promise<LedgerStores> {
  const table = new MemoryLedgerTable();
  return {
    ledger: memoryLedger(table),
    counters: memoryLimitCounters(table),
    budgets: memoryBudgetStore(table),
    put: async (item) => {
      table.items.set(item.pk, structuredClone(item));
    },
    raw: async (key) => table.items.get(key),
  };
}

for (const [name, makeStores] of [
  ["DynamoDB (dynalite)", dynamoDbStores],
  ["memory", memoryStores],
] as const) {
  describeLedgerContract(name, makeStores);
  describeCountersContract(name, makeStores);
  describeQueueingLeaseContract(name, makeStores);
}
