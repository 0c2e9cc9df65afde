import { SCALE_UP_FINISH_MARGIN_SECONDS, SCALE_UP_JIT_CALL_BUDGET_SECONDS } from "../../contracts/scale-up.js";
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
