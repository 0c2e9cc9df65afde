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
   * so a backlog is served in line at the bucket's rate, newcomers behind it. `lineSeen`: the bucket's
   * `fullAt` as the caller last read it, a hint for how to write (never trusted for the turns).
   */
  reserve(appId: number, count: number, now: number, lineSeen?: number): Promise<number[]>;
  /** GitHub asked to wait (Retry-After, secondary limit): no token before `until`, then a refill from empty. */
  blockUntil(appId: number, until: number): Promise<void>;
  /**
   * Keeps the turns of messages sent back to wait for them (batched writes, one item per message), so
   * that each launches on its own turn when it comes back instead of joining the end of the line.
   */
  keepTurns(turns: ReadonlyMap<string, KeptTurn>): Promise<void>;
  /** The turns kept for these messages (by SQS message id); absent: none kept, or expired. */
  keptTurns(messageIds: readonly string[]): Promise<Map<string, KeptTurn>>;
  /** The bucket settings (the same for every App). */
  readonly settings: BucketSettings;
}

/** A reserved token a waiting message keeps: the App's bucket and the moment the token is due (epoch ms). */
export interface KeptTurn {
  readonly appId: number;
  readonly at: number;
}

/** Ledger key of the turn kept for a waiting message. */
export function keptTurnKey(messageId: string): string {
  return `turn#${messageId}`;
}

/**
 * How long a kept-turn item outlives its turn before the table's TTL removes it: a turn is only used up
 * to the grace after it (bucket.ts, turnGraceMs), so an hour leaves room for any clock and TTL lag.
 */
export const KEPT_TURN_TTL_SECONDS = 60 * 60;

/** Ledger key of an App's write bucket. */
export function governorKey(appId: number): string {
  return `governor#${appId}`;
}
