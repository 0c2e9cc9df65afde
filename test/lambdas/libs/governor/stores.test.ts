import { waitUntilTableExists } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll } from "vitest";
import { dynamoDbWriteGovernor } from "../../../../lambdas/libs/governor/dynamodb-store.js";
import { memoryWriteGovernor } from "../../../../lambdas/libs/governor/memory-store.js";
import { startDynalite } from "../../../helpers/dynalite.js";
import type { LocalDynamoDb } from "../../../helpers/dynalite.js";
import { describeGovernorContract } from "./governor-contract.js";

// One contract, both stores: the DynamoDB store against a DynamoDB-protocol server (its guarantee is a
// condition expression, which only a server evaluates), and the memory store used in its place elsewhere.

let db: LocalDynamoDb;
let tables = 0;

beforeAll(async () => {
  db = await startDynalite();
});

afterAll(async () => {
  await db.close();
});

describeGovernorContract("DynamoDB (dynalite)", async (settings) => {
  tables += 1;
  const table = `jobs-${tables}`;
  await db.createTable(table);
  await waitUntilTableExists({ client: db.client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: table });
  return dynamoDbWriteGovernor(db.documentClient, table, settings);
});

describeGovernorContract("memory", async (settings) => memoryWriteGovernor(settings));
