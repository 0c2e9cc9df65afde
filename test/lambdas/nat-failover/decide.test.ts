import { describe, expect, it } from "vitest";
import { INITIAL_STATE, decide } from "../../../lambdas/nat-failover/decide.js";
import type { Decision, FailoverPolicy, FailoverState, NatInstanceView, Observation, RouteTarget, RouteView } from "../../../lambdas/nat-failover/decide.js";

// The decision without doubles: plain observations in, route changes out.

const A = "eu-west-1a";
const B = "eu-west-1b";
const C = "eu-west-1c";
const POLICY: FailoverPolicy = { az: A, failureThreshold: 3, holdDownMs: 300_000 };
const T0 = Date.parse("2026-03-02T10:00:00Z");

const NAT_A = nat("i-0aaaaaaaaaaaaaaa1", A, "eni-0aaaaaaaaaaaaaaa1");
const NAT_B = nat("i-0bbbbbbbbbbbbbbb1", B, "eni-0bbbbbbbbbbbbbbb1");
const NAT_C = nat("i-0ccccccccccccccc1", C, "eni-0ccccccccccccccc1");
const TO_A: RouteTarget = { kind: "nat-instance", id: NAT_A.eniId };
const TO_B: RouteTarget = { kind: "nat-instance", id: NAT_B.eniId };
const TO_C: RouteTarget = { kind: "nat-instance", id: NAT_C.eniId };
const STANDBY: RouteTarget = { kind: "nat-gateway", id: "nat-0123456789abcdef0" };

function nat(instanceId: string, az: string, eniId: string, overrides: Partial<NatInstanceView> = {}): NatInstanceView {
  return { instanceId, az, eniId, state: "running", sourceDestCheck: false, statusChecks: "ok", launchTime: T0 - 86_400_000, ...overrides };
}

function routes(target: RouteTarget | undefined, ...tables: string[]): RouteView[] {
  return (tables.length > 0 ? tables : ["rtb-0aaaaaaaaaaaaaaa1", "rtb-0aaaaaaaaaaaaaaa2"]).map((routeTableId) => ({ routeTableId, target, blackhole: false }));
}

function observe(overrides: Partial<Observation> = {}): Observation {
  return { now: T0, probe: "ok", routes: routes(TO_A), instances: [NAT_A, NAT_B], ...overrides };
}

/** Runs rounds in order, applying each decision's changes to the routes the next round sees. */
function rounds(policy: FailoverPolicy, steps: ReadonlyArray<(routes: RouteView[]) => Observation>, state: FailoverState = INITIAL_STATE): Decision[] {
  const decisions: Decision[] = [];
  let current: RouteView[] | undefined;
  for (const step of steps) {
    const obs = step(current ?? routes(TO_A));
    const d = decide(state, { ...obs, routes: current ?? obs.routes }, policy);
    state = d.state;
    current = (current ?? obs.routes).map((r) => {
      const change = d.changes.find((c) => c.routeTableId === r.routeTableId);
      return change ? { ...r, target: change.to, blackhole: false } : r;
    });
    decisions.push(d);
  }
  return decisions;
}

describe("decide: healthy", () => {
  it("changes nothing while the home NAT carries the routes and the probe succeeds", () => {
    const d = decide(INITIAL_STATE, observe(), POLICY);
    expect(d.verdict).toBe("healthy");
    expect(d.changes).toEqual([]);
    expect(d.active).toEqual(TO_A);
  });

  it("changes nothing on failed probes below the threshold, and forgets them after a good probe", () => {
    const [one, two, good] = rounds(POLICY, [
      () => observe({ probe: "failed" }),
      () => observe({ now: T0 + 5_000, probe: "failed" }),
      () => observe({ now: T0 + 10_000, probe: "ok" }),
    ]);
    expect([one.verdict, two.verdict, good.verdict]).toEqual(["probing", "probing", "healthy"]);
    expect([one, two, good].flatMap((d) => d.changes)).toEqual([]);
    expect(good.state.consecutiveFailures).toBe(0);
  });

  it("changes nothing when no table has a default route yet (the NAT instance's boot creates it)", () => {
    const d = decide(INITIAL_STATE, observe({ routes: routes(undefined) }), POLICY);
    expect(d.verdict).toBe("no-route");
    expect(d.changes).toEqual([]);
  });
});

