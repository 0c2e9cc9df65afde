import { describe, expect, it } from "vitest";
import { assignApps, deferralSeconds, groupLaunches, ownerOf, splitGroup, triage } from "../../../lambdas/scale-up/plan.js";
import type { AppBudget, DeferralKind, ParsedRecord } from "../../../lambdas/scale-up/plan.js";
import type { JobMessage } from "../../../lambdas/shared/index.js";
import { jobMessage } from "../../helpers/aws.js";

const pools = { linux: {}, gpu: {} };
const NOW = new Date("2024-06-11T15:00:00.000Z");
const MAX_AGE = 3600;
/** The default admission policy: empty allowlists admit any owner and repository. */
const ANY_OWNER = { allowedOwners: [], allowedRepositories: [] };

function record(recordId: string, overrides: Partial<JobMessage> = {}, receiveCount = 1): ParsedRecord {
  return { recordId, receiveCount, job: jobMessage({ receivedAt: "2024-06-11T14:59:00.000Z", ...overrides }) };
}

function candidate(recordId: string, overrides: Partial<JobMessage> = {}): { recordId: string; job: JobMessage } {
  return { recordId, job: jobMessage(overrides) };
}

describe("triage", () => {
  it("fails jobs the admission rules refuse, warm requests exempt, before the age and draining checks", () => {
    // Arrange
    const admission = { allowedOwners: ["octo-org"], allowedRepositories: [] };
    const records = [
      record("other", { pool: "linux", owner: "someone", repository: "someone/app" }),
      record("public", { pool: "linux", visibility: "public" }),
      record("public-opted-in", { pool: "gpu", visibility: "public" }),
      record("unknown-visibility", { pool: "linux" }),
      record("warm", { pool: "linux", kind: "warm", owner: "someone", repository: "someone/*" }),
    ];
    const opted = { linux: {}, gpu: { allowPublicRepositories: true } };

    // Act
    const sorted = triage({ records, pools: opted, draining: true, now: NOW, maxJobAgeSeconds: MAX_AGE, admission });

    // Assert
    expect(sorted.refused.map((miss) => [miss.recordId, miss.kind])).toEqual([
      ["other", "owner"],
      ["public", "visibility"],
    ]);
    expect(sorted.deferred.map((miss) => miss.recordId)).toEqual(["public-opted-in", "unknown-visibility", "warm"]);
  });

  it("passes servable records on in batch order", () => {
    // Arrange
    const records = [record("a", { pool: "linux" }), record("b", { pool: "gpu" }), record("c", { pool: "linux" })];

    // Act
    const sorted = triage({ records, pools, draining: false, now: NOW, maxJobAgeSeconds: MAX_AGE, admission: ANY_OWNER });

    // Assert
    expect(sorted.candidates.map((c) => c.recordId)).toEqual(["a", "b", "c"]);
    expect([sorted.rejected, sorted.expired, sorted.deferred]).toEqual([[], [], []]);
  });

  it("rejects unreadable records and unknown pools with the reason", () => {
    // Arrange
    const records: ParsedRecord[] = [
      { recordId: "bad", receiveCount: 1, invalid: "invalid job message: body is not JSON" },
      record("lost", { pool: "windows" }),
      record("ok", { pool: "gpu" }),
    ];

    // Act
    const sorted = triage({ records, pools, draining: false, now: NOW, maxJobAgeSeconds: MAX_AGE, admission: ANY_OWNER });

    // Assert
    expect(sorted.rejected).toEqual([
      { recordId: "bad", reason: "invalid job message: body is not JSON" },
      { recordId: "lost", reason: "unknown pool windows" },
    ]);
    expect(sorted.candidates.map((c) => c.recordId)).toEqual(["ok"]);
  });

  it("expires a job older than the maximum age, and keeps one exactly at it", () => {
    // Arrange
    const old = record("old", { receivedAt: "2024-06-11T13:59:59.000Z" });
    const edge = record("edge", { receivedAt: "2024-06-11T14:00:00.000Z" });

    // Act
    const sorted = triage({ records: [old, edge], pools, draining: false, now: NOW, maxJobAgeSeconds: MAX_AGE, admission: ANY_OWNER });

    // Assert
    expect(sorted.expired).toEqual([{ recordId: "old", job: (old as { job: JobMessage }).job, reason: "job waited 3601 s, more than the maximum of 3600 s" }]);
    expect(sorted.candidates.map((c) => c.recordId)).toEqual(["edge"]);
  });

  it("defers every servable record while draining, but still expires old ones and rejects unreadable ones", () => {
    // Arrange
    const records: ParsedRecord[] = [
      record("fresh"),
      record("old", { receivedAt: "2024-06-11T10:00:00.000Z" }),
      { recordId: "bad", receiveCount: 3, invalid: "unsupported version 2" },
    ];

    // Act
    const sorted = triage({ records, pools, draining: true, now: NOW, maxJobAgeSeconds: MAX_AGE, admission: ANY_OWNER });

    // Assert
    expect(sorted.candidates).toEqual([]);
    expect(sorted.deferred).toEqual([{ recordId: "fresh", kind: "draining", reason: "draining: launches are paused" }]);
    expect(sorted.expired.map((miss) => miss.recordId)).toEqual(["old"]);
    expect(sorted.rejected.map((miss) => miss.recordId)).toEqual(["bad"]);
  });
});

