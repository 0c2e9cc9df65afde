import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, describe, expect, it } from "vitest";
import { cachedParse, expressionCacheStats } from "./dynalite-expression-cache.js";
import type { CachedParse } from "./dynalite-expression-cache.js";
import { startDynalite } from "./dynalite.js";

type Parse = CachedParse["uncached"];
type AttributeValue = Record<string, unknown>;
interface Request {
  UpdateExpression?: string;
  ConditionExpression?: string;
  KeyConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
  _condition?: unknown;
  _updates?: unknown;
  _keyCondition?: unknown;
}

// Dynalite's request validation and its parser modules, as the server uses them.
const require = createRequire(import.meta.url);
const root = dirname(require.resolve("dynalite"));
const validations = require(join(root, "validations", "index.js")) as { validateExpressions(request: Request): string | undefined; convertKeyCondition(tree: unknown): unknown };
const modules = ["conditionParser", "updateParser", "projectionParser"].map((name) => require(join(root, "db", name)) as { parse: Parse | CachedParse });
// Dynalite's own parsers (startDynalite() below wraps them once in this process).
const originals = modules.map((module) => ("uncached" in module.parse ? module.parse.uncached : module.parse));
const cached = originals.map((parse) => cachedParse(parse));

/** Validates `request` as dynalite does, through its own parsers or the kept trees. */
function validate(request: Request, through: "dynalite" | "kept"): { error: string | undefined; request: Request } {
  const saved = modules.map((module) => module.parse);
  modules.forEach((module, i) => (module.parse = (through === "kept" ? cached[i] : originals[i]) as Parse));
  try {
    return { error: validations.validateExpressions(request), request };
  } finally {
    modules.forEach((module, i) => (module.parse = saved[i] as Parse));
  }
}

/** The same request validated both ways; the kept trees' answer. */
function bothWays(make: () => Request): { error: string | undefined; request: Request } {
  const kept = validate(make(), "kept");
  expect(kept).toStrictEqual(validate(make(), "dynalite"));
  return kept;
}

// The ledger's shapes (lambdas/libs/ledger/dynamodb-update.ts): nested conditions, IN, if_not_exists, list_append, ADD, REMOVE.
function claim(token: string, max: number): Request {
  return {
    UpdateExpression: "SET #a0 = :v0, #a1 = if_not_exists(#a1, :v1), #a2 = list_append(if_not_exists(#a2, :v2), :v3) ADD #a3 :v4 REMOVE #a4",
    ConditionExpression: "(attribute_not_exists(#phase) OR #phase IN (:from0, :from1)) AND ((attribute_not_exists(#a5) OR #a5 < :max) AND (#a6 <> :token))",
    ExpressionAttributeNames: { "#phase": "phase", "#a0": "updatedAt", "#a1": "createdAt", "#a2": "events", "#a3": "attempts", "#a4": "turn", "#a5": "launchAttempts", "#a6": "claimToken" },
    ExpressionAttributeValues: { ":from0": { S: "queued" }, ":from1": { S: "launching" }, ":max": { N: String(max) }, ":token": { S: token }, ":v0": { S: token }, ":v1": { S: "2026-01-01" }, ":v2": { L: [] }, ":v3": { L: [{ S: token }] }, ":v4": { N: "1" } },
  };
}

