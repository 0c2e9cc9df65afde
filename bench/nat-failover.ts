// NAT failover: failure-to-ReplaceRoute time for the default settings, in simulated time (the loop,
// the decision and the adapters' contract run for real; EC2 and the probe are doubles, the clock is
// simulated, so the figures follow from the configuration, not from this machine's speed).
// Run: npm run bench -- --only nat
import { NAT_FAILOVER_DEFAULTS } from "../contracts/nat-failover.js";
import { probeTimeoutFor } from "../lambdas/nat-failover/config.js";
import { failoverBoundMs, measureFailover, type FailoverScenario } from "../test/helpers/nat-world.js";
import { median, type BenchGroup, type Figure } from "./figures.js";

const interval = NAT_FAILOVER_DEFAULTS.probeIntervalSeconds * 1_000;
const threshold = NAT_FAILOVER_DEFAULTS.failureThreshold;
const base = { probeIntervalMs: interval, failureThreshold: threshold };
// Failure times across two scheduled invocations (including the minute boundary), every 250 ms.
const failureTimes = Array.from({ length: 480 }, (_, i) => 60_000 + i * 250);

async function sweep(scenario: Omit<FailoverScenario, "failAt" | "probeIntervalMs" | "failureThreshold">): Promise<number[]> {
  const figures: number[] = [];
  for (const failAt of failureTimes) {
    const { failureToReplaceMs } = await measureFailover({ ...base, ...scenario, failAt });
    if (failureToReplaceMs === undefined) throw new Error(`no failover for a failure at ${failAt} ms`);
    figures.push(failureToReplaceMs);
  }
  return figures.sort((a, b) => a - b);
}

/** The median failure-to-ReplaceRoute time of a sweep, with its spread and bound as the note. */
function figure(id: string, label: string, figures: number[], bound?: number): Figure {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const note = `${figures.length} failure times: min ${s(figures[0])}, max ${s(figures.at(-1) as number)}${bound === undefined ? "" : `, bound ${s(bound)}`}`;
  return { id: `nat-failover.${id}.s`, label: `NAT failover: ${label}`, value: median(figures) / 1000, unit: "s", note };
}

export const natFailover: BenchGroup = {
  name: `NAT failover (simulated time; probe every ${interval / 1000} s, ${threshold} failed rounds, probe timeout ${probeTimeoutFor(interval) / 1000} s)`,
  async run() {
    return [
      figure("drops-traffic", "NAT stops forwarding (probe-detected), warm function", await sweep({ failure: "drops-traffic" }), failoverBoundMs(interval, threshold)),
      figure(
        "drops-traffic-cold",
        "NAT stops forwarding, cold start at every minute",
        await sweep({ failure: "drops-traffic", coldStarts: true }),
        (2 * threshold - 1) * interval + probeTimeoutFor(interval),
      ),
      figure("terminated", "NAT instance terminated, schedule only", await sweep({ failure: "terminated" }), interval),
      figure("terminated-event", "NAT instance terminated, state-change event after 1 s", await sweep({ failure: "terminated", eventDelayMs: 1_000 })),
    ];
  },
};
