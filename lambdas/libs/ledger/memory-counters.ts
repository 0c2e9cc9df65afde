import { MemoryLedgerTable } from "./memory-store.js";
import type { BudgetStore, LimitCounters } from "./port.js";
import { budgetKey } from "./types.js";
import type { BudgetRecord } from "./types.js";

/**
 * Limit counters in memory, in the same table as the memory ledger (its snapshot reads them). Each
 * operation checks and writes in one synchronous step: the limit holds under concurrency, as the
 * DynamoDB store's conditional ADD makes it hold there.
 */
export function memoryLimitCounters(table: MemoryLedgerTable = new MemoryLedgerTable()): LimitCounters {
  const value = (key: string): number | undefined => {
    const inUse = table.items.get(key)?.inUse;
    return inUse === undefined ? undefined : Number(inUse);
  };
  const write = (key: string, inUse: number): void => {
    table.items.set(key, { ...(table.items.get(key) ?? { pk: key }), inUse });
  };
  return {
    async reserve(key, wanted, max) {
      const granted = Math.max(0, Math.min(wanted, max, max - (value(key) ?? 0)));
      if (granted > 0) write(key, (value(key) ?? 0) + granted);
      return granted;
    },

    async release(key, units) {
      const held = value(key);
      if (units <= 0 || held === undefined || held <= 0) return;
      // Fewer units than released (drift after a crash): floor at zero rather than go negative.
      write(key, Math.max(0, held - units));
    },

    async read(keys) {
      return new Map(keys.map((key) => [key, value(key) ?? 0]));
    },

    async recount(key, observed, actual) {
      if ((value(key) ?? 0) !== observed || (observed !== 0 && value(key) === undefined)) return false;
      write(key, actual);
      return true;
    },
  };
}

/** The GitHub budget records in memory: the newest observation per App wins. */
export function memoryBudgetStore(table: MemoryLedgerTable = new MemoryLedgerTable()): BudgetStore {
  return {
    async save(records) {
      for (const record of records) {
        const key = budgetKey(record.appId);
        const stored = table.items.get(key);
        if (stored === undefined || String(stored.observedAt) < record.observedAt) table.items.set(key, { pk: key, ...record });
      }
    },

    async load(appIds) {
      return appIds.flatMap((appId) => {
        const stored = table.items.get(budgetKey(appId));
        if (stored === undefined) return [];
        const { appId: id, installationId, remaining, limit, resetAt, observedAt } = stored as unknown as BudgetRecord;
        return [{ appId: id, installationId, remaining, limit, resetAt, observedAt }];
      });
    },
  };
}
