import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dynamoDbWriteGovernor } from "../../../../lambdas/libs/governor/dynamodb-store.js";
import { memoryWriteGovernor } from "../../../../lambdas/libs/governor/memory-store.js";
import { dynamoDbBudgetStore } from "../../../../lambdas/libs/ledger/dynamodb-counters.js";
import { dynamoDbBatchStart, separateBatchStart } from "../../../../lambdas/scale-up/adapters/batch-start.js";
import { startDynalite } from "../../../helpers/dynalite.js";
import type { LocalDynamoDb } from "../../../helpers/dynalite.js";

const T0 = Date.parse("2026-03-02T09:00:00Z");
const SETTINGS = { perMinute: 150, burst: 10 };
const budget = (appId: number, remaining: number) => ({ appId, installationId: 7, remaining, limit: 5000, resetAt: T0 / 1000 + 600, observedAt: new Date(T0).toISOString() });

let db: LocalDynamoDb;
const calls: string[] = [];

beforeAll(async () => {
  db = await startDynalite();
  await db.createTable("jobs");
  db.documentClient.middlewareStack.add(
    (next, context) => (args) => {
      calls.push(String(context.commandName));
      return next(args);
    },
    { step: "initialize", name: "callRecorder" },
  );
});

afterAll(async () => {
  await db.close();
});

describe("dynamoDbBatchStart", () => {
  it("reads the Apps' shared budgets and the redelivered messages' kept turns in one BatchGetItem", async () => {
    // Arrange
    await dynamoDbBudgetStore(db.documentClient, "jobs").save([budget(1, 4000), budget(2, 300)]);
    const governor = dynamoDbWriteGovernor(db.documentClient, "jobs", SETTINGS);
    await governor.keepTurns(new Map([["m-1", { appId: 2, at: T0 + 400 }]]));
    await governor.reserve(1, 12, T0);
    calls.length = 0;

    // Act
    const start = await dynamoDbBatchStart(db.documentClient, "jobs")([1, 2, 3], ["m-1", "m-2"]);

    // Assert
    expect(calls).toEqual(["BatchGetItemCommand"]);
    expect(start.budgets.map((b) => [b.appId, b.remaining]).sort()).toEqual([[1, 4000], [2, 300]]);
    expect(start.turns).toEqual(new Map([["m-1", { appId: 2, at: T0 + 400 }]]));
    // App 1's bucket: 12 tokens taken at T0, 400 ms each.
    expect(start.lines).toEqual(new Map([[1, T0 + 4_800]]));
  });
});

describe("separateBatchStart", () => {
  it("reads the budgets and, only for redelivered messages, the kept turns", async () => {
    const governor = memoryWriteGovernor(SETTINGS);
    await governor.keepTurns(new Map([["m-1", { appId: 1, at: T0 }]]));
    const budgets = { load: async () => [budget(1, 4000)], save: async () => undefined };
    expect(await separateBatchStart(budgets, governor)([1], ["m-1"])).toEqual({ budgets: [budget(1, 4000)], turns: new Map([["m-1", { appId: 1, at: T0 }]]), lines: new Map() });
    expect((await separateBatchStart(budgets, undefined)([1], ["m-1"])).turns).toEqual(new Map());
  });
});
