/**
 * The NAT failover decision for one availability zone: given what was remembered, what was just
 * observed (routes, NAT instances, the standby gateway, the egress probe) and the time, which default
 * routes to replace. Pure: no SDK, no clock, no I/O, so every case is tested with plain data.
 *
 * Model. Each AZ has a "home" target, its own NAT instance (by primary ENI). The AZ's private route
 * tables send 0.0.0.0/0 to one "active" target. The probe runs from the AZ's subnets, so it judges the
 * active target. The active target is abandoned when its route is a blackhole, when it is one of our
 * NAT instances and that instance is not running (or fails its status checks, or a state-change event
 * reported it going down), when it is the standby gateway and that gateway is not available, or after
 * `failureThreshold` failed probes in a row. It is replaced by the first usable candidate: the AZ's
 * standby NAT Gateway, then the home instance, then the NAT instances of the other AZs (by AZ name).
 * The routes return home only when the home instance has been usable for `holdDownMs` without a break,
 * the last probe through the active target succeeded, and (if the home instance itself was abandoned
 * for failed probes) `holdDownMs` have passed since then: at most one failover/failback cycle per
 * hold-down period, however often the health signals flap.
 */

/** Where a default route sends traffic. */
export interface RouteTarget {
  /** `nat-instance` for a route to a network interface (the id is the ENI), `nat-gateway`, or anything else. */
  readonly kind: "nat-instance" | "nat-gateway" | "other";
  /** `eni-...`, `nat-...`, or the id of whatever else the route points at (`igw-...`, `tgw-...`). */
  readonly id: string;
}

/** One private route table's 0.0.0.0/0 route, as DescribeRouteTables shows it. */
export interface RouteView {
  readonly routeTableId: string;
  /** The default route's target; undefined when the table has no default route. */
  readonly target?: RouteTarget;
  /** AWS marks a route `blackhole` when its target (an ENI, a gateway) is gone. */
  readonly blackhole: boolean;
}

/** A NAT instance of this kit, as DescribeInstances and DescribeInstanceStatus show it. */
export interface NatInstanceView {
  readonly instanceId: string;
  readonly az: string;
  /** The primary network interface: the route target. */
  readonly eniId: string;
  /** pending, running, stopping, stopped or shutting-down. */
  readonly state: string;
  /** True until the instance's boot script has set up forwarding and switched the check off. */
  readonly sourceDestCheck: boolean;
  /** The worse of the instance and system status checks. */
  readonly statusChecks: "ok" | "initializing" | "impaired" | "unknown";
  /** Epoch milliseconds. */
  readonly launchTime: number;
}

/** The AZ's standby NAT Gateway, as DescribeNatGateways shows it. */
export interface StandbyGatewayView {
  readonly natGatewayId: string;
  /** pending, available, failed, deleting or deleted. */
  readonly state: string;
}

/** Everything one round observed. */
export interface Observation {
  /** Epoch milliseconds. */
  readonly now: number;
  /** This round's egress probe from the AZ's subnets; undefined when the round ran no probe (event rounds). */
  readonly probe?: "ok" | "failed";
  /** The AZ's private route tables. */
  readonly routes: readonly RouteView[];
  /** Every NAT instance of this kit, all AZs. */
  readonly instances: readonly NatInstanceView[];
  /** The AZ's standby gateway, when one is configured and could be described. */
  readonly standby?: StandbyGatewayView;
  /** Instances an EC2 state-change event has just reported as stopping, stopped, shutting down or terminated. */
  readonly reportedDown?: readonly string[];
}

/** The settings of one AZ's failover. */
export interface FailoverPolicy {
  /** The AZ whose route tables this function manages, e.g. `eu-west-1a`. */
  readonly az: string;
  /** Failed probe rounds in a row that count as loss of egress. */
  readonly failureThreshold: number;
  /** How long the home instance must have been usable before the routes return to it. */
  readonly holdDownMs: number;
  /** The configured standby gateway of the AZ, if any. */
  readonly standbyNatGatewayId?: string;
}

/** What a round remembers for the next one (in memory: a cold start forgets it, which only delays a failback). */
export interface FailoverState {
  /** The target the failure count refers to; a new active target starts a new count. */
  readonly probedTarget?: string;
  readonly consecutiveFailures: number;
  /** Since when each target has been usable without a break (target id -> epoch ms). */
  readonly usableSince: Readonly<Record<string, number>>;
  /** When each target was last abandoned for failed probes (target id -> epoch ms). */
  readonly abandonedAt: Readonly<Record<string, number>>;
}