describe("deferralSeconds", () => {
  const settings = { baseSeconds: 10, maxSeconds: 300 };

  it.each([
    { receiveCount: 1, step: 10 },
    { receiveCount: 2, step: 20 },
    { receiveCount: 3, step: 40 },
    { receiveCount: 5, step: 160 },
    { receiveCount: 6, step: 300 },
    { receiveCount: 50, step: 300 },
    { receiveCount: 2000, step: 300 },
  ])("doubles per receive up to the maximum: receive $receiveCount waits between half of $step and $step", ({ receiveCount, step }) => {
    expect(deferralSeconds("limit", receiveCount, settings, 0)).toBe(Math.ceil(step / 2));
    expect(deferralSeconds("limit", receiveCount, settings, 0.999999)).toBe(step);
    const middle = deferralSeconds("limit", receiveCount, settings, 0.5);
    expect(middle).toBeGreaterThanOrEqual(step / 2);
    expect(middle).toBeLessThanOrEqual(step);
  });

  it("waits out a kept claim's lease exactly, whatever the receive count and jitter (out-of-time)", () => {
    expect(deferralSeconds("out-of-time", 1, settings, 0, 121)).toBe(121);
    expect(deferralSeconds("out-of-time", 9, settings, 0.9, 121)).toBe(121);
    expect(deferralSeconds("out-of-time", 1, settings, 0, 900)).toBe(300);
  });

  it("waits exactly until a write turn is due, at least 1 s, whatever the receive count and jitter (write-rate)", () => {
    expect(deferralSeconds("write-rate", 9, settings, 0.9, 42.3)).toBe(43);
    expect(deferralSeconds("write-rate", 1, settings, 0, 0)).toBe(1);
    expect(deferralSeconds("write-rate", 1, settings, 0, 900)).toBe(300);
  });

  it("treats a missing or zero receive count as the first receive", () => {
    expect(deferralSeconds("draining", 0, settings, 1)).toBe(10);
  });

  it("clamps the random input to [0, 1]", () => {
    expect(deferralSeconds("limit", 1, settings, -5)).toBe(5);
    expect(deferralSeconds("limit", 1, settings, 7)).toBe(10);
  });

  it("keeps an in-flight wait short whatever the receive count", () => {
    expect(deferralSeconds("in-flight", 9, settings, 1)).toBe(10);
  });

  it("waits at least until the GitHub budget resets, but never beyond the maximum", () => {
    expect(deferralSeconds("budget", 1, settings, 0, 120.2)).toBe(121);
    expect(deferralSeconds("budget", 1, settings, 0, 5000)).toBe(300);
    expect(deferralSeconds("budget", 1, settings, 1, 0)).toBe(10);
  });

  it("ignores a budget reset for other kinds of wait", () => {
    expect(deferralSeconds("launch-failed", 1, settings, 1, 200)).toBe(10);
  });

  it("spreads a burst deferred together", () => {
    // Arrange
    const randoms = Array.from({ length: 20 }, (_, i) => i / 20);

    // Act
    const waits = randoms.map((r) => deferralSeconds("limit" as DeferralKind, 4, settings, r));

    // Assert
    expect(new Set(waits).size).toBeGreaterThan(10);
  });
});

