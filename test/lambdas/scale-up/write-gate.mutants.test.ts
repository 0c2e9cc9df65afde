import { describe, expect, it } from "vitest";
import { memoryWriteGovernor } from "../../../lambdas/libs/governor/memory-store.js";
import type { WriteGovernor } from "../../../lambdas/libs/governor/port.js";
import type { Claimed } from "../../../lambdas/scale-up/claims.js";
import { governWrites, takeWriteTokens } from "../../../lambdas/scale-up/write-gate.js";
import { jobMessage } from "../../helpers/aws.js";
import { quietPowertools } from "../../helpers/powertools.js";

// Edges of the write gate that Stryker's survivors pointed at (docs/reliability.md, "Mutation testing"):
// which GitHub wait gives up a kept turn, and the governor calls a batch makes when nothing waits.

quietPowertools();

const NOW = new Date("2026-11-23T10:00:00.000Z");
const APPS = [1001, 1002];

function claimed(n: number): Claimed[] {
  return Array.from({ length: n }, (_, i) => ({ recordId: `r${i}`, job: jobMessage({ receivedAt: NOW.toISOString() }), key: `k${i}`, token: `t${i}`, owner: "org" }));
}

/** A memory governor that records the calls that write to its store. */
function countingGovernor(settings: { perMinute: number; burst: number }): { governor: WriteGovernor; calls: string[] } {
  const memory = memoryWriteGovernor(settings);
  const calls: string[] = [];
  const governor: WriteGovernor = {
    ...memory,
    blockUntil: async (appId, until) => (calls.push(`blockUntil ${appId}`), memory.blockUntil(appId, until)),
    keepTurns: async (turns) => (calls.push(`keepTurns ${turns.size}`), memory.keepTurns(turns)),
  };
  return { governor, calls };
}

describe("takeWriteTokens: which GitHub wait gives up a kept turn", () => {
  it("keeps a turn when the wait is on another App, or ends at or before the turn", async () => {
    // Arrange: a job back at its turn on App 1002, assigned App 1001 now; a wait on App 1001, then waits
    // on App 1002 ending at and before the turn.
    const governor = memoryWriteGovernor({ perMinute: 60, burst: 1 });
    const turn = { appId: 1002, at: NOW.getTime() };
    const jobs = claimed(1).map((job) => ({ ...job, writeTurn: turn }));
    const appOf = new Map([["r0", 1001]]);
    const cases = [
      [{ appId: 1001, until: NOW.getTime() + 60_000 }],
      [{ appId: 1002, until: NOW.getTime() }],
      [{ appId: 1002, until: NOW.getTime() - 1 }],
    ];

    // Act
    const results = await Promise.all(cases.map((blocks) => takeWriteTokens(jobs, new Map(appOf), APPS, governor, NOW, blocks)));

    // Assert: each launches on its kept turn's App, without reserving (App 1001's one token is still there).
    expect(results.map(({ allowed }) => allowed.map((j) => j.recordId))).toEqual([["r0"], ["r0"], ["r0"]]);
    expect(await governor.reserve(1001, 1, NOW.getTime())).toEqual([NOW.getTime()]);
  });
});

describe("governWrites: governor calls", () => {
  it("records no wait and keeps no turn when nothing was blocked and every job launches", async () => {
    // Arrange: a burst of 2 for 2 jobs, and no drain function.
    const { governor, calls } = countingGovernor({ perMinute: 60, burst: 2 });
    const jobs = claimed(2);

    // Act
    const allowed = await governWrites(jobs, new Map(jobs.map((j) => [j.recordId, 1001])), [1001], { writeGovernor: governor }, NOW, () => undefined);

    // Assert
    expect(allowed.map((j) => j.recordId)).toEqual(["r0", "r1"]);
    expect(calls).toEqual([]);
  });

  it("records GitHub's waits for an empty batch and admits nothing", async () => {
    const { governor, calls } = countingGovernor({ perMinute: 60, burst: 2 });
    const allowed = await governWrites([], new Map(), [1001], { writeGovernor: governor, drainWriteBlocks: () => [{ appId: 1001, until: NOW.getTime() + 5_000 }] }, NOW, () => undefined);
    expect(allowed).toEqual([]);
    expect(calls).toEqual(["blockUntil 1001"]);
  });

  it("keeps no turn for the jobs sent back when the governor's store failed: they reserve again on return", async () => {
    // Arrange
    const { governor: counting, calls } = countingGovernor({ perMinute: 60, burst: 2 });
    const governor: WriteGovernor = { ...counting, reserve: async () => Promise.reject(new Error("table unavailable")) };
    const jobs = claimed(3);
    const waited: string[] = [];

    // Act
    const allowed = await governWrites(jobs, new Map(jobs.map((j) => [j.recordId, 1001])), [1001], { writeGovernor: governor }, NOW, (job) => waited.push(job.recordId));

    // Assert
    expect(allowed.map((j) => j.recordId)).toEqual(["r0"]);
    expect(waited).toEqual(["r1", "r2"]);
    expect(calls).toEqual([]);
  });
});
