import { describe, expect, it } from "vitest";
import { decideStillQueued, needsConfirmation } from "../../../lambdas/scale-up/still-queued.js";

// The pure half of issue 18, finding 9's second half: which messages are confirmed at GitHub and what
// GitHub's answer means. processBatch's use of it is in scale-up.test.ts.

const NOW = new Date("2026-11-23T10:00:00.000Z");
const agedSeconds = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();

describe("needsConfirmation", () => {
  it("asks only about job messages older than the grace", () => {
    expect(needsConfirmation({ receivedAt: agedSeconds(61) }, NOW, 60)).toBe(true);
    expect(needsConfirmation({ receivedAt: agedSeconds(60) }, NOW, 60)).toBe(false);
    expect(needsConfirmation({ receivedAt: agedSeconds(5) }, NOW, 60)).toBe(false);
  });

  it("never asks about a warm-pool slot (no GitHub job), however old", () => {
    expect(needsConfirmation({ receivedAt: agedSeconds(3600), kind: "warm" }, NOW, 60)).toBe(false);
  });

  it("asks about every message when the grace is 0", () => {
    expect(needsConfirmation({ receivedAt: agedSeconds(1) }, NOW, 0)).toBe(true);
  });
});

describe("decideStillQueued", () => {
  const state = (status: string, conclusion: string | null = null, runnerName: string | null = null) => ({ state: { status, conclusion, runnerName } });

  it.each(["queued", "waiting", "requested", "pending"])("launches a job GitHub reports %s", (status) => {
    expect(decideStillQueued(state(status))).toEqual({ action: "launch", why: "waiting" });
  });

  it("settles an in_progress job as started, with the runner GitHub names", () => {
    expect(decideStillQueued(state("in_progress", null, "other-runner"))).toEqual({ action: "start", runnerName: "other-runner" });
  });

  it.each([
    ["success", "completed"],
    ["cancelled", "cancelled"],
    ["failure", "failed"],
  ])("settles a completed job (%s) in the phase %s", (conclusion, phase) => {
    expect(decideStillQueued(state("completed", conclusion))).toEqual({ action: "finish", phase, conclusion });
  });

  it("expires a job GitHub does not know (404)", () => {
    expect(decideStillQueued({ notFound: true })).toEqual({ action: "expire", reason: expect.stringMatching(/404/) });
  });

  it("launches when the lookup failed: availability over thrift", () => {
    expect(decideStillQueued({ error: new Error("502") })).toEqual({ action: "launch", why: "lookup-failed" });
  });
});
