import { beforeEach, describe, expect, it } from "vitest";
import type { BucketSettings } from "../../../../lambdas/libs/governor/bucket.js";
import type { WriteGovernor } from "../../../../lambdas/libs/governor/port.js";

export type MakeGovernor = (settings: BucketSettings) => Promise<WriteGovernor>;

const T0 = Date.parse("2026-03-02T09:00:00Z");
/** 120 a minute: one token every 500 ms. */
const SETTINGS: BucketSettings = { perMinute: 120, burst: 10 };
const APP = 1001;

/** The contract of the GitHub write governor, for every store. */
export function describeGovernorContract(name: string, make: MakeGovernor): void {
  describe(`write governor contract: ${name}`, () => {
    let governor: WriteGovernor;

    beforeEach(async () => {
      governor = await make(SETTINGS);
    });

    it("grants a full burst at first, then nothing until a token is due", async () => {
      // Act
      const first = await governor.take(APP, 25, T0);
      const second = await governor.take(APP, 5, T0);

      // Assert
      expect(first.granted).toBe(10);
      expect(second).toEqual({ granted: 0, nextTokenAt: T0 + 500 });
    });

    it("refills at the configured rate, computed from the stored time", async () => {
      // Arrange
      await governor.take(APP, 10, T0);

      // Act
      const after2s = await governor.take(APP, 10, T0 + 2_000);
      const after2s250 = await governor.take(APP, 10, T0 + 2_250);
      const after1min = await governor.take(APP, 100, T0 + 62_000);

      // Assert
      expect(after2s.granted).toBe(4);
      expect(after2s250.granted).toBe(0);
      expect(after1min.granted).toBe(10);
    });

    it("keeps one bucket per App: several Apps multiply the rate", async () => {
      const granted = await Promise.all([1001, 1002, 1003].map((appId) => governor.take(appId, 25, T0)));
      expect(granted.map((g) => g.granted)).toEqual([10, 10, 10]);
    });

    it("never grants more than the bucket holds under 30 concurrent takers", async () => {
      // Act
      const grants = await Promise.all(Array.from({ length: 30 }, (_, i) => governor.take(APP, 1 + (i % 3), T0)));

      // Assert
      const total = grants.reduce((sum, g) => sum + g.granted, 0);
      expect(total).toBeLessThanOrEqual(10);
      expect(total).toBeGreaterThan(0);
    });

    it("over 30 simulated seconds of busy takers, grants the burst plus the rate and no more", async () => {
      let total = 0;
      for (let t = 0; t <= 30_000; t += 400) total += (await governor.take(APP, 3, T0 + t)).granted;
      // 10 at once, then one every 500 ms for 30 s (the take at 30 s sees exactly 60 refilled).
      expect(total).toBe(10 + 60);
    });

    it("blocks until the Retry-After ends, then refills from empty", async () => {
      // Act
      await governor.blockUntil(APP, T0 + 60_000);
      const during = await governor.take(APP, 5, T0 + 30_000);
      const justAfter = await governor.take(APP, 5, T0 + 61_000);

      // Assert
      expect(during).toEqual({ granted: 0, nextTokenAt: T0 + 60_500 });
      expect(justAfter.granted).toBe(2);
    });

    it("keeps the later of two blocks", async () => {
      await governor.blockUntil(APP, T0 + 60_000);
      await governor.blockUntil(APP, T0 + 10_000);
      expect((await governor.take(APP, 1, T0 + 20_000)).granted).toBe(0);
    });

    it("lines waiting jobs up one token interval apart, behind those already waiting, never before the earliest time", async () => {
      // Act
      const first = await governor.lineUp(APP, 4, T0, T0 + 500);
      const second = await governor.lineUp(APP, 2, T0 + 100, T0 + 500);
      const afterTheLine = await governor.lineUp(APP, 1, T0 + 10_000, T0 + 10_000);

      // Assert: 4 jobs from 500 ms (500, 1000, 1500, 2000), then 2 from 2500 ms; a passed line starts anew.
      expect([first - T0, second - T0, afterTheLine - T0]).toEqual([500, 2_500, 10_000]);
    });

    it("gives concurrent batches distinct places in the line", async () => {
      const starts = await Promise.all(Array.from({ length: 8 }, () => governor.lineUp(APP, 2, T0, T0)));
      expect(new Set(starts).size).toBe(8);
      expect(Math.max(...starts) - T0).toBeLessThanOrEqual(7 * 1_000);
    });

    it("grants nothing for nothing wanted", async () => {
      expect((await governor.take(APP, 0, T0)).granted).toBe(0);
      expect((await governor.take(APP, 10, T0)).granted).toBe(10);
    });
  });
}
