import { KEPT_INSTANCE_REUSE_MARGIN_SECONDS, SCALE_UP_FINISH_MARGIN_SECONDS, SCALE_UP_JIT_CALL_BUDGET_SECONDS } from "../../contracts/scale-up.js";
import type { LedgerEvent } from "../libs/ledger/types.js";

/**
 * Whether a JIT configuration POST may start with `remainingMs` of the invocation left: the call's
 * budget plus the margin for the writes after it. A call that cannot finish would leave an instance
 * no job names when Lambda ends the invocation (a slow GitHub then launches instances without end);
 * not starting it keeps the instance for the next attempt instead (docs/reliability.md).
 */
export function jitCallFits(remainingMs: number): boolean {
  return remainingMs >= (SCALE_UP_JIT_CALL_BUDGET_SECONDS + SCALE_UP_FINISH_MARGIN_SECONDS) * 1000;
}


/**
 * Whether the claim just taken replaced one that ended with nothing recorded after it (its invocation
 * died: a crash, or a GitHub slower than the whole function timeout): the job's events end with two
 * claims in a row. Such a job records its instance on the claim before the JIT call (one more write),
 * so that dying again leaves the instance for the next takeover to reuse rather than launch another;
 * other jobs save the write.
 */
export function claimFollowsDeadAttempt(events: readonly LedgerEvent[] | undefined): boolean {
  const [previous, latest] = (events ?? []).slice(-2);
  return previous?.what === "claimed" && latest?.what === "claimed";
}

/** A fresh instance's JIT deadline: the call's budget less the second before the retry plugin's first retry. */
export const BASE_JIT_DEADLINE_MS = (SCALE_UP_JIT_CALL_BUDGET_SECONDS - 1) * 1000;

/**
 * The deadline of a JIT POST (its retries included) after `earlierAttempts` attempts on the same
 * kept instance. GitHub ends its own processing at 10 s (docs/reliability.md, "A slow GitHub"), so an
 * answer slower than the base deadline is rare and a fresh instance gets only that; each attempt that
 * ran out of time doubles it, up to the invocation's time left less the margin for the writes after
 * the answer, so that a GitHub answering slowly but surely configures the instance on a later attempt.
 * Never below the base: a call starts only when the base and the margin fit (`jitCallFits`).
 */
export function jitCallDeadlineMs(earlierAttempts: number, remainingMs: number | undefined): number {
  const grown = BASE_JIT_DEADLINE_MS * 2 ** Math.min(Math.max(0, earlierAttempts), 8);
  if (remainingMs === undefined) return grown;
  return Math.max(BASE_JIT_DEADLINE_MS, Math.min(grown, remainingMs - SCALE_UP_FINISH_MARGIN_SECONDS * 1000));
}

/**
 * Attempts made on the instance `instanceId` before the current claim: the claims recorded since it
 * was launched (the one that launched it counts, the current one does not). Each ended without a
 * configuration: its JIT call ran out of time, timed out or met a stale registration.
 */
export function jitAttemptsBefore(events: readonly LedgerEvent[] | undefined, instanceId: string): number {
  const list = events ?? [];
  const launchedAt = list.findIndex((event) => event.what === "instance-launched" && event.detail === instanceId);
  if (launchedAt < 0) return 0;
  return list.slice(launchedAt).filter((event) => event.what === "claimed").length;
}

/**
 * Whether a kept instance may still get a JIT configuration: its `instance-launched` event is younger
 * than the runner's boot timeout less KEPT_INSTANCE_REUSE_MARGIN_SECONDS (the invocation and the
 * runner's pick-up). An older one has ended itself, or will before it reads the configuration: a
 * registration made for it would never be used (issue 15). No launch event for it: not reusable.
 */
export function keptInstanceReusable(events: readonly LedgerEvent[] | undefined, instanceId: string, now: Date, bootTimeoutSeconds: number): boolean {
  const launched = (events ?? []).find((event) => event.what === "instance-launched" && event.detail === instanceId);
  const launchedAt = launched === undefined ? Number.NaN : Date.parse(launched.at);
  if (Number.isNaN(launchedAt)) return false;
  return now.getTime() - launchedAt <= (bootTimeoutSeconds - KEPT_INSTANCE_REUSE_MARGIN_SECONDS) * 1000;
}
