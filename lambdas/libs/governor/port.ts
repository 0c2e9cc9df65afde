import type { BucketSettings } from "./bucket.js";

/** What a request for write tokens got. */
export interface WriteGrant {
  /** Tokens taken (0..wanted): that many GitHub writes may be made now. */
  readonly granted: number;
  /** Epoch ms at which the next token is due (now when some are left). */
  readonly nextTokenAt: number;
}

/**
 * The GitHub write governor (docs/performance.md, "GitHub write governor"): one token bucket per App,
 * shared by every scale-up execution environment, so the fleet together stays under GitHub's
 * secondary rate limits. Two stores implement it: DynamoDB (an item per App in the ledger table,
 * dynamodb-store.ts) and memory (memory-store.ts); one contract suite runs against both
 * (test/lambdas/libs/governor/governor-contract.ts).
 */
export interface WriteGovernor {
  /** Takes up to `wanted` tokens of `appId`'s bucket at `now`. */
  take(appId: number, wanted: number, now: number): Promise<WriteGrant>;
  /**
   * Lines `count` jobs without a token up behind every job already waiting for `appId`'s tokens, and
   * resolves to the epoch ms of the first one's turn (the others follow one token interval apart), never
   * before `earliest`. The line is one more number in the bucket item (`lineEndsAt`), so a backlog of
   * deferred jobs comes back spread at the bucket's rate instead of all at the next token.
   */
  lineUp(appId: number, count: number, now: number, earliest: number): Promise<number>;
  /** GitHub asked to wait (Retry-After, secondary limit): no token before `until`, then a refill from empty. */
  blockUntil(appId: number, until: number): Promise<void>;
  /** The bucket settings (the same for every App). */
  readonly settings: BucketSettings;
}

/** Ledger key of an App's write bucket. */
export function governorKey(appId: number): string {
  return `governor#${appId}`;
}
