import { beforeEach, describe, expect, it } from "vitest";
import { budgetKey } from "../../../../lambdas/libs/ledger/types.js";
import type { BudgetRecord } from "../../../../lambdas/libs/ledger/types.js";
import type { LedgerStores } from "./ledger-contract.js";

const KEY = "limit#pool#linux";

/** The contract of the limit counters and the budget store, for every store. */
/** A stored budget observation of App 1234 on installation 42, with `overrides`. */
export function budgetRecord(overrides: Partial<BudgetRecord> = {}): BudgetRecord {
  return { appId: 1234, installationId: 42, remaining: 4000, limit: 5000, resetAt: 1_795_000_000, observedAt: "2026-11-23T10:00:00.000Z", ...overrides };
}

export function describeCountersContract(name: string, makeStores: () => Promise<LedgerStores>): void {
  describe(`counters contract: ${name}`, () => {
    let stores: LedgerStores;

    beforeEach(async () => {
      stores = await makeStores();
    });

    async function value(key = KEY): Promise<number> {
      return (await stores.counters.read([key])).get(key) ?? Number.NaN;
    }

    describe("limit counters", () => {
      it("grants what fits and nothing beyond the maximum", async () => {
        // Act
        const first = await stores.counters.reserve(KEY, 5, 7);
        const second = await stores.counters.reserve(KEY, 5, 7);
        const third = await stores.counters.reserve(KEY, 5, 7);

        // Assert
        expect([first, second, third]).toEqual([5, 2, 0]);
        expect(await value()).toBe(7);
      });

      it("grants nothing for nothing wanted or a zero limit", async () => {
        expect(await stores.counters.reserve(KEY, 0, 5)).toBe(0);
        expect(await stores.counters.reserve(KEY, 3, 0)).toBe(0);
        expect(await value()).toBe(0);
      });

      it("never exceeds the maximum under 50 concurrent reservations", async () => {
        // Arrange
        const max = 20;
        const wanted = Array.from({ length: 50 }, (_, i) => 1 + (i % 3));

        // Act
        const granted = await Promise.all(wanted.map((units) => stores.counters.reserve(KEY, units, max)));

        // Assert
        const total = granted.reduce((sum, units) => sum + units, 0);
        expect(total).toBeLessThanOrEqual(max);
        expect(total).toBeGreaterThan(0);
        granted.forEach((units, i) => expect(units).toBeLessThanOrEqual(wanted[i]!));
        // The counter holds exactly what was granted: no reservation was counted without being granted.
        expect(await value()).toBe(total);
      });

      it("releases units and floors at zero when more is released than held", async () => {
        // Arrange
        await stores.counters.reserve(KEY, 3, 10);

        // Act
        await stores.counters.release(KEY, 1);
        const afterOne = await value();
        await stores.counters.release(KEY, 5);

        // Assert
        expect(afterOne).toBe(2);
        expect(await value()).toBe(0);
      });

      it("releases nothing on a counter that was never reserved, and ignores zero or negative units", async () => {
        // Act
        await stores.counters.release("limit#owner#nobody", 2);
        await stores.counters.reserve(KEY, 2, 10);
        await stores.counters.release(KEY, 0);
        await stores.counters.release(KEY, -3);

        // Assert
        expect(await value("limit#owner#nobody")).toBe(0);
        expect(await value()).toBe(2);
      });

      it("keeps concurrent releases from going below zero", async () => {
        // Arrange
        await stores.counters.reserve(KEY, 4, 10);

        // Act
        await Promise.all(Array.from({ length: 10 }, () => stores.counters.release(KEY, 1)));

        // Assert
        expect(await value()).toBe(0);
      });

      it("reads absent counters as zero, across more keys than one BatchGetItem takes", async () => {
        // Arrange
        const keys = Array.from({ length: 150 }, (_, i) => `limit#owner#org-${i}`);
        await stores.counters.reserve(keys[0]!, 1, 5);
        await stores.counters.reserve(keys[149]!, 3, 5);

        // Act
        const values = await stores.counters.read(keys);

        // Assert
        expect(values.size).toBe(150);
        expect(values.get(keys[0]!)).toBe(1);
        expect(values.get(keys[149]!)).toBe(3);
        expect([...values.values()].reduce((sum, n) => sum + n, 0)).toBe(4);
      });

      it("recounts only when the counter still holds the observed value", async () => {
        // Arrange
        await stores.counters.reserve(KEY, 3, 10);

        // Act
        const stale = await stores.counters.recount(KEY, 2, 0);
        const current = await stores.counters.recount(KEY, 3, 1);
        const absentObservedZero = await stores.counters.recount("limit#global", 0, 4);
        const absentObservedOne = await stores.counters.recount("limit#owner#x", 1, 4);

        // Assert
        expect([stale, current, absentObservedZero, absentObservedOne]).toEqual([false, true, true, false]);
        expect(await value()).toBe(1);
        expect(await value("limit#global")).toBe(4);
        expect(await value("limit#owner#x")).toBe(0);
      });

      it("loses a recount to a concurrent reservation", async () => {
        // Arrange
        await stores.counters.reserve(KEY, 3, 10);
        const observed = await value();
        await stores.counters.reserve(KEY, 1, 10);

        // Act
        const applied = await stores.counters.recount(KEY, observed, 0);

        // Assert
        expect(applied).toBe(false);
        expect(await value()).toBe(4);
      });
    });

    describe("budget store", () => {
      const budget = budgetRecord;

      it("keeps the newest observation per App, whatever order the writes arrive in", async () => {
        // Arrange
        const older = budget({ remaining: 4500, observedAt: "2026-11-23T10:00:00.000Z" });
        const newer = budget({ remaining: 300, observedAt: "2026-11-23T10:00:05.000Z" });

        // Act
        await stores.budgets.save([newer]);
        await stores.budgets.save([older]);

        // Assert
        expect(await stores.budgets.load([1234])).toEqual([newer]);
      });

      it("replaces an observation with a newer one", async () => {
        // Arrange
        await stores.budgets.save([budget({ remaining: 4500 })]);
        const newer = budget({ remaining: 10, observedAt: "2026-11-23T10:01:00.000Z" });

        // Act
        await stores.budgets.save([newer]);

        // Assert
        expect(await stores.budgets.load([1234])).toEqual([newer]);
      });

      it("keeps Apps apart and loads only the Apps asked for", async () => {
        // Arrange
        const first = budget({ appId: 1 });
        const second = budget({ appId: 2, remaining: 12 });
        await stores.budgets.save([first, second, budget({ appId: 3 })]);

        // Act
        const loaded = await stores.budgets.load([1, 2, 99]);

        // Assert
        expect(loaded.sort((a, b) => a.appId - b.appId)).toEqual([first, second]);
        expect(await stores.budgets.load([])).toEqual([]);
        expect(budgetKey(1)).toBe("budget#1");
      });
    });
  });
}
