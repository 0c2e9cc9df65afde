import type { BucketSettings } from "./bucket.js";

/**
 * The GitHub write governor (docs/performance.md, "GitHub write governor"): one token bucket per App,
 * shared by every scale-up execution environment, so the fleet together stays under GitHub's
 * secondary rate limits. Two stores implement it: DynamoDB (an item per App in the ledger table,
 * dynamodb-store.ts) and memory (memory-store.ts); one contract suite runs against both
 * (test/lambdas/libs/governor/governor-contract.ts).
 */
export interface WriteGovernor {
  /**
   * Reserves `count` tokens of `appId`'s bucket at `now` and resolves to each one's turn (epoch ms,
   * ascending; `now` for those the bucket holds already). A token is never handed out twice: a job
   * whose turn is later waits on the queue and uses its reserved token when it comes back (bucket.ts),
   * so a backlog is served in line at the bucket's rate, newcomers behind it.
   */
  reserve(appId: number, count: number, now: number): Promise<number[]>;
  /** GitHub asked to wait (Retry-After, secondary limit): no token before `until`, then a refill from empty. */
  blockUntil(appId: number, until: number): Promise<void>;
  /** The bucket settings (the same for every App). */
  readonly settings: BucketSettings;
}

/** Ledger key of an App's write bucket. */
export function governorKey(appId: number): string {
  return `governor#${appId}`;
}
