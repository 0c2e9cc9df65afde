import { describe, expect, it } from "vitest";
import { prepareBoot } from "../helpers/runner-boot.js";
import { runScenarios } from "./run-scenarios.js";
import type { Scenario } from "./scenarios.js";
import { NatBootNetwork } from "./world/boot-network.js";

// Issue 12's scenario "1,000 boots behind one NAT address", in its own file (a heavy world, like
// burst.test.ts). How many anonymous GitHub calls one boot makes is MEASURED on the real bootstrap
// (test/helpers/runner-boot.ts, runner downloaded from the bucket), then every simulated instance makes
// that many through one NAT address, where GitHub answers 60 an hour; the figures come from the world's
// NAT model and EC2's instances, not from the control plane's state.

const MINUTE = 60_000;
/**
 * Runners to boot. `npm test` boots 150, already past the 60 anonymous calls an hour at which the old
 * script began to fail (a 1,000-job world costs as much CPU as the burst file: minutes on CI's 2 cores);
 * `SELF_RUNNERS_NAT_JOBS=1000 npx vitest run test/fault/nat-boots.test.ts` is issue 12's 1,000 boots.
 */
const JOBS = Number(process.env.SELF_RUNNERS_NAT_JOBS ?? 150);

/** GitHub calls the Amazon Linux bootstrap makes in one stubbed boot. */
function gitHubCallsPerBoot(): number {
  const { status, calls } = prepareBoot({ jitAfterPolls: 1, runnerPreinstalled: false, logGroupName: "" }).boot();
  expect(status).toBe(0);
  return calls.filter((call) => !call.startsWith("run.sh") && /github\.com|githubusercontent\.com/i.test(call)).length;
}

describe("the NAT model (world/boot-network.ts)", () => {
  it("refuses the 61st anonymous GitHub call within an hour, and fails that boot; an hour later calls pass again", () => {
    const nat = new NatBootNetwork(1);
    for (let i = 0; i < 60; i += 1) expect(nat.boot(`i-${i}`, i * 1000)).toBe(true);
    expect(nat.boot("i-60", 60_000)).toBe(false);
    expect(nat.failedBoots).toEqual(["i-60"]);
    expect(nat.boot("i-61", 3_600_001)).toBe(true);
    expect({ gitHubCalls: nat.gitHubCalls, refused: nat.refused }).toEqual({ gitHubCalls: 62, refused: 1 });
  });
});

const perBoot = gitHubCallsPerBoot();

const natBoots: Scenario = {
  title: `${JOBS.toLocaleString("en")} boots behind one NAT address (GitHub calls per boot, measured on the bootstrap: ${perBoot})`,
  heavy: true,
  timeoutMs: 1_800_000,
  world: {
    scaleUpEnvironments: 10,
    apps: 3,
    jobDurationMs: MINUTE,
    pools: { linux: { labels: ["linux", "x64"], maxRunners: JOBS } },
    env: { MAX_RUNNERS_TOTAL: String(JOBS), MAX_RUNNERS_PER_OWNER: String(JOBS) },
  },
  script: (w) => {
    w.bootNetwork = new NatBootNetwork(perBoot);
    w.ec2.describePageSize = 100;
    w.queueJobs(JOBS);
  },
  evidence: (_report, w) => {
    const nat = w.bootNetwork as NatBootNetwork;
    const lostAtBoot = [...w.ec2.instances.values()].filter((i) => i.endedBy?.startsWith("self: bootstrap failed")).length;
    expect(nat.boots).toBeGreaterThanOrEqual(JOBS);
    expect({ gitHubCallsFromInstances: nat.gitHubCalls, runnersLostAtBoot: lostAtBoot }).toEqual({ gitHubCallsFromInstances: 0, runnersLostAtBoot: 0 });
  },
};

// Not a row of the reliability table: its size follows SELF_RUNNERS_NAT_JOBS; its figures are its evidence.
runScenarios("nat-boots", [natBoots], { inReliabilityTable: false });
