import { describe, expect, it } from "vitest";
import { GITHUB_WRITES_PER_MINUTE_LIMIT, interval, turnGraceMs } from "../../../../lambdas/libs/governor/bucket.js";
import { inputDefault } from "../../../../stacks/module/inputs.js";

/** The most writes per App in any 60 s when every token may be used up to the grace late (bucket.ts). */
function worstMinute(perMinute: number, burst: number): number {
  const settings = { perMinute, burst };
  return burst + (60_000 + turnGraceMs(settings)) / interval(settings);
}

describe("turnGraceMs", () => {
  it("is 6 s at the defaults, 2.8 s at the largest inputs, 0 when nothing is left under GitHub's limit", () => {
    expect(turnGraceMs({ perMinute: Number(inputDefault("github_writes_per_minute")), burst: Number(inputDefault("github_write_burst")) })).toBe(6_000);
    expect(turnGraceMs({ perMinute: 160, burst: 10 })).toBe(2_812);
    expect(turnGraceMs({ perMinute: 175, burst: 10 })).toBe(0);
  });

  it("keeps the worst minute, late tokens included, under GitHub's 180 writes for every accepted rate and burst", () => {
    for (let perMinute = 1; perMinute <= 160; perMinute += 1) {
      for (let burst = 1; burst <= 10; burst += 1) expect(worstMinute(perMinute, burst)).toBeLessThan(GITHUB_WRITES_PER_MINUTE_LIMIT);
    }
    expect(worstMinute(150, 10)).toBe(175);
  });
});
