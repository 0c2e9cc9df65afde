import type { BudgetObservation } from "../shared/index.js";
import type { AppBudget } from "./plan.js";

type Observed = Pick<BudgetObservation, "appId" | "remaining" | "resetAt" | "observedAt">;

/**
 * What is known of each App's budget at `now`: the newer of the shared record and this environment's
 * own observation; a budget whose reset time has passed is full again (unknown).
 */
export function appBudgets(appIds: readonly number[], stored: readonly Observed[], observed: readonly Observed[], now: Date): AppBudget[] {
  const known = new Map<number, Observed>();
  for (const record of [...stored, ...observed]) {
    const current = known.get(record.appId);
    if (current === undefined || current.observedAt < record.observedAt) known.set(record.appId, record);
  }
  return appIds.map((appId) => {
    const seen = known.get(appId);
    const fresh = seen !== undefined && seen.resetAt > now.getTime() / 1000;
    return { appId, remaining: fresh ? seen.remaining : undefined, resetAt: fresh ? seen.resetAt : undefined };
  });
}

/**
 * How far above the reserve (`GITHUB_MIN_REMAINING_REQUESTS`) an App's budget must be for an
 * environment to keep its observation to itself. Scale-up spends at most one request per runner, the
 * write governor lets at most 177.5 JIT POSTs a minute through per App (docs/performance.md), and every
 * environment that calls GitHub sees the true figure in the answer: 1,000 requests are more than the
 * fleet can spend between an observation and the next batch's.
 */
export const BUDGET_SHARE_HEADROOM = 1_000;

/**
 * Whether an App's budget observation is worth a write for the other environments, given the record
 * they would read now (`stored`, absent or expired: they treat the budget as full). Only a figure that
 * can change their decision is shared: one near the reserve or in it, or one that corrects a stored
 * record near it. A budget far above the reserve leads them to the same decision as no record at all:
 * assign runners (scale-up's `assignApps`).
 */
export function budgetWorthSharing(
  observed: Pick<BudgetObservation, "remaining" | "resetAt" | "observedAt">,
  stored: Pick<BudgetObservation, "remaining" | "resetAt" | "observedAt"> | undefined,
  minRemaining: number,
  nowSeconds: number,
): boolean {
  const near = (remaining: number): boolean => remaining <= minRemaining + BUDGET_SHARE_HEADROOM;
  if (near(observed.remaining)) return true;
  const storedLive = stored !== undefined && stored.resetAt > nowSeconds;
  return storedLive && near(stored.remaining) && stored.observedAt < observed.observedAt;
}
