import { describe, expect, it } from "vitest";
import { KEPT_INSTANCE_REUSE_MARGIN_SECONDS, SCALE_UP_FINISH_MARGIN_SECONDS, SCALE_UP_JIT_CALL_BUDGET_SECONDS, SCALE_UP_TIMEOUT_SECONDS } from "../../../contracts/scale-up.js";
import { BASE_JIT_DEADLINE_MS, claimFollowsDeadAttempt, jitAttemptsBefore, jitCallDeadlineMs, jitCallFits, keptInstanceReusable } from "../../../lambdas/scale-up/time-budget.js";

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

  it("needs the claim to be the latest event, and reads a record with a single claim", () => {
    expect(claimFollowsDeadAttempt(events("claimed", "claimed", "instance-launched"))).toBe(false);
    expect(claimFollowsDeadAttempt(events("claimed"))).toBe(false);
  });
});

describe("jitCallDeadlineMs", () => {
  const MARGIN_MS = SCALE_UP_FINISH_MARGIN_SECONDS * 1000;

  it("gives a fresh instance the call's budget less the retry plugin's first second", () => {
    expect(BASE_JIT_DEADLINE_MS).toBe((SCALE_UP_JIT_CALL_BUDGET_SECONDS - 1) * 1000);
    expect(jitCallDeadlineMs(0, SCALE_UP_TIMEOUT_SECONDS * 1000)).toBe(BASE_JIT_DEADLINE_MS);
    expect(jitCallDeadlineMs(0, undefined)).toBe(BASE_JIT_DEADLINE_MS);
  });

  it("doubles with each earlier attempt on the kept instance while the invocation has the time", () => {
    expect(jitCallDeadlineMs(1, undefined)).toBe(2 * BASE_JIT_DEADLINE_MS);
    expect(jitCallDeadlineMs(2, undefined)).toBe(4 * BASE_JIT_DEADLINE_MS);
    expect(jitCallDeadlineMs(1, 2 * BASE_JIT_DEADLINE_MS + MARGIN_MS)).toBe(2 * BASE_JIT_DEADLINE_MS);
  });

  it("keeps the margin for the writes after the answer: the invocation's time left caps it", () => {
    expect(jitCallDeadlineMs(1, SCALE_UP_TIMEOUT_SECONDS * 1000)).toBe(SCALE_UP_TIMEOUT_SECONDS * 1000 - MARGIN_MS);
    expect(jitCallDeadlineMs(3, 45_000)).toBe(45_000 - MARGIN_MS);
  });

  it("never goes below the base, nor grows without end", () => {
    expect(jitCallDeadlineMs(2, 20_000)).toBe(BASE_JIT_DEADLINE_MS);
    expect(jitCallDeadlineMs(-1, undefined)).toBe(BASE_JIT_DEADLINE_MS);
    expect(jitCallDeadlineMs(50, undefined)).toBe(256 * BASE_JIT_DEADLINE_MS);
  });
});

describe("jitAttemptsBefore", () => {
  const at = "2026-03-02T09:00:00.000Z";
  const event = (what: string, detail?: string) => ({ at, what, ...(detail === undefined ? {} : { detail }) });

  it("counts the attempt that launched the instance and each takeover before the current claim", () => {
    expect(jitAttemptsBefore([event("claimed", "t1"), event("instance-launched", "i-1"), event("claimed", "t2")], "i-1")).toBe(1);
    expect(jitAttemptsBefore([event("claimed", "t1"), event("instance-launched", "i-1"), event("claimed", "t2"), event("claimed", "t3")], "i-1")).toBe(2);
  });

  it("counts nothing for another instance, a record without the launch, or no events", () => {
    expect(jitAttemptsBefore([event("claimed", "t1"), event("instance-launched", "i-1"), event("claimed", "t2")], "i-2")).toBe(0);
    expect(jitAttemptsBefore([event("claimed", "t1"), event("claimed", "t2")], "i-1")).toBe(0);
    expect(jitAttemptsBefore(undefined, "i-1")).toBe(0);
  });

  it("counts from the instance's launch event, not another event naming it, even when the launch comes first", () => {
    expect(jitAttemptsBefore([event("released", "i-1"), event("claimed", "t1"), event("instance-launched", "i-1"), event("claimed", "t2")], "i-1")).toBe(1);
    expect(jitAttemptsBefore([event("instance-launched", "i-1"), event("claimed", "t2")], "i-1")).toBe(1);
  });

  it("counts only claims after the instance was recorded (a dead attempt before it made no call on it)", () => {
    expect(jitAttemptsBefore([event("claimed", "t1"), event("claimed", "t2"), event("instance-launched", "i-1"), event("claimed", "t3")], "i-1")).toBe(1);
  });
});

describe("keptInstanceReusable", () => {
  const launchedAt = Date.parse("2026-03-02T09:00:00.000Z");
  const events = [
    { at: "2026-03-02T08:59:59.000Z", what: "claimed", detail: "t1" },
    { at: new Date(launchedAt).toISOString(), what: "instance-launched", detail: "i-1" },
    { at: "2026-03-02T09:01:00.000Z", what: "claimed", detail: "t2" },
  ];
  const boot = 600;
  const lastReusableMs = (boot - KEPT_INSTANCE_REUSE_MARGIN_SECONDS) * 1000;

  it("reuses an instance younger than the boot timeout less the margin, up to the limit itself", () => {
    expect(keptInstanceReusable(events, "i-1", new Date(launchedAt + 1000), boot)).toBe(true);
    expect(keptInstanceReusable(events, "i-1", new Date(launchedAt + lastReusableMs), boot)).toBe(true);
  });

  it("replaces one a millisecond past it, and one long ended (the 58-s GitHub's hours of takeovers)", () => {
    expect(keptInstanceReusable(events, "i-1", new Date(launchedAt + lastReusableMs + 1), boot)).toBe(false);
    expect(keptInstanceReusable(events, "i-1", new Date(launchedAt + 5 * 3600 * 1000), boot)).toBe(false);
  });

  it("follows the configured boot timeout", () => {
    const at = new Date(launchedAt + lastReusableMs + 60_000);
    expect(keptInstanceReusable(events, "i-1", at, boot)).toBe(false);
    expect(keptInstanceReusable(events, "i-1", at, boot + 60)).toBe(true);
  });

  it("leaves the margin for a whole invocation and the runner's pick-up", () => {
    expect(KEPT_INSTANCE_REUSE_MARGIN_SECONDS).toBeGreaterThan(SCALE_UP_TIMEOUT_SECONDS);
  });

  it("dates the instance by its launch event, not by an older event naming it", () => {
    const older = { at: new Date(launchedAt - 3600 * 1000).toISOString(), what: "released", detail: "i-1" };
    expect(keptInstanceReusable([older, ...events], "i-1", new Date(launchedAt + 1000), boot)).toBe(true);
  });

  it("does not reuse an instance with no launch event of its own (another instance's, none, or an unreadable time)", () => {
    const now = new Date(launchedAt + 1000);
    expect(keptInstanceReusable(events, "i-2", now, boot)).toBe(false);
    expect(keptInstanceReusable(undefined, "i-1", now, boot)).toBe(false);
    expect(keptInstanceReusable([{ at: "not a time", what: "instance-launched", detail: "i-1" }], "i-1", now, boot)).toBe(false);
  });
});
