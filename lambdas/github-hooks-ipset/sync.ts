import { HooksListRefusedError, IpSetLockConflictError, METRICS, childLogger, emitMetric } from "../shared/index.js";
import type { HooksSource } from "./adapters/github.js";
import type { IpSetRef, IpSetStore } from "./adapters/wafv2.js";
import { desiredRanges, diffAddresses } from "./decide.js";

const log = childLogger("github-hooks-ipset");

/** GetIPSet + UpdateIPSet rounds per set before a lock conflict is given up on. */
export const MAX_UPDATE_ATTEMPTS = 3;

export interface SyncDeps {
  readonly hooks: HooksSource;
  readonly store: IpSetStore;
  readonly ipv4: IpSetRef;
  readonly ipv6: IpSetRef;
}

export interface IpSetResult {
  readonly name: string;
  readonly change: "no change" | "update";
  readonly addresses: number;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** GetIPSet + UpdateIPSet rounds it took (lock conflicts retry). */
  readonly attempts: number;
}

export interface SyncSummary {
  readonly ipv4: IpSetResult;
  readonly ipv6: IpSetResult;
}

/**
 * Reads GitHub's webhook source ranges and writes them to the two IP sets of the WAF allowlist.
 * Throws HooksListRefusedError (after logging it and emitting `GitHubHooksListRefused`) when the list
 * must not be written; the sets then keep their ranges, so a broken answer never locks GitHub out.
 */
export async function syncHooksIpSets(deps: SyncDeps): Promise<SyncSummary> {
  const desired = desiredRanges(await deps.hooks.hooks());
  if (desired.kind === "refuse") {
    const error = new HooksListRefusedError(desired.reason, desired.invalid);
    log.error("hooks list refused, IP sets left as they are", { error, reason: desired.reason, invalid: desired.invalid.slice(0, 20) });
    emitMetric(METRICS.gitHubHooksListRefused, 1);
    throw error;
  }
  const ipv4 = await writeRanges(deps.store, deps.ipv4, desired.ipv4);
  const ipv6 = await writeRanges(deps.store, deps.ipv6, desired.ipv6);
  const summary = { ipv4, ipv6 };
  log.info("IP sets synchronised", { summary });
  emitMetric(METRICS.gitHubHooksListRefused, 0);
  emitMetric(METRICS.gitHubHooksIpSetsUpdated, [ipv4, ipv6].filter((r) => r.change === "update").length);
  return summary;
}

/** Get, compare, update with the lock token; on a lock conflict read again, at most MAX_UPDATE_ATTEMPTS times. */
async function writeRanges(store: IpSetStore, ref: IpSetRef, desired: readonly string[]): Promise<IpSetResult> {
  for (let attempt = 1; ; attempt += 1) {
    const read = await store.get(ref);
    const change = diffAddresses(read.addresses, desired);
    if (change.kind === "no change") return { name: ref.name, change: "no change", addresses: desired.length, added: [], removed: [], attempts: attempt };
    try {
      await store.update(ref, read, change.addresses);
      return { name: ref.name, change: "update", addresses: change.addresses.length, added: change.added, removed: change.removed, attempts: attempt };
    } catch (error) {
      if (!(error instanceof IpSetLockConflictError) || attempt >= MAX_UPDATE_ATTEMPTS) throw error;
      log.warn("IP set changed during update, reading it again", { ipSet: ref.name, attempt });
    }
  }
}
