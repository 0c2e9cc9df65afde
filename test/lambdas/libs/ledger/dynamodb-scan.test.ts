import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { scanActiveJobs, scanSnapshot } from "../../../../lambdas/libs/ledger/dynamodb-scan.js";

// The reconciler compares the ledger scan with counters it read with ConsistentRead: an eventually
// consistent scan missed a claim made seconds before and the recount set the counter below the
// runners it counted (fault suite: "DynamoDB eventually consistent reads").
const dynamo = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "eu-west-1" }));

beforeEach(() => {
  dynamo.reset();
  dynamo.on(ScanCommand).resolves({ Items: [{ pk: "limit#global", inUse: 2 }] });
});

describe("ledger scans", () => {
  it("reads the snapshot with strongly consistent scans", async () => {
    const snapshot = await scanSnapshot(client, "sr-jobs");
    expect(snapshot.counters.get("limit#global")).toBe(2);
    expect(dynamo.commandCalls(ScanCommand).map((call) => call.args[0].input.ConsistentRead)).toEqual([true]);
  });

  it("reads the active jobs with strongly consistent scans", async () => {
    await scanActiveJobs(client, "sr-jobs");
    expect(dynamo.commandCalls(ScanCommand).map((call) => call.args[0].input.ConsistentRead)).toEqual([true]);
  });
});
