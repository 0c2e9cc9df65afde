/**
 * The GitHub write bucket as pure arithmetic (no I/O), shared by both stores.
 *
 * A token bucket of `burst` tokens refilled at `perMinute`, kept as ONE number: `fullAt`, the epoch ms
 * at which the bucket is full again (the "virtual scheduling" form of the token bucket, GCRA). Tokens
 * are never refused, they are **reserved**: taking n moves `fullAt` to `max(fullAt, now) + n * interval`
 * and gives each token its turn, the moment the bucket would hold it. Turns already passed are used at
 * once; later ones are the job's place in the App's line, kept by the job until it comes back, so
 * newcomers queue behind the line instead of taking what it counted on. A Retry-After moves `fullAt`
 * past the wait so that the bucket is empty when the wait ends. Written by hand: the rate-limit
 * libraries on npm keep their state in process memory or Redis, not in a DynamoDB item shared by
 * Lambda execution environments.
 */

export interface BucketSettings {
  /** Tokens added per minute (one token = one GitHub write). */
  readonly perMinute: number;
  /** Most tokens the bucket holds: the largest batch granted at once after a quiet period. */
  readonly burst: number;
}

/**
 * GitHub's secondary limit for one REST endpoint: 900 points a minute, 5 points a POST (GitHub Docs,
 * "Rate limits for the REST API", "Calculating points for the secondary rate limit").
 */
export const GITHUB_WRITES_PER_MINUTE_LIMIT = 900 / 5;

/** Milliseconds between two tokens. */
export function interval(settings: BucketSettings): number {
  return 60_000 / settings.perMinute;
}

/**
 * How late a reserved turn may still be used. A job rarely comes back exactly at its turn (the queue's
 * visibility is in whole seconds, the event source mapping polls); a token used up to `grace` late
 * acts as if the bucket held `grace / interval` more, so in any 60 s the fleet sends at most
 * `burst + perMinute * (60 s + grace) / 60 s` writes. The grace takes three quarters of the room the
 * settings leave under GitHub's 180 and keeps the rest as margin: 6 s at the defaults (150 a minute, a
 * burst of 10: at most 175 writes in any 60 s), 2.8 s at the largest inputs (160 and 10: at most 177.5).
 * A job back later than that reserves a new turn, at the end of the line: younger jobs launch before
 * it, and their runners may take it (GitHub hands a job to any matching runner), which leaves the job
 * they were launched for to the reconciler. Hence a grace as long as the limit allows.
 */
export function turnGraceMs(settings: BucketSettings): number {
  const room = Math.max(0, GITHUB_WRITES_PER_MINUTE_LIMIT - settings.perMinute - settings.burst);
  return Math.floor((3 * 60_000 * room) / (4 * settings.perMinute));
}

/**
 * Turns of `count` tokens reserved at `now` from a line that ends at `start` (`max(fullAt, now)`): token
 * k is due when the bucket would hold it, `start + (k + 1 - burst) * interval`, and at once when that
 * has passed.
 */
export function turnsFrom(start: number, now: number, count: number, settings: BucketSettings): number[] {
  const step = interval(settings);
  return Array.from({ length: Math.max(0, Math.floor(count)) }, (_, k) => Math.max(now, Math.ceil(start + (k + 1 - settings.burst) * step)));
}

/** The reservation of `count` tokens at `now` from a bucket full at `fullAt` (absent: full): each token's turn, and the new `fullAt`. */
export function reserve(fullAt: number | undefined, now: number, count: number, settings: BucketSettings): { turns: number[]; fullAt: number } {
  const start = Math.max(fullAt ?? now, now);
  return { turns: turnsFrom(start, now, count, settings), fullAt: start + Math.max(0, Math.floor(count)) * interval(settings) };
}

/** The `fullAt` after GitHub asked to wait until `until`: the bucket is empty then and refills from there. */
export function blockedFullAt(until: number, settings: BucketSettings): number {
  return until + settings.burst * interval(settings);
}
