import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { oncePerDeliveryWithPowertools } from "../../../lambdas/webhook/adapters/idempotency.js";
import type { WebhookAnswer } from "../../../lambdas/webhook/webhook.js";
import { lambdaContext } from "../../helpers/aws.js";
import { TEST_CREDENTIALS, startDynalite } from "../../helpers/dynalite.js";
import type { LocalDynamoDb } from "../../helpers/dynalite.js";
import { quietPowertools } from "../../helpers/powertools.js";

quietPowertools();

// Powertools idempotency keyed on X-GitHub-Delivery, against dynalite; the store's failures are
// injected per DynamoDB operation.

let db: LocalDynamoDb;
let table = "";
let tables = 0;

/** A DynamoDB client on dynalite whose listed operations fail as if DynamoDB were unreachable. */
function client(failing: readonly string[] = []): DynamoDBClient {
  const c = new DynamoDBClient({ endpoint: db.endpoint, region: "eu-west-1", credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  c.middlewareStack.add(
    (next, context) => async (args) => {
      if (failing.includes(String(context.commandName))) throw Object.assign(new Error("service unavailable"), { name: "ServiceUnavailable" });
      return next(args);
    },
    { step: "initialize", name: "injectFailures" },
  );
  return c;
}

/** A handling that counts its runs and answers with the run number. */
function counted(fail = false): { handle: () => Promise<WebhookAnswer>; runs: () => number } {
  let runs = 0;
  return {
    handle: async () => {
      runs += 1;
      if (fail) throw new Error("SQS refused");
      return { statusCode: 200, body: { message: "queued", run: runs } };
    },
    runs: () => runs,
  };
}

beforeAll(async () => {
  db = await startDynalite();
});

beforeEach(async () => {
  tables += 1;
  table = `deliveries-${tables}`;
  await db.createTable(table);
});

afterAll(async () => {
  await db.close();
});

describe("oncePerDeliveryWithPowertools", () => {
  it("handles a delivery once and answers a redelivery with the first answer", async () => {
    // Arrange
    const once = oncePerDeliveryWithPowertools(client(), table);
    once.registerContext(lambdaContext("sr-webhook"));
    const handling = counted();

    // Act
    const first = await once.run("delivery-1", handling.handle);
    const again = await once.run("delivery-1", handling.handle);
    const other = await once.run("delivery-2", handling.handle);

    // Assert
    expect(first).toEqual({ statusCode: 200, body: { message: "queued", run: 1 } });
    expect(again).toEqual(first);
    expect(other.body.run).toBe(2);
    expect(handling.runs()).toBe(2);
    const records = await db.items(table);
    expect(records).toHaveLength(2);
    expect(records.every((record) => record.status === "COMPLETED" && typeof record.expiration === "number")).toBe(true);
  });

  it("forgets a delivery whose handling failed, so a redelivery is handled", async () => {
    // Arrange
    const once = oncePerDeliveryWithPowertools(client(), table);
    const failing = counted(true);
    const working = counted();

    // Act
    await expect(once.run("delivery-1", failing.handle)).rejects.toThrow("SQS refused");
    const retried = await once.run("delivery-1", working.handle);

    // Assert
    expect(retried.body.message).toBe("queued");
    expect([failing.runs(), working.runs()]).toEqual([1, 1]);
  });

  it("answers a delivery still being handled elsewhere with 202", async () => {
    // Arrange
    const once = oncePerDeliveryWithPowertools(client(), table);
    once.registerContext(lambdaContext("sr-webhook"));
    let release: () => void = () => undefined;
    const slow = once.run("delivery-1", () => new Promise<WebhookAnswer>((resolve) => (release = () => resolve({ statusCode: 200, body: { message: "queued" } }))));
    await new Promise((resolve) => setTimeout(resolve, 100));

    // Act
    const concurrent = await once.run("delivery-1", counted().handle);
    release();

    // Assert
    expect(concurrent).toEqual({ statusCode: 202, body: { message: "duplicate: delivery is being handled" } });
    expect((await slow).body.message).toBe("queued");
  });

  it("handles every delivery without a delivery id", async () => {
    // Arrange
    const once = oncePerDeliveryWithPowertools(client(), table);
    const handling = counted();

    // Act
    await once.run(undefined, handling.handle);
    await once.run("", handling.handle);

    // Assert
    expect(handling.runs()).toBe(2);
    expect(await db.items(table)).toEqual([]);
  });

  it("handles the delivery once when the store is down before the handling", async () => {
    // Arrange
    const once = oncePerDeliveryWithPowertools(client(["PutItemCommand", "GetItemCommand", "UpdateItemCommand", "DeleteItemCommand"]), table);
    const handling = counted();

    // Act
    const answer = await once.run("delivery-1", handling.handle);

    // Assert
    expect(answer.body.message).toBe("queued");
    expect(handling.runs()).toBe(1);
  });

  it("handles the delivery once when saving its answer fails afterwards", async () => {
    // Arrange
    const once = oncePerDeliveryWithPowertools(client(["UpdateItemCommand"]), table);
    const handling = counted();

    // Act
    const answer = await once.run("delivery-1", handling.handle);

    // Assert
    expect(answer).toEqual({ statusCode: 200, body: { message: "queued", run: 1 } });
    expect(handling.runs()).toBe(1);
  });

  it("fails with the handling's own error, handled once, when forgetting the failed delivery fails too", async () => {
    // Arrange
    const once = oncePerDeliveryWithPowertools(client(["DeleteItemCommand"]), table);
    const failing = counted(true);

    // Act / Assert
    await expect(once.run("delivery-1", failing.handle)).rejects.toThrow("SQS refused");
    expect(failing.runs()).toBe(1);
  });
});
