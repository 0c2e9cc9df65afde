import { describe, expect, it } from "vitest";
import { GITHUB_SECONDARY_LIMITS, SecondaryLimits, TokenBucket } from "./world/limits.js";

// The limit models the fault world enforces: if they did not refuse, the governed bursts could not fail.

describe("TokenBucket (EC2's throttling model)", () => {
  it("grants up to its capacity, refuses beyond it without taking, and refills per second", () => {
    const bucket = new TokenBucket(50, 5);
    expect(bucket.take(50, 0)).toBe(true);
    expect(bucket.take(1, 0)).toBe(false);
    expect(bucket.take(5, 1_000)).toBe(true);
    expect(bucket.take(6, 2_000)).toBe(false);
    expect(bucket.take(5, 2_000)).toBe(true);
  });
});

describe("SecondaryLimits (GitHub's model)", () => {
  it("refuses the 181st POST to one endpoint within 60 s, per App, and admits it once the window moves on", () => {
    const limits = new SecondaryLimits();
    const posts = Array.from({ length: 181 }, (_, i) => limits.admit("app-1", "POST /orgs/x/actions/runners/generate-jitconfig", "POST", i * 100));
    expect(posts.filter(Boolean)).toHaveLength(GITHUB_SECONDARY_LIMITS.pointsPerMinutePerEndpoint / 5);
    expect(posts.at(-1)).toBe(false);
    expect(limits.admit("app-2", "POST /orgs/x/actions/runners/generate-jitconfig", "POST", 18_000)).toBe(true);
    expect(limits.admit("app-1", "GET /orgs/x/actions/runners", "GET", 18_000)).toBe(true);
    expect(limits.admit("app-1", "POST /orgs/x/actions/runners/generate-jitconfig", "POST", 60_001)).toBe(true);
  });

  it("refuses the 101st request of one App in flight", () => {
    const limits = new SecondaryLimits();
    const started = Array.from({ length: 101 }, () => limits.begin("app-1"));
    expect(started.filter(Boolean)).toHaveLength(100);
    limits.end("app-1");
    expect(limits.begin("app-1")).toBe(true);
  });
});
