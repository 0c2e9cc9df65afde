/**
 * The documented limits the world enforces (docs/performance.md, "A truthful world"), as small models
 * the doubles consult. The figures and their sources are in /work/shared/FACTS.md style in that doc.
 */

/**
 * A token bucket as AWS documents EC2's (Amazon EC2 Developer Guide, "Request throttling for the
 * Amazon EC2 API"): `capacity` tokens, `refillPerSecond` added every second up to the capacity; a call
 * that needs more tokens than the bucket holds is throttled and takes none.
 */
export class TokenBucket {
  private tokens: number;
  /** When the tokens were counted; the first call starts the clock (the world sets its own). */
  private at: number | undefined;

  constructor(
    readonly capacity: number,
    readonly refillPerSecond: number,
  ) {
    this.tokens = capacity;
  }

  /** Takes `n` tokens at epoch ms `at` if the bucket holds them; false (nothing taken) otherwise. */
  take(n: number, at: number): boolean {
    this.at ??= at;
    if (at > this.at) {
      this.tokens = Math.min(this.capacity, this.tokens + ((at - this.at) / 1000) * this.refillPerSecond);
      this.at = at;
    }
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }
}

/** EC2's buckets for the launch path, per account and Region. */
export const EC2_LIMITS = {
  /**
   * CreateFleet's request bucket: 50 requests, 5 a second. An ASSUMPTION (docs/performance.md): the
   * guide gives each action its own request bucket, and this figure was not checked against its table.
   */
  createFleetRequests: { capacity: 50, refillPerSecond: 5 },
  /** The RunInstances resource bucket (1,000 instances, 2 a second), assumed shared by instant fleets. */
  instances: { capacity: 1000, refillPerSecond: 2 },
} as const;

/**
 * GitHub's documented secondary limits ("Rate limits for the REST API", "About secondary rate limits").
 * Content-creation limits (80 a minute, 500 an hour) are assumed NOT to apply to generate-jitconfig: it
 * creates no content visible on GitHub (issues, comments, pull requests); at 500 an hour no App could
 * register the documented 180 JIT runners a minute the points limit allows.
 */
export const GITHUB_SECONDARY_LIMITS = {
  pointsPerMinutePerEndpoint: 900,
  /** Most GET/HEAD/OPTIONS cost 1 point, most POST/PATCH/PUT/DELETE 5. */
  pointsOf: (method: string): number => (["GET", "HEAD", "OPTIONS"].includes(method) ? 1 : 5),
  concurrentRequests: 100,
  /** GitHub asks for at least a minute's wait after a secondary-limit answer. */
  retryAfterSeconds: 60,
} as const;

/**
 * Points per (identity, endpoint) over the last 60 s: an identity is an App (through its installation
 * token or JWT), since GitHub counts secondary limits per user or App.
 */
export class SecondaryLimits {
  private readonly spent = new Map<string, Array<{ at: number; points: number }>>();
  private inFlight = new Map<string, number>();

  /** Whether a request of `identity` to `endpoint` at `at` stays within the points limit; counts it when it does. */
  admit(identity: string, endpoint: string, method: string, at: number): boolean {
    const key = `${identity} ${endpoint}`;
    const window = (this.spent.get(key) ?? []).filter((entry) => entry.at > at - 60_000);
    const points = GITHUB_SECONDARY_LIMITS.pointsOf(method);
    const used = window.reduce((sum, entry) => sum + entry.points, 0);
    if (used + points > GITHUB_SECONDARY_LIMITS.pointsPerMinutePerEndpoint) {
      this.spent.set(key, window);
      return false;
    }
    window.push({ at, points });
    this.spent.set(key, window);
    return true;
  }

  /** A request of `identity` starts; false when it would be one too many at once. */
  begin(identity: string): boolean {
    const now = this.inFlight.get(identity) ?? 0;
    if (now >= GITHUB_SECONDARY_LIMITS.concurrentRequests) return false;
    this.inFlight.set(identity, now + 1);
    return true;
  }

  end(identity: string): void {
    this.inFlight.set(identity, Math.max(0, (this.inFlight.get(identity) ?? 0) - 1));
  }
}
