import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { dynamoDbBudgetStore, dynamoDbLimitCounters } from "../../../../lambdas/libs/ledger/dynamodb-counters.js";
import { budgetRecord } from "./counters-contract.js";

// What dynalite cannot show of the counters and the budget store (Stryker survivors of
// dynamodb-counters.ts, docs/reliability.md): errors other than a failed condition, the item DynamoDB
// returns with a failed condition, consistent reads, how many writes a reservation or release costs,
// the budget record's expiry, and a batch answer without `Responses`. The behaviour both stores share
// is the contract suite's (counters-contract.ts).

const TABLE = "jobs";
const KEY = "limit#pool#linux";

interface Sent {
  readonly command: string;
  readonly input: Record<string, any>;
}

/** More calls than any operation here makes: a loop that does not end fails instead of hanging. */
const MAX_CALLS = 20;

/** A document client that records each command and answers it with `answer` (a throw rejects the call). */
function scriptedClient(answer: (sent: Sent, index: number) => unknown): { client: DynamoDBDocumentClient; sent: Sent[] } {
  const sent: Sent[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, any> }) => {
      const call = { command: command.constructor.name, input: command.input };
      sent.push(call);
      if (sent.length > MAX_CALLS) throw new Error(`more than ${MAX_CALLS} calls`);
      return answer(call, sent.length - 1);
    },
  } as unknown as DynamoDBDocumentClient;
  return { client, sent };
}

/** A failed condition as DynamoDB reports it when asked for the old item (`ALL_OLD`). */
function refusedHolding(inUse: number | undefined): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: "failed", $metadata: {}, Item: inUse === undefined ? undefined : { inUse: { N: String(inUse) } } });
}

const throttled = Object.assign(new Error("slow down"), { name: "ProvisionedThroughputExceededException" });
const updates = (sent: Sent[]) => sent.filter((call) => call.command === "UpdateCommand");
const gets = (sent: Sent[]) => sent.filter((call) => call.command === "GetCommand");

describe("dynamoDbLimitCounters", () => {
  it("throws an error other than a failed condition from reserve, release and recount", async () => {
    // Reads answer, so a write error taken for a failed condition would be read past, not thrown.
    const { client } = scriptedClient((call) => {
      if (call.command === "GetCommand") return { Item: { pk: KEY, inUse: 1 } };
      throw throttled;
    });
    const counters = dynamoDbLimitCounters(client, TABLE);

    await expect(counters.reserve(KEY, 2, 5)).rejects.toBe(throttled);
    await expect(counters.release(KEY, 2)).rejects.toBe(throttled);
    await expect(counters.recount(KEY, 3, 1)).rejects.toBe(throttled);
  });

  it("asks for the old item with a failed condition and retries at its value without a read", async () => {
    // Arrange: 5 of 7 are held by someone else.
    const { client, sent } = scriptedClient((_, index) => {
      if (index === 0) throw refusedHolding(5);
      return {};
    });

    // Act
    const granted = await dynamoDbLimitCounters(client, TABLE).reserve(KEY, 4, 7);

    // Assert
    expect(granted).toBe(2);
    expect(gets(sent)).toEqual([]);
    expect(updates(sent).map((call) => [call.input.ExpressionAttributeValues[":units"], call.input.ExpressionAttributeValues[":room"]])).toEqual([
      [4, 3],
      [2, 5],
    ]);
    expect(updates(sent)[0]!.input.ReturnValuesOnConditionCheckFailure).toBe("ALL_OLD");
  });

  it("reads the counter consistently when the failed condition carries no item", async () => {
    // Arrange
    const { client, sent } = scriptedClient((call, index) => {
      if (call.command === "GetCommand") return { Item: { pk: KEY, inUse: 6 } };
      if (index === 0) throw refusedHolding(undefined);
      return {};
    });

    // Act
    const granted = await dynamoDbLimitCounters(client, TABLE).reserve(KEY, 4, 7);

    // Assert
    expect(granted).toBe(1);
    expect(gets(sent).map((call) => [call.input.Key, call.input.ConsistentRead])).toEqual([[{ pk: KEY }, true]]);
  });

  it("gives up after three refused attempts, and asks nothing once no room is left", async () => {
    // Arrange: another writer holds 9 of 10 and every attempt is refused.
    const crowded = scriptedClient(() => {
      throw refusedHolding(9);
    });
    const full = scriptedClient(() => {
      throw refusedHolding(7);
    });

    // Act
    const crowdedGrant = await dynamoDbLimitCounters(crowded.client, TABLE).reserve(KEY, 3, 10);
    const fullGrant = await dynamoDbLimitCounters(full.client, TABLE).reserve(KEY, 3, 7);

    // Assert
    expect(crowdedGrant).toBe(0);
    expect(updates(crowded.sent).map((call) => call.input.ExpressionAttributeValues[":units"])).toEqual([3, 1, 1]);
    expect(fullGrant).toBe(0);
    expect(updates(full.sent)).toHaveLength(1);
  });

  it("writes nothing to release zero or negative units", async () => {
    const { client, sent } = scriptedClient(() => ({}));
    const counters = dynamoDbLimitCounters(client, TABLE);

    await counters.release(KEY, 0);
    await counters.release(KEY, -2);

    expect(sent).toEqual([]);
  });

  it("floors at zero with a second write only when fewer units are held than released", async () => {
    // Arrange: 3 held, 5 released; then a counter that holds nothing.
    const some = scriptedClient((_, index) => {
      if (index === 0) throw refusedHolding(3);
      return {};
    });
    const none = scriptedClient(() => {
      throw refusedHolding(0);
    });
    const released = scriptedClient(() => ({}));

    // Act
    await dynamoDbLimitCounters(some.client, TABLE).release(KEY, 5);
    await dynamoDbLimitCounters(none.client, TABLE).release(KEY, 5);
    await dynamoDbLimitCounters(released.client, TABLE).release(KEY, 2);

    // Assert
    expect(updates(some.sent).map((call) => call.input.ExpressionAttributeValues)).toEqual([
      { ":units": -5, ":units_abs": 5 },
      { ":units": -3, ":seen": 3 },
    ]);
    expect(updates(none.sent)).toHaveLength(1);
    expect(updates(released.sent)).toHaveLength(1);
  });

  it("reads consistently, 100 keys a batch, and a batch answer without Responses as zeros", async () => {
    // Arrange: exactly one batch's worth of keys.
    const keys = Array.from({ length: 100 }, (_, i) => `limit#owner#org-${i}`);
    const { client, sent } = scriptedClient((_, index) => (index === 0 ? {} : { Responses: { [TABLE]: [{ pk: keys[1] }] } }));
    const counters = dynamoDbLimitCounters(client, TABLE);

    // Act
    const first = await counters.read(keys);
    const second = await counters.read(keys.slice(0, 2));
    const none = await counters.read([]);

    // Assert
    expect(sent).toHaveLength(2);
    expect(sent[0]!.input.RequestItems[TABLE].Keys).toHaveLength(100);
    expect(sent[0]!.input.RequestItems[TABLE].ConsistentRead).toBe(true);
    expect([...first.values()].every((value) => value === 0)).toBe(true);
    expect(first.size).toBe(100);
    expect(Object.fromEntries(second)).toEqual({ [keys[0]!]: 0, [keys[1]!]: 0 });
    expect(none.size).toBe(0);
  });
});

