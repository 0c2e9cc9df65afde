import { describe, expect, it } from "vitest";
import { BURN_RATE_WINDOWS, burnRateThreshold, errorBudget, isCapped, maxBurnRate } from "../../../stacks/operations/burn-rate.js";

describe("burn-rate math (SRE Workbook ch. 5)", () => {
  it("uses 1 h / 5 min at 14.4x to page and 6 h / 30 min at 6x for a ticket", () => {
    expect(BURN_RATE_WINDOWS.map((w) => [w.severity, w.factor, w.longSeconds, w.shortSeconds])).toEqual([
      ["page", 14.4, 3600, 300],
      ["ticket", 6, 21600, 1800],
    ]);
  });

  it("spends 2 % of a 30-day budget in the page's hour and 5 % in the ticket's six hours", () => {
    expect(BURN_RATE_WINDOWS.map((w) => Number(w.budgetSpent.toFixed(4)))).toEqual([0.02, 0.05]);
  });

  it("turns an objective in percent into its error budget", () => {
    expect(errorBudget(99.5)).toBe(0.005);
    expect(errorBudget(90)).toBe(0.1);
    expect(errorBudget(99.9)).toBe(0.001);
  });

  it("sets the bad-ratio threshold to factor x (1 - objective)", () => {
    expect(burnRateThreshold(14.4, 99.5)).toBe(0.072);
    expect(burnRateThreshold(6, 99.5)).toBe(0.03);
    expect(burnRateThreshold(14.4, 99.9)).toBe(0.0144);
    expect(burnRateThreshold(6, 90)).toBe(0.6);
  });

  it("caps the threshold at 1 when the objective cannot burn that fast (90 % at 14.4x)", () => {
    expect(maxBurnRate(90)).toBe(10);
    expect(isCapped(14.4, 90)).toBe(true);
    expect(burnRateThreshold(14.4, 90)).toBe(1);
    expect(isCapped(6, 90)).toBe(false);
    expect(isCapped(14.4, 93.1)).toBe(false);
    expect(isCapped(14.4, 93)).toBe(true);
  });

  it("fails when the objective leaves no budget or the factor is not positive", () => {
    expect(() => errorBudget(100)).toThrow(RangeError);
    expect(() => errorBudget(0)).toThrow(RangeError);
    expect(() => burnRateThreshold(0, 99)).toThrow(RangeError);
  });
});
