import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { conditionalUpdate, expirationAt, isConditionFailure } from "../../../../lambdas/libs/ledger/dynamodb-update.js";

// What dynalite cannot show (Stryker survivors of dynamodb-update.ts): errors other than a failed
// condition, and the TTL value every write sets.

const NOW = new Date("2026-03-02T12:00:00.500Z");

/** A document client whose every call fails with `error`. */
function failingClient(error: unknown): DynamoDBDocumentClient {
  return { send: async () => Promise.reject(error) } as unknown as DynamoDBDocumentClient;
}

describe("isConditionFailure", () => {
  it("knows the SDK's exception and the same error by name (another copy of the SDK), nothing else", () => {
    expect(isConditionFailure(new ConditionalCheckFailedException({ message: "failed", $metadata: {} }))).toBe(true);
    expect(isConditionFailure(Object.assign(new Error("failed"), { name: "ConditionalCheckFailedException" }))).toBe(true);
    expect(isConditionFailure(Object.assign(new Error("slow down"), { name: "ProvisionedThroughputExceededException" }))).toBe(false);
  });
});

describe("conditionalUpdate", () => {
  it("answers null for a failed condition and throws any other error", async () => {
    const refused = Object.assign(new Error("failed"), { name: "ConditionalCheckFailedException" });
    const throttled = Object.assign(new Error("slow down"), { name: "ProvisionedThroughputExceededException" });
    const args = { key: "job#1#1", set: { phase: "running" }, returnValues: "NONE" as const, now: NOW };

    await expect(conditionalUpdate(failingClient(refused), "jobs", args)).resolves.toBeNull();
    await expect(conditionalUpdate(failingClient(throttled), "jobs", args)).rejects.toBe(throttled);
  });
});

describe("expirationAt", () => {
  it("is the write time in whole seconds plus the item's lifetime", () => {
    expect(expirationAt(NOW, 60)).toBe(Math.floor(Date.parse("2026-03-02T12:00:00Z") / 1000) + 60);
    expect(expirationAt(NOW)).toBe(Math.floor(Date.parse("2026-03-02T12:00:00Z") / 1000) + 7 * 24 * 60 * 60);
  });
});
