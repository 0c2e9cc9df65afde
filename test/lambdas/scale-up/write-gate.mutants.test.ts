import { describe, expect, it } from "vitest";
import { memoryWriteGovernor } from "../../../lambdas/libs/governor/memory-store.js";
import type { WriteGovernor } from "../../../lambdas/libs/governor/port.js";
import type { Claimed } from "../../../lambdas/scale-up/launch-group.js";
import { governWrites, reportWriteBlocks, takeWriteTokens } from "../../../lambdas/scale-up/write-gate.js";
import { jobMessage } from "../../helpers/aws.js";
import { quietPowertools } from "../../helpers/powertools.js";

// Edges of the write gate that Stryker's survivors pointed at (docs/reliability.md, "Mutation testing").

quietPowertools();

const NOW = new Date("2026-11-23T10:00:00.000Z");
const SETTINGS = { perMinute: 60, burst: 1 };

function claimed(n: number): Claimed[] {
  return Array.from({ length: n }, (_, i) => ({ recordId: `r${i}`, job: jobMessage({ receivedAt: NOW.toISOString() }), key: `k${i}`, token: `t${i}`, owner: "org" }));
}

/** A governor whose calls are recorded; each method can be replaced. */
function recordingGovernor(overrides: Partial<WriteGovernor> = {}): { governor: WriteGovernor; calls: string[] } {
  const calls: string[] = [];
  const inner = memoryWriteGovernor(SETTINGS);
  const governor: WriteGovernor = {
    settings: SETTINGS,
    take: async (appId, wanted, now) => {
      calls.push(`take ${appId} ${wanted}`);
      return (overrides.take ?? inner.take)(appId, wanted, now);
    },
    lineUp: async (appId, count, now, earliest) => {
      calls.push(`lineUp ${appId} ${count}`);
      return (overrides.lineUp ?? inner.lineUp)(appId, count, now, earliest);
    },
    blockUntil: async (appId, until) => {
      calls.push(`blockUntil ${appId}`);
      return (overrides.blockUntil ?? inner.blockUntil)(appId, until);
    },
  };
  return { governor, calls };
}

describe("takeWriteTokens edges", () => {
  it("lines nobody up when every job has a token (no store write for an empty line)", async () => {
    const { governor, calls } = recordingGovernor();
    const jobs = claimed(1);
    const { allowed, waiting } = await takeWriteTokens(jobs, new Map([["r0", 1001]]), governor, NOW);
    expect([allowed.length, waiting.length]).toEqual([1, 0]);
    expect(calls).toEqual(["take 1001 1"]);
  });

  it("makes a waiting job wait at least one second, even when its turn is now", async () => {
    // The store grants nothing but says the turn is already here: SQS needs a visibility of 1 s or more.
    const { governor } = recordingGovernor({ take: async (_app, _wanted, now) => ({ granted: 0, nextTokenAt: now }), lineUp: async (_app, _count, now) => now });
    const jobs = claimed(1);
    const { waiting } = await takeWriteTokens(jobs, new Map([["r0", 1001]]), governor, NOW);
    expect(waiting.map((w) => w.waitSeconds)).toEqual([1]);
  });

  it("spaces the waiting jobs of one App a token interval apart, however many wait", async () => {
    // 30 a minute: one token every 2 s; one token now, three jobs wait behind it.
    const governor = memoryWriteGovernor({ perMinute: 30, burst: 1 });
    const jobs = claimed(4);
    const { waiting } = await takeWriteTokens(jobs, new Map(jobs.map((j) => [j.recordId, 1001])), governor, NOW);
    expect(waiting.map((w) => [w.job.recordId, w.waitSeconds])).toEqual([["r1", 2], ["r2", 4], ["r3", 6]]);
  });

  it("lets every job of an App through when lining up fails, tokens taken or not", async () => {
    const { governor } = recordingGovernor({ lineUp: async () => Promise.reject(new Error("table unavailable")) });
    const jobs = claimed(3);
    const { allowed, waiting } = await takeWriteTokens(jobs, new Map(jobs.map((j) => [j.recordId, 1001])), governor, NOW);
    expect(allowed.map((j) => j.recordId)).toEqual(["r0", "r1", "r2"]);
    expect(waiting).toEqual([]);
  });

  it("asks each App for its own jobs only", async () => {
    const { governor, calls } = recordingGovernor();
    const jobs = claimed(3);
    await takeWriteTokens(jobs, new Map([["r0", 1001], ["r1", 1002], ["r2", 1001]]), governor, NOW);
    expect(calls.filter((c) => c.startsWith("take")).sort()).toEqual(["take 1001 2", "take 1002 1"]);
  });
});

describe("reportWriteBlocks", () => {
  it("records every App's wait even when one App's write fails, and does not throw", async () => {
    const recorded: number[] = [];
    const { governor } = recordingGovernor({
      blockUntil: async (appId) => {
        if (appId === 1) throw new Error("table unavailable");
        recorded.push(appId);
      },
    });
    await expect(reportWriteBlocks([{ appId: 1, until: 1 }, { appId: 2, until: 2 }], governor)).resolves.toBeUndefined();
    expect(recorded).toEqual([2]);
  });
});

describe("governWrites edges", () => {
  it("takes tokens without a drain function (no rate-limit answers to report)", async () => {
    const { governor, calls } = recordingGovernor();
    const jobs = claimed(1);
    const allowed = await governWrites(jobs, new Map([["r0", 1001]]), { writeGovernor: governor }, NOW, async () => undefined);
    expect(allowed).toEqual(jobs);
    expect(calls).toEqual(["take 1001 1"]);
  });

  it("still reports GitHub's waits for a batch with no job to launch, and takes no token", async () => {
    const { governor, calls } = recordingGovernor();
    const allowed = await governWrites([], new Map(), { writeGovernor: governor, drainWriteBlocks: () => [{ appId: 1001, until: NOW.getTime() + 5_000 }] }, NOW, async () => undefined);
    expect(allowed).toEqual([]);
    expect(calls).toEqual(["blockUntil 1001"]);
  });

  it("gives each waiting job back as a write-rate wait with its seconds", async () => {
    const { governor } = recordingGovernor();
    const jobs = claimed(2);
    const givenBack: unknown[] = [];
    const allowed = await governWrites(jobs, new Map(jobs.map((j) => [j.recordId, 1001])), { writeGovernor: governor }, NOW, async (job, kind, reason, seconds) => {
      givenBack.push([job.recordId, kind, reason, seconds]);
    });
    expect(allowed.map((j) => j.recordId)).toEqual(["r0"]);
    expect(givenBack).toEqual([["r1", "write-rate", "GitHub write rate: no token yet", 1]]);
  });
});