describe("groupLaunches", () => {
  it("groups by pool and owner in org scope, keeping batch order", () => {
    // Arrange
    const jobs = [
      candidate("a", { pool: "linux", owner: "org-1", repository: "org-1/app" }),
      candidate("b", { pool: "gpu", owner: "org-1", repository: "org-1/app" }),
      candidate("c", { pool: "linux", owner: "org-2", repository: "org-2/site", installationId: 7 }),
      candidate("d", { pool: "linux", owner: "org-1", repository: "org-1/lib" }),
    ];

    // Act
    const groups = groupLaunches(jobs, "org");

    // Assert
    expect(groups.map((group) => [group.pool, group.owner, group.recordIds])).toEqual([
      ["linux", "org-1", ["a", "d"]],
      ["gpu", "org-1", ["b"]],
      ["linux", "org-2", ["c"]],
    ]);
    expect(groups.every((group) => group.jobs.map((job) => job.jobId).join() === group.recordIds.map((id) => jobs.find((j) => j.recordId === id)!.job.jobId).join())).toBe(true);
  });

  it("groups by repository in repo scope", () => {
    // Arrange
    const jobs = [
      candidate("a", { owner: "org-1", repository: "org-1/app" }),
      candidate("b", { owner: "org-1", repository: "org-1/lib" }),
      candidate("c", { owner: "org-1", repository: "org-1/app" }),
    ];

    // Act
    const groups = groupLaunches(jobs, "repo");

    // Assert
    expect(groups.map((group) => [group.owner, group.recordIds])).toEqual([
      ["org-1/app", ["a", "c"]],
      ["org-1/lib", ["b"]],
    ]);
  });

  it("keeps installations apart even for the same owner", () => {
    // Act
    const groups = groupLaunches([candidate("a", { installationId: 1 }), candidate("b", { installationId: 2 })], "org");

    // Assert
    expect(groups.map((group) => [group.installationId, group.recordIds])).toEqual([
      [1, ["a"]],
      [2, ["b"]],
    ]);
  });

  it("puts every record in exactly one group", () => {
    // Arrange
    const jobs = Array.from({ length: 30 }, (_, i) => candidate(`r${i}`, { pool: i % 2 ? "linux" : "gpu", owner: `org-${i % 3}` }));

    // Act
    const groups = groupLaunches(jobs, "org");

    // Assert
    const ids = groups.flatMap((group) => group.recordIds);
    expect(ids.sort()).toEqual(jobs.map((job) => job.recordId).sort());
    expect(groups).toHaveLength(6);
  });

  it("names the registration target by scope", () => {
    const job = { owner: "octo-org", repository: "octo-org/app" };
    expect([ownerOf(job, "org"), ownerOf(job, "repo")]).toEqual(["octo-org", "octo-org/app"]);
  });

  it("names the enterprise for every organization's jobs in enterprise scope, so they share one group", () => {
    const jobs = [candidate("a", { owner: "octo-org", repository: "octo-org/app" }), candidate("b", { owner: "other-org", repository: "other-org/lib" })];
    const groups = groupLaunches(jobs, "enterprise", "octo-enterprise");
    expect(groups.map((group) => group.owner)).toEqual(["octo-enterprise"]);
    expect(groups[0]!.recordIds).toEqual(["a", "b"]);
  });

  it("fails when enterprise scope has no enterprise slug", () => {
    expect(() => ownerOf({ owner: "octo-org", repository: "octo-org/app" }, "enterprise")).toThrow(/enterprise slug/);
  });
});

