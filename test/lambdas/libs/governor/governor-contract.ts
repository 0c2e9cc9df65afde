import { beforeEach, describe, expect, it } from "vitest";
import type { BucketSettings } from "../../../../lambdas/libs/governor/bucket.js";
import type { WriteGovernor } from "../../../../lambdas/libs/governor/port.js";

export type MakeGovernor = (settings: BucketSettings) => Promise<WriteGovernor>;

const T0 = Date.parse("2026-03-02T09:00:00Z");
/** 120 a minute: one token every 500 ms. */
const SETTINGS: BucketSettings = { perMinute: 120, burst: 10 };
const APP = 1001;

/** Milliseconds after T0 of each turn. */
const offsets = (turns: readonly number[]): number[] => turns.map((turn) => turn - T0);

/** The contract of the GitHub write governor, for every store. */
export function describeGovernorContract(name: string, make: MakeGovernor): void {
  describe(`write governor contract: ${name}`, () => {
    let governor: WriteGovernor;

    beforeEach(async () => {
      governor = await make(SETTINGS);
    });

    it("grants a full burst at once, then reserves later turns one token interval apart", async () => {
      // Act
      const turns = await governor.reserve(APP, 13, T0);

      // Assert: 10 now, then 500, 1000, 1500 ms.
      expect(offsets(turns)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 500, 1_000, 1_500]);
    });

    it("puts a later reservation behind the line: no token is handed out twice", async () => {
      // Arrange
      await governor.reserve(APP, 12, T0);

      // Act: newcomers 100 ms later queue behind the two turns already reserved.
      const later = await governor.reserve(APP, 3, T0 + 100);

      // Assert
      expect(offsets(later)).toEqual([1_500, 2_000, 2_500]);
    });

    it("refills at the configured rate, computed from the stored time", async () => {
      // Arrange
      await governor.reserve(APP, 10, T0);

      // Act
      const after2s = await governor.reserve(APP, 5, T0 + 2_000);
      const after1min = await governor.reserve(APP, 11, T0 + 62_000);

      // Assert: 4 tokens refilled in 2 s (the fifth at 2.5 s); a minute later the bucket is full again.
      expect(offsets(after2s)).toEqual([2_000, 2_000, 2_000, 2_000, 2_500]);
      expect(after1min.filter((turn) => turn === T0 + 62_000)).toHaveLength(10);
      expect(Math.max(...after1min) - T0).toBe(62_500);
    });

    it("keeps one bucket per App: several Apps multiply the rate", async () => {
      const turns = await Promise.all([1001, 1002, 1003].map((appId) => governor.reserve(appId, 10, T0)));
      expect(turns.flat().every((turn) => turn === T0)).toBe(true);
    });

    it("gives 30 concurrent batches distinct turns: at most the burst at once, the rest one interval apart", async () => {
      // Act
      const batches = await Promise.all(Array.from({ length: 30 }, (_, i) => governor.reserve(APP, 1 + (i % 3), T0)));

      // Assert: 60 tokens, 10 now and 50 spread from 500 ms to 25 s, each turn once.
      const later = batches.flat().filter((turn) => turn > T0);
      expect(batches.flat()).toHaveLength(60);
      expect(batches.flat().filter((turn) => turn === T0)).toHaveLength(10);
      expect(new Set(later).size).toBe(50);
      expect(Math.max(...later) - T0).toBe(25_000);
    });

    it("over 30 simulated seconds, turns come no faster than the burst plus the rate", async () => {
      // Arrange: a batch of 3 every 400 ms asks for more than the bucket gives.
      const turns: number[] = [];
      for (let t = 0; t <= 30_000; t += 400) turns.push(...(await governor.reserve(APP, 3, T0 + t)));

      // Assert: 10 at once, then one every 500 ms, whoever asked.
      const due = turns.filter((turn) => turn <= T0 + 30_000);
      expect(due).toHaveLength(10 + 60);
    });

    it("blocks until the Retry-After ends, then refills from empty", async () => {
      // Act
      await governor.blockUntil(APP, T0 + 60_000);
      const turns = await governor.reserve(APP, 2, T0 + 30_000);

      // Assert: the first token 500 ms after the wait.
      expect(offsets(turns)).toEqual([60_500, 61_000]);
    });

    it("keeps the later of two blocks", async () => {
      await governor.blockUntil(APP, T0 + 60_000);
      await governor.blockUntil(APP, T0 + 10_000);
      expect(offsets(await governor.reserve(APP, 1, T0 + 20_000))).toEqual([60_500]);
    });

    it("keeps the turns of waiting messages and finds them by message id, 60 at a time", async () => {
      // Arrange: more than one batch write (25) of turns, on two Apps.
      const turns = new Map(Array.from({ length: 60 }, (_, i) => [`msg-${i}`, { appId: i % 2 === 0 ? APP : 1002, at: T0 + i * 500 }] as const));

      // Act
      await governor.keepTurns(turns);
      const found = await governor.keptTurns([...turns.keys(), "msg-never-waited"]);

      // Assert
      expect(found).toEqual(turns);
    });

    it("finds no turn for messages that kept none", async () => {
      expect(await governor.keptTurns(["msg-a", "msg-b"])).toEqual(new Map());
      expect(await governor.keptTurns([])).toEqual(new Map());
    });

    it("reserves nothing for nothing wanted", async () => {
      expect(await governor.reserve(APP, 0, T0)).toEqual([]);
      expect(offsets(await governor.reserve(APP, 10, T0)).every((offset) => offset === 0)).toBe(true);
    });
  });
}
