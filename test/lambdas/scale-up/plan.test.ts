import { describe, expect, it } from "vitest";
import { planLaunches } from "../../../lambdas/scale-up/plan.js";
import type { ParsedRecord } from "../../../lambdas/scale-up/plan.js";
import type { JobMessage } from "../../../lambdas/shared/index.js";
import { jobMessage } from "../../helpers/aws.js";

const pools = { linux: { maxRunners: 3 }, gpu: { maxRunners: 1 } };

function record(recordId: string, overrides: Partial<JobMessage> = {}): ParsedRecord {
  return { recordId, job: jobMessage(overrides) };
}

describe("planLaunches", () => {
  it("groups records by pool and owner, keeping batch order", () => {
    // Arrange
    const records = [
      record("a", { pool: "linux", owner: "org-1", repository: "org-1/app" }),
      record("b", { pool: "gpu", owner: "org-1", repository: "org-1/app" }),
      record("c", { pool: "linux", owner: "org-2", repository: "org-2/site", installationId: 7 }),
      record("d", { pool: "linux", owner: "org-1", repository: "org-1/lib" }),
    ];

    // Act
    const plan = planLaunches({ records, pools, activeRunners: {}, scope: "org" });

    // Assert
    expect(plan.groups.map((group) => [group.pool, group.owner, group.recordIds])).toEqual([
      ["linux", "org-1", ["a", "d"]],
      ["gpu", "org-1", ["b"]],
      ["linux", "org-2", ["c"]],
    ]);
    expect(plan.deferred).toEqual([]);
    expect(plan.rejected).toEqual([]);
  });

  it("groups by repository in repo scope", () => {
    // Arrange
    const records = [
      record("a", { owner: "org-1", repository: "org-1/app" }),
      record("b", { owner: "org-1", repository: "org-1/lib" }),
      record("c", { owner: "org-1", repository: "org-1/app" }),
    ];

    // Act
    const plan = planLaunches({ records, pools, activeRunners: {}, scope: "repo" });

    // Assert
    expect(plan.groups.map((group) => [group.owner, group.recordIds])).toEqual([
      ["org-1/app", ["a", "c"]],
      ["org-1/lib", ["b"]],
    ]);
  });

  it.each([
    { name: "empty pool", active: 0, launched: ["a", "b", "c"], deferred: ["d"] },
    { name: "partly used pool", active: 2, launched: ["a"], deferred: ["b", "c", "d"] },
    { name: "full pool", active: 3, launched: [], deferred: ["a", "b", "c", "d"] },
    { name: "over-full pool (someone launched by hand)", active: 9, launched: [], deferred: ["a", "b", "c", "d"] },
  ])("respects maxRunners: $name", ({ active, launched, deferred }) => {
    // Arrange
    const records = ["a", "b", "c", "d"].map((id) => record(id, { pool: "linux" }));

    // Act
    const plan = planLaunches({ records, pools, activeRunners: { linux: active }, scope: "org" });

    // Assert
    expect(plan.groups.flatMap((group) => group.recordIds)).toEqual(launched);
    expect(plan.deferred.map((miss) => miss.recordId)).toEqual(deferred);
  });

  it("counts the limit per pool, not per group", () => {
    // Arrange
    const records = [
      record("a", { pool: "gpu", owner: "org-1" }),
      record("b", { pool: "gpu", owner: "org-2" }),
      record("c", { pool: "linux", owner: "org-2" }),
    ];

    // Act
    const plan = planLaunches({ records, pools, activeRunners: {}, scope: "org" });

    // Assert
    expect(plan.groups.map((group) => group.recordIds)).toEqual([["a"], ["c"]]);
    expect(plan.deferred).toEqual([{ recordId: "b", reason: "pool gpu is at its limit of 1 runners" }]);
  });

  it("rejects unparseable records and unknown pools without using capacity", () => {
    // Arrange
    const records: ParsedRecord[] = [
      { recordId: "bad", invalid: "invalid job message: body is not JSON" },
      record("lost", { pool: "windows" }),
      record("ok", { pool: "gpu" }),
    ];

    // Act
    const plan = planLaunches({ records, pools, activeRunners: {}, scope: "org" });

    // Assert
    expect(plan.rejected).toEqual([
      { recordId: "bad", reason: "invalid job message: body is not JSON" },
      { recordId: "lost", reason: "unknown pool windows" },
    ]);
    expect(plan.groups.map((group) => group.recordIds)).toEqual([["ok"]]);
  });

  it("keeps installations apart even for the same owner", () => {
    // Arrange
    const records = [record("a", { installationId: 1 }), record("b", { installationId: 2 })];

    // Act
    const plan = planLaunches({ records, pools, activeRunners: {}, scope: "org" });

    // Assert
    expect(plan.groups.map((group) => [group.installationId, group.recordIds])).toEqual([
      [1, ["a"]],
      [2, ["b"]],
    ]);
  });

  it("never plans more than one runner per record", () => {
    // Arrange
    const records = Array.from({ length: 10 }, (_, index) => record(`r${index}`, { pool: "linux" }));

    // Act
    const plan = planLaunches({ records, pools: { linux: { maxRunners: 100 } }, activeRunners: {}, scope: "org" });

    // Assert
    const planned = plan.groups.flatMap((group) => group.recordIds);
    expect(planned).toHaveLength(10);
    expect(new Set(planned).size).toBe(10);
    expect(plan.groups.every((group) => group.jobs.length === group.recordIds.length)).toBe(true);
  });
});