describe("decide: failover", () => {
  it("moves every table to the next AZ's NAT after failureThreshold failed probes in a row", () => {
    const decisions = rounds(POLICY, [0, 1, 2].map((i) => () => observe({ now: T0 + i * 5_000, probe: "failed" })));
    expect(decisions.map((d) => d.verdict)).toEqual(["probing", "probing", "failover"]);
    expect(decisions[2].changes).toEqual([
      { routeTableId: "rtb-0aaaaaaaaaaaaaaa1", from: TO_A, to: TO_B, reason: "failover" },
      { routeTableId: "rtb-0aaaaaaaaaaaaaaa2", from: TO_A, to: TO_B, reason: "failover" },
    ]);
    expect(decisions[2].downReason).toBe("probe-failed");
  });

  it("fails over at once, without waiting for probes, when the home instance is stopping", () => {
    const d = decide(INITIAL_STATE, observe({ probe: undefined, instances: [{ ...NAT_A, state: "stopping" }, NAT_B] }), POLICY);
    expect(d.verdict).toBe("failover");
    expect(d.downReason).toBe("instance-down");
    expect(d.changes.map((c) => c.to)).toEqual([TO_B, TO_B]);
  });

  it("fails over at once when a state-change event reported the instance down, though DescribeInstances still says running", () => {
    const d = decide(INITIAL_STATE, observe({ probe: undefined, reportedDown: [NAT_A.instanceId] }), POLICY);
    expect(d.verdict).toBe("failover");
    expect(d.changes.map((c) => c.to)).toEqual([TO_B, TO_B]);
  });

  it("fails over at once when the route is a blackhole (the ENI is gone)", () => {
    const blackholed = routes(TO_A).map((r) => ({ ...r, blackhole: true }));
    const d = decide(INITIAL_STATE, observe({ routes: blackholed, instances: [NAT_B] }), POLICY);
    expect(d.verdict).toBe("failover");
    expect(d.downReason).toBe("blackhole");
  });

  it("fails over when the home instance fails its status checks", () => {
    const d = decide(INITIAL_STATE, observe({ instances: [{ ...NAT_A, statusChecks: "impaired" }, NAT_B] }), POLICY);
    expect(d.downReason).toBe("instance-down");
    expect(d.changes.map((c) => c.to)).toEqual([TO_B, TO_B]);
  });

  it("prefers the AZ's standby NAT Gateway over another AZ's NAT instance", () => {
    const policy = { ...POLICY, standbyNatGatewayId: STANDBY.id };
    const d = decide(INITIAL_STATE, observe({ instances: [{ ...NAT_A, state: "stopped" }, NAT_B], standby: { natGatewayId: STANDBY.id, state: "available" } }), policy);
    expect(d.verdict).toBe("failover");
    expect(d.changes.map((c) => c.to)).toEqual([STANDBY, STANDBY]);
  });

  it("skips a standby gateway that is not available and takes another AZ's NAT", () => {
    const policy = { ...POLICY, standbyNatGatewayId: STANDBY.id };
    const d = decide(INITIAL_STATE, observe({ instances: [{ ...NAT_A, state: "stopped" }, NAT_B], standby: { natGatewayId: STANDBY.id, state: "failed" } }), policy);
    expect(d.changes.map((c) => c.to)).toEqual([TO_B, TO_B]);
  });

  it("takes the other AZs' NATs in AZ order, skipping those that are down or still forwarding-off", () => {
    const instances = [{ ...NAT_A, state: "stopped" }, { ...NAT_B, sourceDestCheck: true }, NAT_C];
    const d = decide(INITIAL_STATE, observe({ instances }), POLICY);
    expect(d.changes.map((c) => c.to)).toEqual([TO_C, TO_C]);
  });

  it("changes nothing and says so when both NATs are down", () => {
    const d = decide(INITIAL_STATE, observe({ probe: "failed", instances: [{ ...NAT_A, state: "stopped" }, { ...NAT_B, state: "shutting-down" }] }), POLICY);
    expect(d.verdict).toBe("no-healthy-target");
    expect(d.changes).toEqual([]);
    expect(d.downReason).toBe("instance-down");
  });

  it("moves the routes as soon as a target comes back after both NATs were down", () => {
    const down = [{ ...NAT_A, state: "stopped" }, { ...NAT_B, state: "pending" }];
    const [first, second] = rounds(POLICY, [() => observe({ instances: down }), () => observe({ now: T0 + 5_000, instances: [{ ...NAT_A, state: "stopped" }, NAT_B] })]);
    expect(first.verdict).toBe("no-healthy-target");
    expect(second.verdict).toBe("failover");
    expect(second.changes.map((c) => c.to)).toEqual([TO_B, TO_B]);
  });

  it("retries at once when the previous round's ReplaceRoute failed (the failure count stays with the target)", () => {
    let state = INITIAL_STATE;
    for (let i = 0; i < 3; i++) state = decide(state, observe({ now: T0 + i * 5_000, probe: "failed" }), POLICY).state;
    // The routes did not change: the next round still sees the home NAT active and past the threshold.
    const retry = decide(state, observe({ now: T0 + 15_000, probe: "failed" }), POLICY);
    expect(retry.verdict).toBe("failover");
    expect(retry.changes).toHaveLength(2);
  });

  it("fails over from a fallback that fails too, but not back to a home NAT abandoned for failed probes within the hold-down", () => {
    const decisions = rounds(POLICY, [
      ...[0, 1, 2].map((i) => () => observe({ now: T0 + i * 5_000, probe: "failed", instances: [NAT_A, NAT_B, NAT_C] })),
      ...[3, 4, 5].map((i) => () => observe({ now: T0 + i * 5_000, probe: "failed", instances: [NAT_A, NAT_B, NAT_C] })),
    ]);
    expect(decisions[2].changes.map((c) => c.to)).toEqual([TO_B, TO_B]);
    expect(decisions[5].verdict).toBe("failover");
    expect(decisions[5].changes.map((c) => c.to)).toEqual([TO_C, TO_C]);
  });

  it("moves straggling tables to the active target (after a partly failed change)", () => {
    const mixed: RouteView[] = [
      { routeTableId: "rtb-1", target: TO_B, blackhole: false },
      { routeTableId: "rtb-2", target: TO_B, blackhole: false },
      { routeTableId: "rtb-3", target: TO_A, blackhole: true },
    ];
    const d = decide(INITIAL_STATE, observe({ routes: mixed, instances: [NAT_B] }), POLICY);
    expect(d.verdict).toBe("converge");
    expect(d.changes).toEqual([{ routeTableId: "rtb-3", from: TO_A, to: TO_B, reason: "converge" }]);
  });
});

