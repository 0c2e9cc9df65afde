/**
 * GitHub's "wait" answers seen by this execution environment, for the shared write governor
 * (lambdas/libs/governor): a 403 or 429 with `retry-after`, a secondary-limit message (GitHub asks for
 * at least a minute then), or an exhausted primary budget (`x-ratelimit-remaining: 0`, until
 * `x-ratelimit-reset`). Kept per App; scale-up drains them after each batch into the App's bucket.
 */
export interface WriteBlock {
  readonly appId: number;
  /** Epoch ms before which GitHub asked for no more requests. */
  readonly until: number;
}

/** GitHub's documented advice when a secondary limit answer carries no `retry-after`. */
export const SECONDARY_LIMIT_DEFAULT_WAIT_SECONDS = 60;

const blocks = new Map<number, number>();

/** The wait a failed answer asks for, in epoch ms, or undefined when it asks for none. */
export function waitAskedFor(status: number | undefined, headers: Record<string, unknown>, message: string, now: number): number | undefined {
  if (status !== 403 && status !== 429) return undefined;
  const retryAfter = Number(headers["retry-after"]);
  if (headers["retry-after"] !== undefined && Number.isFinite(retryAfter)) return now + retryAfter * 1000;
  if (Number(headers["x-ratelimit-remaining"]) === 0 && Number.isFinite(Number(headers["x-ratelimit-reset"]))) return Number(headers["x-ratelimit-reset"]) * 1000;
  if (/secondary rate limit/i.test(message)) return now + SECONDARY_LIMIT_DEFAULT_WAIT_SECONDS * 1000;
  return undefined;
}

/** Records the wait a failed request of `appId` asks for (the later one wins). */
export function observeWriteBlock(appId: number, error: unknown): void {
  const failure = error as { status?: number; message?: string; response?: { headers?: Record<string, unknown> } };
  const until = waitAskedFor(failure.status, failure.response?.headers ?? {}, String(failure.message ?? ""), Date.now());
  if (until !== undefined && until > (blocks.get(appId) ?? 0)) blocks.set(appId, until);
}

/** The waits recorded since the last call, then forgets them. */
export function drainWriteBlocks(): WriteBlock[] {
  const drained = [...blocks].map(([appId, until]) => ({ appId, until }));
  blocks.clear();
  return drained;
}
