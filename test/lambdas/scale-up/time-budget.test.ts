import { describe, expect, it } from "vitest";
import { SCALE_UP_FINISH_MARGIN_SECONDS, SCALE_UP_JIT_CALL_BUDGET_SECONDS, SCALE_UP_TIMEOUT_SECONDS } from "../../../contracts/scale-up.js";
import { claimFollowsDeadAttempt, jitCallFits } from "../../../lambdas/scale-up/time-budget.js";

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

describe("claimFollowsDeadAttempt", () => {
  const at = "2026-03-02T09:00:00.000Z";
  const events = (...what: string[]) => what.map((name) => ({ at, what: name }));

  it("sees a claim taken over from one that recorded nothing after it", () => {
    expect(claimFollowsDeadAttempt(events("queue-leased", "claimed", "claimed"))).toBe(true);
  });

  it("sees none after a release, a recorded instance or on a first claim", () => {
    expect(claimFollowsDeadAttempt(events("queue-leased", "claimed", "released", "claimed"))).toBe(false);
    expect(claimFollowsDeadAttempt(events("claimed", "instance-launched", "claimed"))).toBe(false);
    expect(claimFollowsDeadAttempt(events("queue-leased", "claimed"))).toBe(false);
    expect(claimFollowsDeadAttempt(undefined)).toBe(false);
  });
});