describe("dynamoDbBudgetStore", () => {
  const budget = budgetRecord;

  it("keeps a record one day past its reset (its TTL), under the App's key", async () => {
    const { client, sent } = scriptedClient(() => ({}));

    await dynamoDbBudgetStore(client, TABLE).save([budget()]);

    expect(sent[0]!.input.Item).toEqual({ pk: "budget#1234", ...budget(), expiration: 1_795_000_000 + 86_400 });
  });

  it("ignores an older observation's refused write and throws any other error", async () => {
    const refused = dynamoDbBudgetStore(scriptedClient(() => Promise.reject(refusedHolding(undefined))).client, TABLE);
    const failing = dynamoDbBudgetStore(scriptedClient(() => Promise.reject(throttled)).client, TABLE);

    await expect(refused.save([budget()])).resolves.toBeUndefined();
    await expect(failing.save([budget()])).rejects.toBe(throttled);
  });

  it("loads 100 Apps a batch, with no empty batch after a full one, and a batch answer without Responses as none", async () => {
    // Arrange: one more App than a batch takes, then exactly one batch.
    const appIds = Array.from({ length: 101 }, (_, i) => i + 1);
    const { client, sent } = scriptedClient((_, index) =>
      index === 0 ? {} : { Responses: { [TABLE]: [{ pk: "budget#101", ...budget({ appId: 101 }), expiration: 1 }] } },
    );

    // Act
    const loaded = await dynamoDbBudgetStore(client, TABLE).load(appIds);
    const exactlyOneBatch = scriptedClient(() => ({ Responses: { [TABLE]: [] } }));
    await dynamoDbBudgetStore(exactlyOneBatch.client, TABLE).load(appIds.slice(0, 100));

    // Assert
    expect(sent.map((call) => call.input.RequestItems[TABLE].Keys.length)).toEqual([100, 1]);
    expect(exactlyOneBatch.sent).toHaveLength(1);
    expect(sent[1]!.input.RequestItems[TABLE].Keys).toEqual([{ pk: "budget#101" }]);
    expect(loaded).toEqual([budget({ appId: 101 })]);
  });
});