export const INITIAL_STATE: FailoverState = { consecutiveFailures: 0, usableSince: {}, abandonedAt: {} };

export type ChangeReason = "failover" | "failback" | "converge";

/** One ReplaceRoute of a table's 0.0.0.0/0 route. */
export interface RouteChange {
  readonly routeTableId: string;
  readonly from?: RouteTarget;
  readonly to: RouteTarget;
  readonly reason: ChangeReason;
}

export type DownReason = "blackhole" | "instance-down" | "gateway-down" | "probe-failed";

/**
 * `healthy`: on the home target, last probe good. `probing`: some probes failed, below the threshold.
 * `failed-over`: on a fallback, waiting for the home instance's hold-down. `failover` / `failback` /
 * `converge`: routes change now. `no-healthy-target`: the active target is down and nothing usable is
 * left. `no-route`: none of the tables has a default route yet (the NAT instance's boot creates it).
 */
export type Verdict = "healthy" | "probing" | "failed-over" | "failover" | "failback" | "converge" | "no-healthy-target" | "no-route";

export interface Decision {
  readonly state: FailoverState;
  readonly changes: readonly RouteChange[];
  readonly verdict: Verdict;
  /** The target the routes use (after the changes). */
  readonly active?: RouteTarget;
  /** This AZ's NAT instance, if one exists. */
  readonly home?: RouteTarget;
  /** Why the previous active target was abandoned, on failover and no-healthy-target. */
  readonly downReason?: DownReason;
}

const RUNNING = "running";
const GATEWAY_UP = new Set(["available", "pending"]);

export function decide(state: FailoverState, obs: Observation, policy: FailoverPolicy): Decision {
  const reportedDown = new Set(obs.reportedDown ?? []);
  const byEni = new Map(obs.instances.map((i) => [i.eniId, i]));
  const homeInstance = pickHome(obs.instances, policy.az, reportedDown);
  const home: RouteTarget | undefined = homeInstance && { kind: "nat-instance", id: homeInstance.eniId };
  const standby: RouteTarget | undefined = policy.standbyNatGatewayId ? { kind: "nat-gateway", id: policy.standbyNatGatewayId } : undefined;

  const usable = (target: RouteTarget): boolean => {
    if (target.kind === "nat-gateway") return target.id === obs.standby?.natGatewayId && obs.standby.state === "available";
    const instance = target.kind === "nat-instance" ? byEni.get(target.id) : undefined;
    return instance !== undefined && instanceUsable(instance, reportedDown);
  };

  // Usable-since bookkeeping for every target we know; targets that vanished are forgotten.
  const known: RouteTarget[] = [...obs.instances.map((i): RouteTarget => ({ kind: "nat-instance", id: i.eniId })), ...(standby ? [standby] : [])];
  const usableSince: Record<string, number> = {};
  for (const target of known) {
    if (usable(target)) usableSince[target.id] = state.usableSince[target.id] ?? obs.now;
  }
  const abandonedAt: Record<string, number> = {};
  for (const [id, at] of Object.entries(state.abandonedAt)) {
    if (obs.now - at < policy.holdDownMs) abandonedAt[id] = at;
  }

  const routed = obs.routes.filter((r): r is RouteView & { target: RouteTarget } => r.target !== undefined);
  const active = mostCommonTarget(routed);
  if (active === undefined) {
    return { state: { ...state, usableSince, abandonedAt }, changes: [], verdict: "no-route", home };
  }

  // The failure count belongs to the target it measured.
  const sameTarget = state.probedTarget === active.id;
  const previousFailures = sameTarget ? state.consecutiveFailures : 0;
  const failures = obs.probe === "failed" ? previousFailures + 1 : obs.probe === "ok" ? 0 : previousFailures;

  const downReason = whyDown(active, routed, failures, policy, obs, byEni, reportedDown);
  if (downReason === "probe-failed") abandonedAt[active.id] = obs.now;
  // The count stays with the target it measured: if a ReplaceRoute fails, the next round still sees
  // that target active, past the threshold, and tries again at once.
  const nextState: FailoverState = { probedTarget: active.id, consecutiveFailures: failures, usableSince, abandonedAt };
  const moveAll = (to: RouteTarget, reason: ChangeReason): RouteChange[] =>
    routed.filter((r) => r.target.id !== to.id || r.blackhole).map((r) => ({ routeTableId: r.routeTableId, from: r.target, to, reason }));

  if (downReason !== undefined) {
    const recentlyAbandoned = (t: RouteTarget): boolean => abandonedAt[t.id] !== undefined;
    const others = obs.instances
      .filter((i) => i.az !== policy.az)
      .sort((a, b) => a.az.localeCompare(b.az) || b.launchTime - a.launchTime)
      .map((i): RouteTarget => ({ kind: "nat-instance", id: i.eniId }));
    const candidate = [standby, home, ...others].find(
      (t): t is RouteTarget => t !== undefined && t.id !== active.id && usable(t) && !recentlyAbandoned(t),
    );
    if (candidate === undefined) {
      return { state: nextState, changes: [], verdict: "no-healthy-target", active, home, downReason };
    }
    return { state: nextState, changes: moveAll(candidate, "failover"), verdict: "failover", active: candidate, home, downReason };
  }

  if (home !== undefined && active.id !== home.id && failures === 0 && settled(home, obs.now, policy, usableSince, abandonedAt)) {
    return { state: nextState, changes: moveAll(home, "failback"), verdict: "failback", active: home, home };
  }

  const stragglers = moveAll(active, "converge");
  const verdict: Verdict = stragglers.length > 0 ? "converge" : failures > 0 ? "probing" : active.id === home?.id ? "healthy" : "failed-over";
  return { state: nextState, changes: stragglers, verdict, active, home };
}