describe("dynalite's expression parsers with kept trees", () => {
  it("validate a request as dynalite does when only the values change, and the trees hold the request's own values", () => {
    for (const [token, max] of [["t-1", 3], ["t-2", 5], ["t-3", 7]] as const) {
      const { error, request } = bothWays(() => claim(token, max));
      expect(error).toBeUndefined();
      const trees = JSON.stringify([request._condition, request._updates]);
      expect(trees).toContain(`"${token}"`);
      expect(token === "t-1" || !trees.includes('"t-1"')).toBe(true);
      const condition = request._condition as { expression: { args: Array<{ args: Array<{ args: unknown[] }> }> } };
      expect(condition.expression.args[1]?.args[1]?.args[1]).toBe(request.ExpressionAttributeValues?.[":token"]);
    }
  });

  it("fails when a value is not used, as dynalite does", () => {
    const { error } = bothWays(() => ({ ...claim("t-4", 3), ExpressionAttributeValues: { ...claim("t-4", 3).ExpressionAttributeValues, ":spare": { S: "x" } } }));
    expect(error).toMatch(/unused in expressions: keys: \{:spare\}/);
  });

  it("answers a fresh tree each time: dynalite rewrites key conditions in place", () => {
    const query = (): Request => ({ KeyConditionExpression: ":k = #pk", ExpressionAttributeNames: { "#pk": "pk" }, ExpressionAttributeValues: { ":k": { S: "job#1" } } });
    const first = bothWays(query).request;
    expect(validations.convertKeyCondition((first._keyCondition as { expression: unknown }).expression)).toEqual({ pk: { ComparisonOperator: "EQ", AttributeValueList: [{ S: "job#1" }] } });
    const second = bothWays(query).request;
    expect((second._keyCondition as { expression: { type: string; args: unknown[] } }).expression.args[0]).toEqual({ S: "job#1" });
  });

  it("fails when a value of another type breaks an operand check that passed with the kept tree", () => {
    const add = (value: AttributeValue): Request => ({ UpdateExpression: "SET #n = #n + :v", ExpressionAttributeNames: { "#n": "n" }, ExpressionAttributeValues: { ":v": value } });
    expect(bothWays(() => add({ N: "1" })).error).toBeUndefined();
    expect(bothWays(() => add({ S: "one" })).error).toMatch(/Incorrect operand type/);
  });

  it("fails when BETWEEN's bounds are out of order, after the same expression passed with ordered bounds", () => {
    const between = (low: string, high: string): Request => ({ ConditionExpression: "#n BETWEEN :low AND :high", ExpressionAttributeNames: { "#n": "n" }, ExpressionAttributeValues: { ":low": { N: low }, ":high": { N: high } } });
    expect(bothWays(() => between("1", "5")).error).toBeUndefined();
    expect(bothWays(() => between("9", "5")).error).toMatch(/upper bound to be greater than or equal to lower bound/);
  });

  it("fails as dynalite fails, every time: syntax errors, undefined names, reserved words", () => {
    for (const condition of ["#n <", "#missing = :v", "name = :v"]) {
      for (let i = 0; i < 2; i += 1) expect(bothWays(() => ({ ConditionExpression: condition, ExpressionAttributeNames: { "#n": "n" }, ExpressionAttributeValues: { ":v": { N: "1" } } })).error).toMatch(/^Invalid ConditionExpression/);
    }
  });

  describe("through a dynalite server", () => {
    const started = startDynalite();
    afterAll(async () => (await started).close());

    it("keeps refusing a conditional update once its condition fails, each expression parsed once", async () => {
      const local = await started;
      await local.createTable("expression-cache");
      const before = { ...expressionCacheStats };
      const answers: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        const sent = local.documentClient.send(
          new UpdateCommand({
            TableName: "expression-cache",
            Key: { pk: "counter" },
            UpdateExpression: "SET #n = if_not_exists(#n, :zero) + :one",
            ConditionExpression: "attribute_not_exists(#n) OR (#n < :max)",
            ExpressionAttributeNames: { "#n": "n" },
            ExpressionAttributeValues: { ":zero": 0, ":one": 1, ":max": 3 },
          }),
        );
        answers.push(await sent.then(() => "ok", (error: Error) => error.name));
      }
      expect(answers).toEqual(["ok", "ok", "ok", "ConditionalCheckFailedException", "ConditionalCheckFailedException"]);
      expect((await local.items("expression-cache"))[0]?.n).toBe(3);
      expect({ parsed: expressionCacheStats.parsed - before.parsed, reused: expressionCacheStats.reused - before.reused }).toEqual({ parsed: 2, reused: 8 });
    });
  });
});
