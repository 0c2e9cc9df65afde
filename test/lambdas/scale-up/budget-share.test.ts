import { describe, expect, it } from "vitest";
import { BUDGET_SHARE_HEADROOM, appBudgets, budgetWorthSharing } from "../../../lambdas/scale-up/budget-share.js";

const NOW = new Date("2026-11-23T10:00:00.000Z");
const NOW_S = NOW.getTime() / 1000;
const MIN = 200;
const seen = (remaining: number, observedAt = "2026-11-23T10:00:00.000Z", resetAt = NOW_S + 600) => ({ appId: 1, remaining, resetAt, observedAt });

describe("budgetWorthSharing", () => {
  it("shares an observation near the reserve or in it, and keeps one far above it to itself", () => {
    expect(budgetWorthSharing(seen(MIN + BUDGET_SHARE_HEADROOM), undefined, MIN, NOW_S)).toBe(true);
    expect(budgetWorthSharing(seen(MIN - 1), undefined, MIN, NOW_S)).toBe(true);
    expect(budgetWorthSharing(seen(MIN + BUDGET_SHARE_HEADROOM + 1), undefined, MIN, NOW_S)).toBe(false);
  });

  it("corrects an older live shared record near the reserve, and leaves an expired or newer one", () => {
    const far = seen(4000, "2026-11-23T10:00:05.000Z");
    expect(budgetWorthSharing(far, seen(MIN + 10, "2026-11-23T10:00:00.000Z"), MIN, NOW_S)).toBe(true);
    expect(budgetWorthSharing(far, seen(MIN + 10, "2026-11-23T10:00:00.000Z", NOW_S), MIN, NOW_S)).toBe(false);
    expect(budgetWorthSharing(far, seen(MIN + 10, "2026-11-23T10:00:09.000Z"), MIN, NOW_S)).toBe(false);
    expect(budgetWorthSharing(far, seen(MIN + BUDGET_SHARE_HEADROOM + 1, "2026-11-23T10:00:00.000Z"), MIN, NOW_S)).toBe(false);
  });

  it("does not correct a shared record observed at the same instant: the store keeps only newer figures, so that write would be refused", () => {
    const far = seen(4000, "2026-11-23T10:00:05.000Z");
    expect(budgetWorthSharing(far, seen(MIN + 10, "2026-11-23T10:00:05.000Z"), MIN, NOW_S)).toBe(false);
  });
});

describe("appBudgets", () => {
  it("takes the newer of the shared record and the environment's own observation, and forgets a budget past its reset", () => {
    const stored = [
      { appId: 1, remaining: 900, resetAt: NOW_S + 60, observedAt: "2026-11-23T09:59:00.000Z" },
      { appId: 2, remaining: 800, resetAt: NOW_S + 60, observedAt: "2026-11-23T09:59:30.000Z" },
      { appId: 3, remaining: 10, resetAt: NOW_S, observedAt: "2026-11-23T09:59:30.000Z" },
    ];
    const observed = [
      { appId: 1, remaining: 700, resetAt: NOW_S + 60, observedAt: "2026-11-23T09:59:10.000Z" },
      { appId: 2, remaining: 850, resetAt: NOW_S + 60, observedAt: "2026-11-23T09:59:00.000Z" },
    ];
    expect(appBudgets([1, 2, 3, 4], stored, observed, NOW)).toEqual([
      { appId: 1, remaining: 700, resetAt: NOW_S + 60 },
      { appId: 2, remaining: 800, resetAt: NOW_S + 60 },
      { appId: 3, remaining: undefined, resetAt: undefined },
      { appId: 4, remaining: undefined, resetAt: undefined },
    ]);
  });
});