describe("splitGroup", () => {
  const group = groupLaunches([candidate("a"), candidate("b"), candidate("c")], "org")[0]!;

  it.each([
    { granted: 0, launch: [], wait: ["a", "b", "c"] },
    { granted: 2, launch: ["a", "b"], wait: ["c"] },
    { granted: 3, launch: ["a", "b", "c"], wait: [] },
    { granted: 9, launch: ["a", "b", "c"], wait: [] },
    { granted: -1, launch: [], wait: ["a", "b", "c"] },
  ])("launches the first $granted and leaves the rest waiting", ({ granted, launch, wait }) => {
    // Act
    const split = splitGroup(group, granted);

    // Assert
    expect(split.launch.recordIds).toEqual(launch);
    expect(split.launch.jobs).toHaveLength(launch.length);
    expect(split.wait).toEqual(wait);
    expect(split.launch.pool).toBe(group.pool);
  });
});

describe("assignApps", () => {
  const unknown = (appId: number): AppBudget => ({ appId, remaining: undefined, resetAt: undefined });

  it("alternates between Apps from the cursor", () => {
    expect(assignApps([unknown(1), unknown(2)], 5, 200, 0).appIds).toEqual([1, 2, 1, 2, 1]);
    expect(assignApps([unknown(1), unknown(2)], 3, 200, 1).appIds).toEqual([2, 1, 2]);
    expect(assignApps([unknown(1), unknown(2), unknown(3)], 4, 200, 7).appIds).toEqual([2, 3, 1, 2]);
  });

  it("spends only the budget above the reserve, and skips Apps that have none", () => {
    // Arrange
    const budgets: AppBudget[] = [
      { appId: 1, remaining: 202, resetAt: 1_718_118_000 },
      { appId: 2, remaining: 150, resetAt: 1_718_117_000 },
    ];

    // Act
    const assignment = assignApps(budgets, 5, 200, 0);

    // Assert
    expect(assignment.appIds).toEqual([1, 1]);
  });

  it("waits for the soonest reset when no App has budget left", () => {
    // Arrange
    const budgets: AppBudget[] = [
      { appId: 1, remaining: 10, resetAt: 1_718_118_000 },
      { appId: 2, remaining: 0, resetAt: 1_718_117_000 },
    ];

    // Act
    const assignment = assignApps(budgets, 3, 200, 0);

    // Assert
    expect(assignment.appIds).toEqual([]);
    expect(assignment.resetInSeconds(new Date(1_718_116_000_000))).toBe(1000);
    expect(assignment.resetInSeconds(new Date(1_718_119_000_000))).toBe(0);
  });

  it("counts the soonest reset among the Apps observed only", () => {
    // Arrange: one App observed and out of budget, one never observed (no reset known).
    const budgets: AppBudget[] = [{ appId: 1, remaining: 0, resetAt: 1_718_118_000 }, unknown(2)];

    // Act
    const assignment = assignApps(budgets, 1, 200, 0);

    // Assert
    expect(assignment.resetInSeconds(new Date(1_718_117_000_000))).toBe(1000);
  });

  it("treats an App never observed as having budget", () => {
    // Arrange
    const budgets: AppBudget[] = [{ appId: 1, remaining: 0, resetAt: 1_718_118_000 }, unknown(2)];

    // Act
    const assignment = assignApps(budgets, 3, 200, 0);

    // Assert
    expect(assignment.appIds).toEqual([2, 2, 2]);
  });

  it("assigns nothing without Apps or without demand", () => {
    expect(assignApps([], 3, 200, 0).appIds).toEqual([]);
    expect(assignApps([unknown(1)], 0, 200, 0).appIds).toEqual([]);
    expect(assignApps([], 3, 200, 0).resetInSeconds(NOW)).toBe(0);
  });
});
