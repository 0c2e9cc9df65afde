import { BatchWriteCommand, DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dynamoDbLedger } from "../../../../lambdas/libs/ledger/dynamodb-store.js";
import { instanceKey, runnerKey } from "../../../../lambdas/libs/ledger/phases.js";
import type { Phase } from "../../../../lambdas/libs/ledger/phases.js";
import type { JobRecord } from "../../../../lambdas/libs/ledger/types.js";
import { startDynalite } from "../../../helpers/dynalite.js";
import type { LocalDynamoDb } from "../../../helpers/dynalite.js";

// What only the DynamoDB store has to get right (paging); its behaviour is the contract suite's
// (stores.test.ts).

const INSTANCE = "i-0aaaaaaaaaaaaaaa1";
let db: LocalDynamoDb;
const table = "jobs-paging";

beforeAll(async () => {
  db = await startDynalite();
  await db.createTable(table);
});

afterAll(async () => {
  await db.close();
});

describe("activeJobs", () => {
  it("returns every non-terminal job across scan pages (more than 1 MB), and nothing else", async () => {
    // Arrange: 300 jobs of ~5 kB each (DynamoDB pages a scan at 1 MB), a third of them finished, plus
    // pointer and counter items that share the table.
    const padding = "x".repeat(5_000);
    const items: Array<Record<string, unknown>> = [];
    const active = new Set<string>();
    for (let i = 0; i < 300; i += 1) {
      const phase: Phase = (["received", "launching", "launched", "running", "completed", "failed"] as const)[i % 6]!;
      const pk = `job#${900_000 + i}#1`;
      if (!["completed", "failed"].includes(phase)) active.add(pk);
      items.push({ pk, phase, jobId: 900_000 + i, runAttempt: 1, padding });
    }
    items.push({ pk: instanceKey(INSTANCE), job: "job#900000#1" }, { pk: runnerKey("sr-x"), job: "job#900001#1" }, { pk: "limit#global", inUse: 3 });
    for (let start = 0; start < items.length; start += 25) {
      await db.documentClient.send(new BatchWriteCommand({ RequestItems: { [table]: items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } })) } }));
    }
    let scans = 0;
    const counted = DynamoDBDocumentClient.from(db.client);
    counted.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "ScanCommand") scans += 1;
        return next(args);
      },
      { step: "initialize", name: "countScans" },
    );

    // Act
    const jobs = await dynamoDbLedger(counted, table).activeJobs();

    // Assert
    expect(scans).toBeGreaterThan(1);
    expect(jobs.map((job: JobRecord) => job.pk).sort()).toEqual([...active].sort());
    expect(new Set(jobs.map((job) => job.phase))).toEqual(new Set(["received", "launching", "launched", "running"]));
  });
});
