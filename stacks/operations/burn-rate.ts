/**
 * Multi-window, multi-burn-rate alerting, as in Google's SRE Workbook, chapter 5 ("Alerting on SLOs"),
 * as plain numbers: no cdktf here, so the math has unit tests of its own (test/stacks/operations/).
 *
 * An SLO with objective O (say 99.5 %) leaves an error budget of 1 - O (0.5 % of events may be bad).
 * Burning at rate F means spending the budget F times faster than evenly over the SLO period (30 days):
 * at 14.4x a 30-day budget lasts 50 hours, and one hour of it spends 2 %. An alert fires when the bad
 * ratio of a window exceeds F x (1 - O), in the long window (it has burnt enough budget to matter)
 * AND in the short window (it is still burning, so the alert resets soon after a recovery).
 */

/** One severity: both windows must show a bad ratio above `factor` x the error budget. */
export interface BurnRateWindow {
  /** `page` (fast burn, someone acts now) or `ticket` (slow burn, someone acts this week). */
  readonly severity: "page" | "ticket";
  readonly factor: number;
  readonly longSeconds: number;
  readonly shortSeconds: number;
  /** Share of a 30-day budget spent in the long window at exactly `factor`. */
  readonly budgetSpent: number;
}

/** The SLO period the factors are chosen for. */
export const SLO_PERIOD_SECONDS = 30 * 24 * 3600;

/** The Workbook's recommended pair: 2 % of the budget in 1 h pages, 5 % in 6 h opens a ticket. */
export const BURN_RATE_WINDOWS: readonly BurnRateWindow[] = [
  { severity: "page", factor: 14.4, longSeconds: 3600, shortSeconds: 300, budgetSpent: (14.4 * 3600) / SLO_PERIOD_SECONDS },
  { severity: "ticket", factor: 6, longSeconds: 6 * 3600, shortSeconds: 1800, budgetSpent: (6 * 6 * 3600) / SLO_PERIOD_SECONDS },
];

/** The error budget of an objective in percent, as a fraction: 99.5 -> 0.005. */
export function errorBudget(objectivePercent: number): number {
  if (!(objectivePercent > 0 && objectivePercent < 100)) throw new RangeError(`an SLO objective must be above 0 and below 100 percent, got ${objectivePercent}`);
  // Rounded to 12 places: 1 - 0.995 is 0.0050000000000000044 in binary floating point.
  return Number((1 - objectivePercent / 100).toFixed(12));
}

/** The highest burn rate an objective allows: the bad ratio cannot exceed 1, so 1 / (1 - O). */
export function maxBurnRate(objectivePercent: number): number {
  return 1 / errorBudget(objectivePercent);
}

/**
 * The bad-ratio threshold of a burn rate: `factor` x (1 - O), capped at 1.
 *
 * Past the cap (objectives below 1 - 1/14.4 = 93.06 % for the page, 1 - 1/6 = 83.3 % for the ticket)
 * the burn rate is unreachable: even a window of only bad events burns slower than `factor`. Rather
 * than an alarm that can never fire, the threshold is capped at 1: the alarm then fires when every
 * event of both windows is bad (the bad ratio reaches 1), which is the fastest burn that objective
 * can show. Alarms compare with >= so that 1 is reachable.
 */
export function burnRateThreshold(factor: number, objectivePercent: number): number {
  if (!(factor > 0)) throw new RangeError(`a burn rate factor must be positive, got ${factor}`);
  return Math.min(Number((factor * errorBudget(objectivePercent)).toFixed(12)), 1);
}

/** Whether `factor` is capped for this objective (see {@link burnRateThreshold}). */
export function isCapped(factor: number, objectivePercent: number): boolean {
  return factor * errorBudget(objectivePercent) > 1;
}
