// The GitHub REST budget each App installation has left, as this execution environment last saw it:
// every client octokit.ts builds reports its answers' headers here; scale-up shares the figures
// (budget-share.ts) and slows down before an installation runs out.

/** The REST budget of one App installation as the last answer reported it (`x-ratelimit-*`). */
export interface BudgetObservation {
  readonly appId: number;
  readonly installationId: number;
  readonly remaining: number;
  readonly limit: number;
  /** Epoch seconds. */
  readonly resetAt: number;
  readonly observedAt: string;
}

const budgets = new Map<string, BudgetObservation>();

/** Keeps the budget an answer's `x-ratelimit-*` headers report, if they are all there. */
export function observeBudget(appId: number, installationId: number, headers: Record<string, unknown>): void {
  const remaining = Number(headers["x-ratelimit-remaining"]);
  const limit = Number(headers["x-ratelimit-limit"]);
  const resetAt = Number(headers["x-ratelimit-reset"]);
  if (![remaining, limit, resetAt].every(Number.isFinite)) return;
  budgets.set(`${appId}#${installationId}`, { appId, installationId, remaining, limit, resetAt, observedAt: new Date().toISOString() });
}

/** Budgets observed in this execution environment, newest per installation. */
export function observedBudgets(): BudgetObservation[] {
  return [...budgets.values()];
}

/** Forgets observed budgets (tests). */
export function clearObservedBudgets(): void {
  budgets.clear();
}
