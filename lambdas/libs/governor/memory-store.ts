import { blockedFullAt, grant, interval, tokensAt } from "./bucket.js";
import type { BucketSettings } from "./bucket.js";
import { governorKey } from "./port.js";
import type { WriteGovernor } from "./port.js";

/**
 * The governor in memory (tests and the handler tests' doubles). Each call reads and writes in one
 * synchronous step, so concurrent callers never take more than the bucket holds, as the DynamoDB
 * store's conditional update makes it hold there.
 */
export function memoryWriteGovernor(settings: BucketSettings, items: Map<string, number> = new Map()): WriteGovernor {
  return {
    settings,
    async take(appId, wanted, now) {
      const key = governorKey(appId);
      const result = grant(items.get(key), now, wanted, settings);
      if (result.fullAt !== undefined) items.set(key, result.fullAt);
      return { granted: result.granted, nextTokenAt: tokensAt(items.get(key), now, 1, settings) };
    },
    async lineUp(appId, count, now, earliest) {
      const key = `${governorKey(appId)}#line`;
      const start = Math.max(items.get(key) ?? 0, now, earliest);
      items.set(key, start + count * interval(settings));
      return start;
    },
    async blockUntil(appId, until) {
      const key = governorKey(appId);
      const fullAt = blockedFullAt(until, settings);
      if ((items.get(key) ?? 0) < fullAt) items.set(key, fullAt);
    },
  };
}
