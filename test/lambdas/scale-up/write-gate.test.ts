import { describe, expect, it } from "vitest";
import { memoryWriteGovernor } from "../../../lambdas/libs/governor/memory-store.js";
import type { Claimed } from "../../../lambdas/scale-up/launch-group.js";
import { governWrites, takeWriteTokens } from "../../../lambdas/scale-up/write-gate.js";
import { SECONDARY_LIMIT_DEFAULT_WAIT_SECONDS, drainWriteBlocks, observeWriteBlock, waitAskedFor } from "../../../lambdas/shared/github/write-blocks.js";
import { jobMessage } from "../../helpers/aws.js";
import { quietPowertools } from "../../helpers/powertools.js";

quietPowertools();

const NOW = new Date("2026-11-23T10:00:00.000Z");

function claimed(n: number): Claimed[] {
  return Array.from({ length: n }, (_, i) => ({ recordId: `r${i}`, job: jobMessage({ receivedAt: NOW.toISOString() }), key: `k${i}`, token: `t${i}`, owner: "org" }));
}

describe("takeWriteTokens", () => {
  it("asks each App's bucket once for its jobs and lines the rest up one interval apart", async () => {
    // Arrange: 60 a minute (one a second), 2 at once; jobs alternate between two Apps.
    const governor = memoryWriteGovernor({ perMinute: 60, burst: 2 });
    const jobs = claimed(7);
    const appOf = new Map(jobs.map((job, i) => [job.recordId, i % 2 === 0 ? 1001 : 1002]));

    // Act
    const { allowed, waiting } = await takeWriteTokens(jobs, appOf, governor, NOW);

    // Assert: App 1001 has r0 r2 r4 r6, App 1002 has r1 r3 r5.
    expect(allowed.map((j) => j.recordId)).toEqual(["r0", "r1", "r2", "r3"]);
    expect(waiting.map((w) => [w.job.recordId, w.waitSeconds])).toEqual(
      expect.arrayContaining([["r4", 1], ["r6", 2], ["r5", 1]]),
    );
  });

  it("puts a later batch's waiting jobs behind the earlier batch's in the App's line", async () => {
    // Arrange
    const governor = memoryWriteGovernor({ perMinute: 60, burst: 1 });
    const first = claimed(3);
    const second = claimed(2).map((job) => ({ ...job, recordId: `s${job.recordId}` }));
    const appOf = new Map([...first, ...second].map((job) => [job.recordId, 1001]));

    // Act
    await takeWriteTokens(first, appOf, governor, NOW);
    const { allowed, waiting } = await takeWriteTokens(second, appOf, governor, NOW);

    // Assert: the first batch's two waiting jobs hold seconds 1 and 2.
    expect(allowed).toEqual([]);
    expect(waiting.map((w) => w.waitSeconds)).toEqual([3, 4]);
  });

  it("lets the batch through when the governor's store fails", async () => {
    const failing = { ...memoryWriteGovernor({ perMinute: 60, burst: 1 }), take: async () => Promise.reject(new Error("table unavailable")) };
    const jobs = claimed(3);
    const { allowed, waiting } = await takeWriteTokens(jobs, new Map(jobs.map((j) => [j.recordId, 1001])), failing, NOW);
    expect([allowed.length, waiting.length]).toEqual([3, 0]);
  });
});

describe("governWrites", () => {
  it("feeds GitHub's waits into the bucket before the batch takes tokens", async () => {
    // Arrange
    const governor = memoryWriteGovernor({ perMinute: 60, burst: 5 });
    const jobs = claimed(2);
    const givenBack: Array<[string, number]> = [];

    // Act
    const allowed = await governWrites(jobs, new Map(jobs.map((j) => [j.recordId, 1001])), { writeGovernor: governor, drainWriteBlocks: () => [{ appId: 1001, until: NOW.getTime() + 30_000 }] }, NOW, async (job, _kind, _reason, seconds) => {
      givenBack.push([job.recordId, seconds]);
    });

    // Assert: nothing before the wait ends, then the refill from empty.
    expect(allowed).toEqual([]);
    expect(givenBack).toEqual([["r0", 31], ["r1", 32]]);
  });

  it("passes every job through without a governor", async () => {
    const jobs = claimed(2);
    expect(await governWrites(jobs, new Map(), {}, NOW, async () => undefined)).toEqual(jobs);
  });
});

describe("GitHub's wait answers", () => {
  const now = NOW.getTime();

  it("reads retry-after, an exhausted budget's reset, and a secondary-limit message without a header", () => {
    expect(waitAskedFor(403, { "retry-after": "42" }, "", now)).toBe(now + 42_000);
    expect(waitAskedFor(429, { "retry-after": "5" }, "", now)).toBe(now + 5_000);
    expect(waitAskedFor(403, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(now / 1000 + 600) }, "API rate limit exceeded", now)).toBe(now + 600_000);
    expect(waitAskedFor(403, {}, "You have exceeded a secondary rate limit.", now)).toBe(now + SECONDARY_LIMIT_DEFAULT_WAIT_SECONDS * 1000);
  });

  it("asks for no wait on other failures", () => {
    expect(waitAskedFor(403, {}, "Resource not accessible by integration", now)).toBeUndefined();
    expect(waitAskedFor(502, { "retry-after": "5" }, "", now)).toBeUndefined();
    expect(waitAskedFor(422, {}, "secondary rate limit", now)).toBeUndefined();
  });

  it("keeps the later wait per App and forgets them once drained", () => {
    observeWriteBlock(7, { status: 403, message: "secondary rate limit", response: { headers: { "retry-after": "10" } } });
    observeWriteBlock(7, { status: 403, message: "secondary rate limit", response: { headers: { "retry-after": "60" } } });
    observeWriteBlock(8, { status: 404, message: "Not Found", response: { headers: {} } });
    const drained = drainWriteBlocks();
    expect(drained.map((b) => b.appId)).toEqual([7]);
    expect((drained[0]?.until ?? 0) - Date.now()).toBeGreaterThan(50_000);
    expect(drainWriteBlocks()).toEqual([]);
  });
});
