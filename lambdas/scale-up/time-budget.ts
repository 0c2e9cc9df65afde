import { SCALE_UP_FINISH_MARGIN_SECONDS, SCALE_UP_JIT_CALL_BUDGET_SECONDS } from "../../contracts/scale-up.js";

/**
 * Whether a JIT configuration POST may start with `remainingMs` of the invocation left: the call's
 * budget plus the margin for the writes after it. A call that cannot finish would leave an instance
 * no job names when Lambda ends the invocation (a slow GitHub then launches instances without end);
 * not starting it keeps the instance for the next attempt instead (docs/reliability.md).
 */
export function jitCallFits(remainingMs: number): boolean {
  return remainingMs >= (SCALE_UP_JIT_CALL_BUDGET_SECONDS + SCALE_UP_FINISH_MARGIN_SECONDS) * 1000;
}

