import { describe, expect, it } from "vitest";
import { SCALE_UP_FINISH_MARGIN_SECONDS, SCALE_UP_JIT_CALL_BUDGET_SECONDS, SCALE_UP_TIMEOUT_SECONDS } from "../../../contracts/scale-up.js";
import { jitCallFits } from "../../../lambdas/scale-up/time-budget.js";

const NEEDED_MS = (SCALE_UP_JIT_CALL_BUDGET_SECONDS + SCALE_UP_FINISH_MARGIN_SECONDS) * 1000;

describe("jitCallFits", () => {
  it("starts a JIT call with its budget and the margin after it left", () => {
    expect(jitCallFits(NEEDED_MS)).toBe(true);
    expect(jitCallFits(SCALE_UP_TIMEOUT_SECONDS * 1000)).toBe(true);
  });

  it("refuses a JIT call one millisecond short of its budget and margin", () => {
    expect(jitCallFits(NEEDED_MS - 1)).toBe(false);
    expect(jitCallFits(0)).toBe(false);
  });

  it("leaves the work before the first JIT call time of its own in the function timeout", () => {
    expect(SCALE_UP_TIMEOUT_SECONDS * 1000).toBeGreaterThan(NEEDED_MS);
  });
});
