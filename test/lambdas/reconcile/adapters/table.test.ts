import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import { dynamoDbRunnerRecords } from "../../../../lambdas/reconcile/adapters/table.js";

// A fresh runner item vouches for an instance EC2 does not list yet; an eventually consistent scan
// missed one written seconds before and the reconciler deleted that runner's registration (fault
// suite: "DynamoDB eventually consistent reads").
describe("runner records", () => {
  it("are read with strongly consistent scans", async () => {
    const dynamo = mockClient(DynamoDBDocumentClient);
    dynamo.on(ScanCommand).resolves({ Items: [{ pk: "arn:aws:ec2:eu-west-1:123456789012:instance/i-01", instanceId: "i-01", owner: "octo-org", installationId: 7, createdAt: "2026-03-02T09:00:00.000Z" }] });
    const records = dynamoDbRunnerRecords(DynamoDBDocumentClient.from(new DynamoDBClient({ region: "eu-west-1" })), "sr-runners");

    const found = await records.scan();

    expect(found.map((record) => record.instanceId)).toEqual(["i-01"]);
    expect(dynamo.commandCalls(ScanCommand).map((call) => call.args[0].input.ConsistentRead)).toEqual([true]);
    dynamo.restore();
  });
});