describe("decide: failback", () => {
  const stoppedThenBack = (minutes: number, home: NatInstanceView) =>
    rounds(POLICY, [
      () => observe({ probe: undefined, instances: [{ ...NAT_A, state: "stopping" }, NAT_B] }),
      ...Array.from({ length: minutes * 12 }, (_, i) => () => observe({ now: T0 + (i + 1) * 5_000, instances: [home, NAT_B] })),
    ]);

  it("returns to a replaced home NAT only after it has been usable for the hold-down period", () => {
    const replacement = nat("i-0aaaaaaaaaaaaaaa2", A, "eni-0aaaaaaaaaaaaaaa2", { launchTime: T0 + 60_000 });
    const decisions = stoppedThenBack(6, replacement);
    expect(decisions[0].changes.map((c) => c.to)).toEqual([TO_B, TO_B]);
    const failback = decisions.findIndex((d) => d.verdict === "failback");
    // Usable from the round at T0+5 s; hold-down 300 s: the round at T0+305 s (index 61) fails back.
    expect(failback).toBe(61);
    expect(decisions[failback].changes.map((c) => c.to)).toEqual([
      { kind: "nat-instance", id: replacement.eniId },
      { kind: "nat-instance", id: replacement.eniId },
    ]);
    expect(decisions.slice(1, failback).every((d) => d.verdict === "failed-over" && d.changes.length === 0)).toBe(true);
    expect(decisions.slice(failback + 1).every((d) => d.verdict === "healthy")).toBe(true);
  });

  it("restarts the hold-down whenever the home NAT stops being usable (health that flaps never fails back)", () => {
    let state = decide(INITIAL_STATE, observe({ instances: [{ ...NAT_A, state: "stopped" }, NAT_B] }), POLICY).state;
    const onB = routes(TO_B);
    const verdicts: string[] = [];
    // 20 minutes of a home NAT whose status checks go impaired for one round every 4 minutes.
    for (let i = 1; i <= 240; i++) {
      const impaired = i % 48 === 0;
      const d = decide(state, observe({ now: T0 + i * 5_000, routes: onB, instances: [{ ...NAT_A, statusChecks: impaired ? "impaired" : "ok" }, NAT_B] }), POLICY);
      state = d.state;
      verdicts.push(d.verdict);
    }
    expect(verdicts).not.toContain("failback");
    expect(new Set(verdicts)).toEqual(new Set(["failed-over"]));
  });

  it("bounds flapping: a NAT that passes every check but drops traffic costs at most one failover per hold-down period", () => {
    // Home NAT looks healthy to EC2 but forwards nothing; the fallback works. 30 minutes of rounds.
    let state = INITIAL_STATE;
    let current = routes(TO_A);
    const changes: string[] = [];
    for (let i = 0; i < 360; i++) {
      const onHome = current[0].target?.id === TO_A.id;
      const d = decide(state, observe({ now: T0 + i * 5_000, routes: current, probe: onHome ? "failed" : "ok" }), POLICY);
      state = d.state;
      current = current.map((r) => ({ ...r, target: d.changes.find((c) => c.routeTableId === r.routeTableId)?.to ?? r.target }));
      if (d.changes.length > 0) changes.push(`${i * 5}s ${d.verdict}`);
    }
    // Each failback comes one hold-down (300 s) after the failover before it; each costs three probes (15 s).
    expect(changes).toEqual([
      "10s failover", "310s failback", "325s failover", "625s failback", "640s failover", "940s failback",
      "955s failover", "1255s failback", "1270s failover", "1570s failback", "1585s failover",
    ]);
    expect(changes.filter((c) => c.endsWith("failover")).length).toBeLessThanOrEqual((30 * 60_000) / POLICY.holdDownMs);
  });

  it("does not fail back while probes through the fallback are failing", () => {
    let state = decide(INITIAL_STATE, observe({ instances: [{ ...NAT_A, state: "stopped" }, NAT_B] }), POLICY).state;
    for (let i = 1; i <= 61; i++) state = decide(state, observe({ now: T0 + i * 5_000, routes: routes(TO_B) }), POLICY).state;
    const failing = decide(state, observe({ now: T0 + 62 * 5_000, routes: routes(TO_B), probe: "failed" }), POLICY);
    expect(failing.verdict).toBe("probing");
    expect(failing.changes).toEqual([]);
  });

  it("moves tables from a target it does not manage (an existing NAT Gateway) to the home NAT after the hold-down", () => {
    const legacy: RouteTarget = { kind: "nat-gateway", id: "nat-0fffffffffffffff0" };
    let state = INITIAL_STATE;
    const verdicts: string[] = [];
    for (let i = 0; i <= 60; i++) {
      const d = decide(state, observe({ now: T0 + i * 5_000, routes: routes(legacy) }), POLICY);
      state = d.state;
      verdicts.push(d.verdict);
    }
    expect(verdicts.slice(0, 60).every((v) => v === "failed-over")).toBe(true);
    expect(verdicts[60]).toBe("failback");
  });

  it("returns from the standby gateway to the home NAT after the hold-down", () => {
    const policy = { ...POLICY, standbyNatGatewayId: STANDBY.id };
    const standby = { natGatewayId: STANDBY.id, state: "available" };
    let state = decide(INITIAL_STATE, observe({ instances: [{ ...NAT_A, state: "stopped" }, NAT_B], standby }), policy).state;
    const verdicts: string[] = [];
    for (let i = 1; i <= 61; i++) {
      const d = decide(state, observe({ now: T0 + i * 5_000, routes: routes(STANDBY), standby }), policy);
      state = d.state;
      verdicts.push(d.verdict);
    }
    expect(verdicts.at(-1)).toBe("failback");
    expect(verdicts.slice(0, -1).every((v) => v === "failed-over")).toBe(true);
  });
});
