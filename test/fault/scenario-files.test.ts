import { describe, expect, it } from "vitest";
import { generalScenarios } from "./run-scenarios.js";
import { SCENARIOS } from "./scenarios.js";
import { INTERLEAVED_SCENARIOS } from "./scenarios-interleaved.js";
import { SLOW_GITHUB_SCENARIOS } from "./scenarios-slow-github.js";

// The scenarios are spread over several test files so that both vitest workers run them: none may be
// left out, none run twice.
describe("the fault test files", () => {
  it("run every scenario of scenarios.ts exactly once between them", () => {
    const files = {
      "fault.test.ts": generalScenarios(0),
      "fault-second-half.test.ts": generalScenarios(1),
      "interleaved.test.ts": INTERLEAVED_SCENARIOS,
      "slow-github.test.ts": SLOW_GITHUB_SCENARIOS,
      "burst.test.ts": SCENARIOS.filter((scenario) => scenario.heavy === true),
    };
    const runs = Object.values(files).flat();
    expect(runs.map((s) => s.title).sort()).toEqual(SCENARIOS.map((s) => s.title).sort());
    expect(new Set(runs).size).toBe(runs.length);
  });

  it("give the two halves of the general scenarios within one of each other", () => {
    const [first, second] = [generalScenarios(0).length, generalScenarios(1).length];
    expect(first).toBeGreaterThan(10);
    expect(first - second).toBeGreaterThanOrEqual(0);
    expect(first - second).toBeLessThanOrEqual(1);
  });
});
