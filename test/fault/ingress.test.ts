import { describe, expect, it } from "vitest";
import { Ingress, floodArrivals } from "./world/ingress.js";
import type { Flood } from "./world/ingress.js";

// The ingress model of the fault world (world/ingress.ts) under the flood of issue 18, finding 4:
// about 150 junk requests per second from four addresses, while GitHub delivers 10 jobs a second.
const SIGNED = `sha256=${"ab".repeat(32)}`;
const flood: Flood = { fromMs: 0, durationMs: 60_000, perSecond: 150, addresses: ["198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"] };

/** Interleaves the flood with one signed GitHub delivery every 100 ms; returns GitHub's verdicts. */
function run(ingress: Ingress, junk: Flood): string[] {
  const github: string[] = [];
  const junkArrivals = floodArrivals(junk, 0, 0, junk.durationMs);
  let next = 0;
  for (let at = 0; at < junk.durationMs; at += 100) {
    while (next < junkArrivals.length && junkArrivals[next]!.at <= at) {
      const request = junkArrivals[next]!;
      ingress.admit(request.at, request.sourceIp, junk.signed ? SIGNED : undefined);
      next += 1;
    }
    github.push(ingress.admit(at, "140.82.115.1", SIGNED));
  }
  for (const request of junkArrivals.slice(next)) ingress.admit(request.at, request.sourceIp, junk.signed ? SIGNED : undefined);
  return github;
}

describe("the ingress model (web ACL, then the stage throttle)", () => {
  it("drops unsigned junk before it takes a token: every GitHub delivery passes at the module's defaults", () => {
    const ingress = new Ingress();
    expect(new Set(run(ingress, flood))).toEqual(new Set(["passed"]));
    expect(ingress.counts["blocked-unsigned"]).toBe(150 * 60);
  });

  it("fails GitHub's deliveries with 429 under the same flood without the signature rule and the old throttle (100/200)", () => {
    const ingress = new Ingress({ signatureRule: false, rate: 100, burst: 200 });
    const verdicts = run(ingress, flood);
    expect(verdicts.filter((v) => v === "throttled").length).toBeGreaterThan(0);
  });

  it("blocks an address over the per-IP limit and throttles once the bucket is empty", () => {
    const ingress = new Ingress({ perIpLimit: 2, perIpWindowMs: 1000, rate: 1, burst: 1 });
    expect([0, 1, 2].map((at) => ingress.admit(at, "a", SIGNED))).toEqual(["passed", "throttled", "blocked-rate"]);
    expect(ingress.admit(1000, "b", SIGNED)).toBe("passed");
    expect(ingress.admit(1000, "c", undefined)).toBe("blocked-unsigned");
  });
});
