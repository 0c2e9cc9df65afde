import { blockedFullAt, reserve } from "./bucket.js";
import type { BucketSettings } from "./bucket.js";
import { governorKey } from "./port.js";
import type { KeptTurn, WriteGovernor } from "./port.js";

/**
 * The governor in memory (tests and the handler tests' doubles). Each call reads and writes in one
 * synchronous step, so concurrent callers never share a token, as the DynamoDB store's conditional
 * update makes it hold there.
 */
export function memoryWriteGovernor(settings: BucketSettings, items: Map<string, number> = new Map(), kept: Map<string, KeptTurn> = new Map()): WriteGovernor {
  return {
    settings,
    async reserve(appId, count, now) {
      const key = governorKey(appId);
      const result = reserve(items.get(key), now, count, settings);
      if (result.turns.length > 0) items.set(key, result.fullAt);
      return result.turns;
    },
    async blockUntil(appId, until) {
      const key = governorKey(appId);
      const fullAt = blockedFullAt(until, settings);
      if ((items.get(key) ?? 0) < fullAt) items.set(key, fullAt);
    },
    async keepTurns(turns) {
      for (const [messageId, turn] of turns) kept.set(messageId, { ...turn });
    },
    async keptTurns(messageIds) {
      return new Map(messageIds.flatMap((id) => (kept.has(id) ? [[id, kept.get(id) as KeptTurn] as const] : [])));
    },
  };
}
