/**
 * The GitHub write bucket as pure arithmetic (no I/O), shared by both stores.
 *
 * A token bucket of `burst` tokens refilled at `perMinute`, kept as ONE number: `fullAt`, the epoch ms
 * at which the bucket is full again. The level at `now` is `burst - max(0, fullAt - now) / interval`
 * tokens, so the refill is computed from the stored time alone (the "virtual scheduling" form of the
 * token bucket, GCRA): taking n tokens moves `fullAt` to `max(fullAt, now) + n * interval`, which a
 * single conditional UpdateItem can do, and a Retry-After moves it past the wait so that the bucket
 * is empty when the wait ends. Written by hand: the rate-limit libraries on npm keep their state in
 * process memory or Redis, not in a DynamoDB item shared by Lambda execution environments.
 */

export interface BucketSettings {
  /** Tokens added per minute (one token = one GitHub write). */
  readonly perMinute: number;
  /** Most tokens the bucket holds: the largest batch granted at once after a quiet period. */
  readonly burst: number;
}

/** Milliseconds between two tokens. */
export function interval(settings: BucketSettings): number {
  return 60_000 / settings.perMinute;
}

/** Whole tokens in the bucket at `now` (absent item: full). */
export function level(fullAt: number | undefined, now: number, settings: BucketSettings): number {
  if (fullAt === undefined || fullAt <= now) return settings.burst;
  return Math.max(0, Math.floor(settings.burst - (fullAt - now) / interval(settings) + 1e-9));
}

/** Tokens granted for `wanted` at `now`, and the new `fullAt` (unchanged when none is granted). */
export function grant(fullAt: number | undefined, now: number, wanted: number, settings: BucketSettings): { granted: number; fullAt: number | undefined } {
  const granted = Math.max(0, Math.min(Math.floor(wanted), level(fullAt, now, settings)));
  if (granted === 0) return { granted, fullAt };
  return { granted, fullAt: Math.max(fullAt ?? now, now) + granted * interval(settings) };
}

/** Epoch ms at which the bucket holds `count` tokens again (now, when it already does). */
export function tokensAt(fullAt: number | undefined, now: number, count: number, settings: BucketSettings): number {
  if (fullAt === undefined || fullAt <= now) return now;
  const wanted = Math.min(count, settings.burst);
  return Math.max(now, Math.ceil(fullAt - (settings.burst - wanted) * interval(settings)));
}

/** The `fullAt` after GitHub asked to wait until `until`: the bucket is empty then and refills from there. */
export function blockedFullAt(until: number, settings: BucketSettings): number {
  return until + settings.burst * interval(settings);
}
