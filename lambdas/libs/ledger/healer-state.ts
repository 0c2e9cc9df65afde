import type { MemoryLedgerTable } from "./memory-store.js";

/** Ledger key of the healer's position in the App's delivery log. */
export const HEALER_CURSOR_KEY = "healer#cursor";

/** Ledger key of the claim that one delivery attempt (of event `guid`) was asked to be redelivered. */
export function redeliveryKey(guid: string, deliveryId: number): string {
  return `redelivery#${guid}#${deliveryId}`;
}

/**
 * Where the webhook healer is in the App's delivery log (newest first). `mark`: every delivery at or
 * after it was examined. `resume`: a scan stopped by its call budget, continued next run from `cursor`
 * down to `until`; `newest` becomes the mark once it is done.
 */
export interface DeliveryCursor {
  readonly mark?: string;
  readonly resume?: { readonly cursor: string; readonly until: string; readonly newest: string };
}

/** A repository that had a job in the ledger recently, with the installation that served it. */
export interface RecentRepository {
  readonly repository: string;
  readonly installationId: number;
  readonly lastSeenAt: string;
}

/** The webhook healer's state, in the job ledger's table (lambdas/reconcile/heal.ts). */
export interface HealerState {
  loadCursor(): Promise<DeliveryCursor>;
  saveCursor(cursor: DeliveryCursor, now: Date): Promise<void>;
  /**
   * One conditional write per delivery attempt: true for exactly one caller until `expiresAt` (GitHub's
   * redelivery horizon), so no delivery is redelivered twice by successive or concurrent runs.
   */
  claimRedelivery(guid: string, deliveryId: number, now: Date, expiresAt: Date): Promise<boolean>;
  /** Repositories of jobs received at or after `since`, most recently seen first. */
  recentRepositories(since: Date): Promise<RecentRepository[]>;
}

/** Keeps the newest sighting per repository, newest first. Pure. */
export function newestPerRepository(jobs: readonly Readonly<Record<string, unknown>>[], since: Date): RecentRepository[] {
  const newest = new Map<string, RecentRepository>();
  for (const job of jobs) {
    if (typeof job.repository !== "string" || typeof job.receivedAt !== "string") continue;
    const installationId = Number(job.installationId);
    if (!Number.isFinite(installationId) || Date.parse(job.receivedAt) < since.getTime()) continue;
    const seen = newest.get(job.repository);
    if (seen === undefined || seen.lastSeenAt < job.receivedAt) newest.set(job.repository, { repository: job.repository, installationId, lastSeenAt: job.receivedAt });
  }
  return [...newest.values()].sort((a, b) => b.lastSeenAt.localeCompare(a.lastSeenAt) || a.repository.localeCompare(b.repository));
}

/** The healer's state in the memory ledger table (tests and the fault world's unit doubles). */
export function memoryHealerState(table: MemoryLedgerTable): HealerState {
  return {
    async loadCursor() {
      const item = table.items.get(HEALER_CURSOR_KEY);
      return (item?.cursor as DeliveryCursor | undefined) ?? {};
    },
    async saveCursor(cursor, now) {
      table.items.set(HEALER_CURSOR_KEY, { pk: HEALER_CURSOR_KEY, cursor: structuredClone(cursor), updatedAt: now.toISOString() });
    },
    async claimRedelivery(guid, deliveryId, now, expiresAt) {
      const key = redeliveryKey(guid, deliveryId);
      const held = table.items.get(key);
      if (held !== undefined && Number(held.expiration) * 1000 > now.getTime()) return false;
      table.items.set(key, { pk: key, deliveryId, claimedAt: now.toISOString(), expiration: Math.floor(expiresAt.getTime() / 1000) });
      return true;
    },
    async recentRepositories(since) {
      return newestPerRepository([...table.items.values()].filter((item) => item.pk.startsWith("job#")), since);
    },
  };
}
