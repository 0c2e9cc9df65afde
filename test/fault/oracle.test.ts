import { describe, expect, it } from "vitest";
import { LimitWatch, counterDrift, replacements, wastedInstances } from "./oracle.js";
import type { RunnerHistory } from "./oracle.js";

// The oracle's judgements on small histories; the fault suite applies them to every scenario.

const runner = (instanceId: string, launchTime: number, history: Partial<RunnerHistory> = {}): RunnerHistory => ({
  instance: { instanceId, launchTime },
  configured: true,
  jobKey: "job#7#1",
  jobId: undefined,
  takenAt: undefined,
  interruptedAt: undefined,
  goneAt: undefined,
  ...history,
});

describe("replacements (duplicate runners from the world's history)", () => {
  it("justifies a second runner only when the first was lost to the job before the second launched", () => {
    expect(replacements([runner("i-1", 0, { jobId: 8, takenAt: 50 }), runner("i-2", 100, { jobId: 7, takenAt: 200 })])).toEqual([{ key: "job#7#1", instanceId: "i-2", because: "took another job" }]);
    expect(replacements([runner("i-1", 0, { interruptedAt: 90 }), runner("i-2", 100)])[0]?.because).toBe("interrupted");
    expect(replacements([runner("i-1", 0, { goneAt: 90 }), runner("i-2", 100)])[0]?.because).toBe("gone without a job");
  });

  it("calls a second runner a duplicate while the first could still take the job, or took it", () => {
    expect(replacements([runner("i-1", 0), runner("i-2", 100)])[0]?.because).toBeUndefined();
    expect(replacements([runner("i-1", 0, { jobId: 7, takenAt: 50 }), runner("i-2", 100)])[0]?.because).toBeUndefined();
    // Lost only after the second launched: the launch was not justified when it was made.
    expect(replacements([runner("i-1", 0, { jobId: 8, takenAt: 150 }), runner("i-2", 100)])[0]?.because).toBeUndefined();
    // Two in one fleet for one job.
    expect(replacements([runner("i-1", 0), runner("i-2", 0)])).toHaveLength(1);
  });

  it("ignores runners that never read a configuration, and separates jobs", () => {
    expect(replacements([runner("i-1", 0, { configured: false }), runner("i-2", 100)])).toEqual([]);
    expect(replacements([runner("i-1", 0), runner("i-2", 100, { jobKey: "job#9#1" }), runner("i-3", 100, { jobKey: "warm#1" })])).toEqual([]);
  });
});

describe("wastedInstances", () => {
  it("lists instances that never read a configuration, with or without a simulated runner", () => {
    const runners = new Map([
      ["i-1", { configured: true }],
      ["i-2", { configured: false }],
    ]);
    expect(wastedInstances([{ instanceId: "i-1" }, { instanceId: "i-2" }, { instanceId: "i-3" }], runners)).toEqual(["i-2", "i-3"]);
  });
});

const instance = (instanceId: string, pool: string, owner: string) => ({ instanceId, tags: new Map([["self-runners:pool", pool], ["self-runners:owner", owner]]) });

describe("counterDrift (orphaned or missing slots, not clipped at zero)", () => {
  it("reports every counter that differs from the live instances, above or below", () => {
    const live = [instance("i-1", "linux", "octo-org"), instance("i-2", "arm", "octo-org")];
    const counters = new Map([
      ["limit#global", 2],
      ["limit#pool#linux", 2],
      ["limit#pool#arm", 0],
      ["limit#owner#octo-org", 2],
      ["limit#owner#other-org", -1],
    ]);
    expect(counterDrift(counters, live)).toEqual([
      { counter: "limit#owner#other-org", inUse: -1, live: 0 },
      { counter: "limit#pool#arm", inUse: 0, live: 1 },
      { counter: "limit#pool#linux", inUse: 2, live: 1 },
    ]);
    expect(counterDrift(new Map(), [])).toEqual([]);
  });
});

describe("LimitWatch (the fifth invariant)", () => {
  it("records the worst excess over the global, pool and owner limits", () => {
    const watch = new LimitWatch({ total: 3, perOwner: 2, perPool: { linux: 5, arm: 1 } });
    watch.observe([instance("i-1", "linux", "a"), instance("i-2", "linux", "b")], 0);
    expect(watch.worstExcess).toBe(0);
    watch.observe([instance("i-1", "linux", "a"), instance("i-2", "arm", "a"), instance("i-3", "arm", "a"), instance("i-4", "linux", "b")], 1_000);
    expect(watch.worstExcess).toBe(1);
    expect(watch.breaches.map((b) => b.limit).sort()).toEqual(["limit#global", "limit#owner#a", "limit#pool#arm"]);
  });
});