/** Running, forwarding (source/dest check off) and not failing its status checks. */
function instanceUsable(instance: NatInstanceView, reportedDown: ReadonlySet<string>): boolean {
  return instance.state === RUNNING && !reportedDown.has(instance.instanceId) && !instance.sourceDestCheck && instance.statusChecks !== "impaired";
}

/** The AZ's NAT instance: a running one before others, then the newest (an ASG replacement overlaps its predecessor). */
function pickHome(instances: readonly NatInstanceView[], az: string, reportedDown: ReadonlySet<string>): NatInstanceView | undefined {
  return instances
    .filter((i) => i.az === az && !reportedDown.has(i.instanceId))
    .sort((a, b) => Number(b.state === RUNNING) - Number(a.state === RUNNING) || b.launchTime - a.launchTime)[0];
}

/** The target most of the tables use (first table wins a tie): the one the probe most likely measured. */
function mostCommonTarget(routed: ReadonlyArray<{ target: RouteTarget }>): RouteTarget | undefined {
  const counts = new Map<string, { target: RouteTarget; n: number }>();
  for (const r of routed) {
    const entry = counts.get(r.target.id) ?? { target: r.target, n: 0 };
    entry.n += 1;
    counts.set(r.target.id, entry);
  }
  let best: { target: RouteTarget; n: number } | undefined;
  for (const entry of counts.values()) if (best === undefined || entry.n > best.n) best = entry;
  return best?.target;
}

function whyDown(
  active: RouteTarget,
  routed: ReadonlyArray<RouteView & { target: RouteTarget }>,
  failures: number,
  policy: FailoverPolicy,
  obs: Observation,
  byEni: ReadonlyMap<string, NatInstanceView>,
  reportedDown: ReadonlySet<string>,
): DownReason | undefined {
  if (routed.some((r) => r.target.id === active.id && r.blackhole)) return "blackhole";
  if (active.kind === "nat-instance") {
    const instance = byEni.get(active.id);
    // An ENI that is none of our NAT instances is someone else's target: judged by the probe only.
    if (instance !== undefined && !instanceUsable(instance, reportedDown)) return "instance-down";
  }
  if (active.kind === "nat-gateway" && active.id === policy.standbyNatGatewayId && obs.standby !== undefined && !GATEWAY_UP.has(obs.standby.state)) {
    return "gateway-down";
  }
  if (failures >= policy.failureThreshold) return "probe-failed";
  return undefined;
}

function settled(
  target: RouteTarget,
  now: number,
  policy: FailoverPolicy,
  usableSince: Readonly<Record<string, number>>,
  abandonedAt: Readonly<Record<string, number>>,
): boolean {
  const since = usableSince[target.id];
  return since !== undefined && now - since >= policy.holdDownMs && abandonedAt[target.id] === undefined;
}
