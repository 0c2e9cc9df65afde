import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { installInvocationPatches, uninstallInvocationPatches } from "./world/client-patches.js";
import { SIM_START } from "./world/options.js";
import { answerOnWorldClock } from "./world/server-clock.js";

// The world's servers date their answers on the world's clock (world/server-clock.ts). Before, Node
// dated them on the machine's clock, and the AWS SDK retried a refused conditional write whenever the
// simulated clock had jumped far enough since its last answer: an extra ledger write in some runs.

/** A DynamoDB endpoint that refuses every conditional write, counting the attempts. */
async function refusingDynamoDb(onWorldClock: boolean): Promise<{ server: Server; url: string; attempts: () => number }> {
  let attempts = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    attempts += 1;
    req.resume();
    res.writeHead(400, { "content-type": "application/x-amz-json-1.0" });
    res.end(JSON.stringify({ __type: "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", message: "The conditional request failed" }));
  });
  if (onWorldClock) answerOnWorldClock(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, attempts: () => attempts };
}

/** Attempts of one refused write, made after the world's clock jumped an hour since the client's last answer. */
async function attemptsOfRefusedWriteAfterJump(onWorldClock: boolean): Promise<number> {
  const { server, url, attempts } = await refusingDynamoDb(onWorldClock);
  const client = new DynamoDBClient({ endpoint: url, region: "eu-west-1", credentials: { accessKeyId: "a", secretAccessKey: "b" }, maxAttempts: 3 });
  const write = new UpdateItemCommand({ TableName: "t", Key: { pk: { S: "k" } }, UpdateExpression: "SET a = :a", ConditionExpression: "attribute_not_exists(pk)", ExpressionAttributeValues: { ":a": { S: "x" } } });
  try {
    await expect(client.send(write)).rejects.toThrow("The conditional request failed");
    const before = attempts();
    vi.setSystemTime(Date.now() + 60 * 60_000);
    await expect(client.send(write)).rejects.toThrow("The conditional request failed");
    return attempts() - before;
  } finally {
    client.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe("the world's servers answer on the world's clock", () => {
  // The patches also keep the SDK's Node 20 warning out of the output.
  beforeAll(() => installInvocationPatches());
  afterAll(() => uninstallInvocationPatches());
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(SIM_START);
  });
  afterEach(() => vi.useRealTimers());

  it("dates each answer with the world's time", async () => {
    const { server, url } = await refusingDynamoDb(true);
    try {
      const first = await fetch(url, { method: "POST" });
      expect(first.headers.get("date")).toBe(new Date(SIM_START).toUTCString());
      vi.setSystemTime(SIM_START + 2 * 60 * 60_000);
      const later = await fetch(url, { method: "POST" });
      expect(later.headers.get("date")).toBe(new Date(SIM_START + 2 * 60 * 60_000).toUTCString());
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("so the SDK sends a refused conditional write once, however far the clock jumped", async () => {
    expect(await attemptsOfRefusedWriteAfterJump(true)).toBe(1);
  });

  it("without it, Node dates answers on the machine's clock and the SDK sends the refused write again after the jump", async () => {
    expect(await attemptsOfRefusedWriteAfterJump(false)).toBe(2);
  });
});
