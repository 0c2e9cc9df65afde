import { describe, expect, it } from "vitest";
import { memoryWriteGovernor } from "../../../lambdas/libs/governor/memory-store.js";
import type { Claimed } from "../../../lambdas/scale-up/claims.js";
import { governWrites, keptTurnAction, takeWriteTokens, waitsHere } from "../../../lambdas/scale-up/write-gate.js";
import { SECONDARY_LIMIT_DEFAULT_WAIT_SECONDS, drainWriteBlocks, observeWriteBlock, waitAskedFor } from "../../../lambdas/shared/github/write-blocks.js";
import { jobMessage } from "../../helpers/aws.js";
import { quietPowertools } from "../../helpers/powertools.js";

quietPowertools();

const NOW = new Date("2026-11-23T10:00:00.000Z");

function claimed(n: number): Claimed[] {
  return Array.from({ length: n }, (_, i) => ({ recordId: `r${i}`, job: jobMessage({ receivedAt: NOW.toISOString() }), key: `k${i}`, token: `t${i}`, owner: "org" }));
}

describe("takeWriteTokens", () => {
  const APPS = [1001, 1002];

  it("reserves once per App for its jobs: the bucket's tokens launch, the rest wait for their turns and keep them", async () => {
    // Arrange: 60 a minute (one a second), 2 at once; jobs alternate between two Apps.
    const governor = memoryWriteGovernor({ perMinute: 60, burst: 2 });
    const jobs = claimed(7);
    const appOf = new Map(jobs.map((job, i) => [job.recordId, i % 2 === 0 ? 1001 : 1002]));

    // Act
    const { allowed, waiting } = await takeWriteTokens(jobs, appOf, APPS, governor, NOW);

    // Assert: App 1001 has r0 r2 r4 r6, App 1002 has r1 r3 r5.
    expect(allowed.map((j) => j.recordId)).toEqual(["r0", "r1", "r2", "r3"]);
    const at = (seconds: number) => NOW.getTime() + seconds * 1000;
    expect(waiting.map((w) => [w.job.recordId, w.waitSeconds, w.turn])).toEqual(
      expect.arrayContaining([
        ["r4", 1, { appId: 1001, at: at(1) }],
        ["r6", 2, { appId: 1001, at: at(2) }],
        ["r5", 1, { appId: 1002, at: at(1) }],
      ]),
    );
  });

  it("puts a later batch behind the earlier batch's waiting jobs in the App's line", async () => {
    // Arrange
    const governor = memoryWriteGovernor({ perMinute: 60, burst: 1 });
    const first = claimed(3);
    const second = claimed(2).map((job) => ({ ...job, recordId: `s${job.recordId}` }));
    const appOf = new Map([...first, ...second].map((job) => [job.recordId, 1001]));

    // Act
    await takeWriteTokens(first, appOf, APPS, governor, NOW);
    const { allowed, waiting } = await takeWriteTokens(second, appOf, APPS, governor, NOW);

    // Assert: the first batch's two waiting jobs hold seconds 1 and 2.
    expect(allowed).toEqual([]);
    expect(waiting.map((w) => w.waitSeconds)).toEqual([3, 4]);
  });

  it("launches a job back at its kept turn on the turn's App without asking the governor, and one back early waits for the same turn", async () => {
    // Arrange: the bucket is empty for a minute; r0's turn has come, r1's is in 2.5 s.
    const governor = memoryWriteGovernor({ perMinute: 60, burst: 1 });
    await governor.blockUntil(1002, NOW.getTime() + 60_000);
    const [r0, r1] = claimed(2) as [Claimed, Claimed];
    const jobs = [
      { ...r0, writeTurn: { appId: 1002, at: NOW.getTime() - 1_000 } },
      { ...r1, writeTurn: { appId: 1002, at: NOW.getTime() + 2_500 } },
    ];
    const appOf = new Map(jobs.map((job) => [job.recordId, 1001]));

    // Act
    const { allowed, waiting } = await takeWriteTokens(jobs, appOf, APPS, governor, NOW);

    // Assert
    expect(allowed.map((j) => j.recordId)).toEqual(["r0"]);
    expect(appOf.get("r0")).toBe(1002);
    expect(waiting.map((w) => [w.job.recordId, w.waitSeconds, w.turn])).toEqual([["r1", 3, { appId: 1002, at: NOW.getTime() + 2_500 }]]);
    // App 1001's bucket was not asked: its whole burst is still there.
    expect(await governor.reserve(1001, 1, NOW.getTime())).toEqual([NOW.getTime()]);
  });

  it("reserves again for a job back later than the grace, for a turn on an App no longer configured, and for a turn inside a wait GitHub asked for", async () => {
    // Arrange: 60 a minute and a burst of 3 leave a grace of 87.75 s (3/4 of the room under GitHub's 180).
    const governor = memoryWriteGovernor({ perMinute: 60, burst: 3 });
    const [late, gone, blocked] = claimed(3) as [Claimed, Claimed, Claimed];
    const jobs = [
      { ...late, writeTurn: { appId: 1001, at: NOW.getTime() - 90_000 } },
      { ...gone, writeTurn: { appId: 999, at: NOW.getTime() } },
      { ...blocked, writeTurn: { appId: 1002, at: NOW.getTime() } },
    ];
    const appOf = new Map(jobs.map((job) => [job.recordId, 1001]));

    // Act
    const { allowed } = await takeWriteTokens(jobs, appOf, APPS, governor, NOW, [{ appId: 1002, until: NOW.getTime() + 30_000 }]);

    // Assert: all three took fresh tokens of the App they were assigned now.
    expect(allowed.map((j) => j.recordId)).toEqual(["r0", "r1", "r2"]);
    expect([...appOf.values()]).toEqual([1001, 1001, 1001]);
    expect(await governor.reserve(1001, 1, NOW.getTime())).toEqual([NOW.getTime() + 1_000]);
  });

  it("admits the jobs whose turn is at most the in-invocation wait away with their turn, and sends later ones to the queue", async () => {
    // Arrange: one token a second, 2 at once; turns at 0, 0, 1, 2, 3 s; a kept turn 2.5 s away.
    const governor = memoryWriteGovernor({ perMinute: 60, burst: 2 });
    const [kept, ...fresh] = claimed(6) as [Claimed, ...Claimed[]];
    const jobs = [{ ...kept, writeTurn: { appId: 1002, at: NOW.getTime() + 2_500 } }, ...fresh];
    const appOf = new Map(jobs.map((job) => [job.recordId, 1001]));

    // Act: up to 2 s of waiting in the invocation.
    const { allowed, waiting } = await takeWriteTokens(jobs, appOf, APPS, governor, NOW, [], 2_000);

    // Assert
    expect(allowed.map((j) => [j.recordId, j.writeAt === undefined ? undefined : j.writeAt - NOW.getTime()])).toEqual([
      ["r1", undefined],
      ["r2", undefined],
      ["r3", 1_000],
      ["r4", 2_000],
    ]);
    expect(waiting.map((w) => [w.job.recordId, w.waitSeconds])).toEqual([["r0", 3], ["r5", 3]]);
  });

  it("lets one job per App through and sends the rest back for a refill when the governor's store fails", async () => {
    const failing = { ...memoryWriteGovernor({ perMinute: 60, burst: 2 }), reserve: async () => Promise.reject(new Error("table unavailable")) };
    const jobs = claimed(3);
    const { allowed, waiting } = await takeWriteTokens(jobs, new Map(jobs.map((j) => [j.recordId, 1001])), APPS, failing, NOW);
    expect(allowed.map((j) => j.recordId)).toEqual(["r0"]);
    expect(waiting.map((w) => [w.job.recordId, w.waitSeconds, w.turn])).toEqual([["r1", 2, undefined], ["r2", 2, undefined]]);
  });
});

describe("keptTurnAction", () => {
  it("uses a turn from its time to the grace after it, waits before it, reserves again after the grace", () => {
    expect(keptTurnAction({ appId: 1, at: 10_000 }, 9_999, 4_000)).toBe("wait");
    expect(keptTurnAction({ appId: 1, at: 10_000 }, 10_000, 4_000)).toBe("use");
    expect(keptTurnAction({ appId: 1, at: 10_000 }, 14_000, 4_000)).toBe("use");
    expect(keptTurnAction({ appId: 1, at: 10_000 }, 14_001, 4_000)).toBe("reserve");
  });
});

describe("governWrites", () => {
  it("feeds GitHub's waits into the bucket before the batch takes tokens, and keeps each waiting job's turn for its message", async () => {
    // Arrange
    const governor = memoryWriteGovernor({ perMinute: 60, burst: 5 });
    const jobs = claimed(2);
    const waited: Array<[string, number]> = [];

    // Act
    const allowed = await governWrites(
      jobs,
      new Map(jobs.map((j) => [j.recordId, 1001])),
      [1001],
      { writeGovernor: governor, drainWriteBlocks: () => [{ appId: 1001, until: NOW.getTime() + 30_000 }] },
      NOW,
      (job, seconds) => waited.push([job.recordId, seconds]),
    );

    // Assert: nothing before the wait ends, then the refill from empty; each message keeps its turn.
    expect(allowed).toEqual([]);
    expect(waited).toEqual([["r0", 31], ["r1", 32]]);
    expect(await governor.keptTurns(["r0", "r1"])).toEqual(
      new Map([
        ["r0", { appId: 1001, at: NOW.getTime() + 31_000 }],
        ["r1", { appId: 1001, at: NOW.getTime() + 32_000 }],
      ]),
    );
  });

  it("keeps the turns of a batch's waiting jobs in one write and launches the rest", async () => {
    // Arrange: a store that counts its writes.
    const memory = memoryWriteGovernor({ perMinute: 60, burst: 2 });
    let writes = 0;
    const governor = { ...memory, keepTurns: async (turns: Parameters<typeof memory.keepTurns>[0]) => ((writes += 1), memory.keepTurns(turns)) };
    const jobs = claimed(10);

    // Act
    const allowed = await governWrites(jobs, new Map(jobs.map((j) => [j.recordId, 1001])), [1001], { writeGovernor: governor }, NOW, () => undefined);

    // Assert
    expect(allowed.map((j) => j.recordId)).toEqual(["r0", "r1"]);
    expect(writes).toBe(1);
    expect((await memory.keptTurns(jobs.map((j) => j.recordId))).size).toBe(8);
  });

  it("still launches what has a token when keeping the turns fails: the waiting jobs reserve again on return", async () => {
    const governor = { ...memoryWriteGovernor({ perMinute: 60, burst: 1 }), keepTurns: async () => Promise.reject(new Error("throttled")) };
    const jobs = claimed(3);
    const waited: string[] = [];
    const allowed = await governWrites(jobs, new Map(jobs.map((j) => [j.recordId, 1001])), [1001], { writeGovernor: governor }, NOW, (job) => waited.push(job.recordId));
    expect(allowed.map((j) => j.recordId)).toEqual(["r0"]);
    expect(waited).toEqual(["r1", "r2"]);
  });

  it("passes every job through without a governor", async () => {
    const jobs = claimed(2);
    expect(await governWrites(jobs, new Map(), [1001], {}, NOW, () => undefined)).toEqual(jobs);
  });
});

describe("waitsHere", () => {
  it("waits in the invocation for a turn at most the given time away, on the queue for a later one", () => {
    expect(waitsHere(15_000, 10_000, 5_000)).toBe(true);
    expect(waitsHere(15_001, 10_000, 5_000)).toBe(false);
    expect(waitsHere(10_000, 10_000, 0)).toBe(true);
    expect(waitsHere(10_001, 10_000, 0)).toBe(false);
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
