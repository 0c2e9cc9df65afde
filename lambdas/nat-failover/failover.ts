import { METRICS, childLogger, emitMetric } from "../shared/index.js";
import type { NatNetwork } from "./adapters/ec2.js";
import type { EgressProbe } from "./adapters/probe.js";
import { INITIAL_STATE, decide } from "./decide.js";
import type { Decision, FailoverPolicy, FailoverState, Observation, Verdict } from "./decide.js";

const log = childLogger("nat-failover");

/** Time as the loop sees it; tests and the benchmark inject a simulated one. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface FailoverDeps {
  readonly policy: FailoverPolicy;
  readonly routeTableIds: readonly string[];
  readonly probeIntervalMs: number;
  readonly probeTimeoutMs: number;
  readonly network: NatNetwork;
  readonly probe: EgressProbe;
  readonly clock: Clock;
}

/** What one execution environment remembers between rounds and invocations. */
export interface FailoverMemory {
  state: FailoverState;
  lastVerdict?: Verdict;
  /** The NAT instance ids of the last round, and when they were read: state-change events of other instances are ignored without an API call. */
  knownInstances?: { readonly ids: ReadonlySet<string>; readonly at: number };
}

export function newMemory(): FailoverMemory {
  return { state: INITIAL_STATE };
}

export interface RoundSummary {
  readonly verdict?: Verdict;
  readonly replaced: number;
  readonly errors: number;
}

export interface LoopSummary {
  readonly rounds: number;
  readonly replaced: number;
  readonly errors: number;
  readonly verdict?: Verdict;
}

/** States of an EC2 state-change event that mean a NAT instance stops forwarding. */
export const DOWN_STATES: readonly string[] = ["stopping", "stopped", "shutting-down", "terminated"];
/** How long a list of NAT instances is trusted to ignore other instances' state-change events. */
export const KNOWN_INSTANCES_TTL_MS = 10 * 60_000;

/**
 * One round: observe (instances, routes, standby gateway and, unless told otherwise, the probe, all
 * at once), decide, then replace routes. When the instances and routes alone already show the active
 * target down (stopped, terminated, blackhole), the routes move before the probe has finished: the probe
 * only measures the dead path. Observation failures skip the decision: acting on half a picture could
 * move routes away from a healthy NAT.
 */
export async function runRound(deps: FailoverDeps, memory: FailoverMemory, options: { probe: boolean; reportedDown?: readonly string[] }): Promise<RoundSummary> {
  const { network, policy } = deps;
  const probing = options.probe ? deps.probe() : undefined;
  let observation: Observation;
  try {
    const [instances, routes, standby] = await Promise.all([
      network.natInstances(),
      network.defaultRoutes(deps.routeTableIds),
      policy.standbyNatGatewayId ? network.natGateway(policy.standbyNatGatewayId) : Promise.resolve(undefined),
    ]);
    observation = { now: deps.clock.now(), routes, instances, standby, reportedDown: options.reportedDown };
    memory.knownInstances = { ids: new Set(instances.map((i) => i.instanceId)), at: observation.now };
  } catch (error) {
    await probing;
    log.error("observing the network failed", { error, az: policy.az });
    emitMetric(METRICS.natFailoverErrors, 1);
    return { replaced: 0, errors: 1 };
  }

  let decision = decide(memory.state, observation, policy);
  if (probing !== undefined && decision.verdict !== "failover") {
    observation = { ...observation, probe: await probing, now: deps.clock.now() };
    decision = decide(memory.state, observation, policy);
    if (observation.probe === "failed") emitMetric(METRICS.natProbeFailures, 1);
  }
  memory.state = decision.state;
  const { replaced, errors } = await apply(deps, decision);
  report(memory, decision, policy.az);
  memory.lastVerdict = decision.verdict;
  await probing;
  return { verdict: decision.verdict, replaced, errors };
}

/**
 * Rounds every `probeIntervalMs` (on a fixed grid from the first round) until the next round could
 * not finish its probe before `deadline`.
 */
export async function runLoop(deps: FailoverDeps, memory: FailoverMemory, deadline: number): Promise<LoopSummary> {
  let rounds = 0;
  let replaced = 0;
  let errors = 0;
  let verdict: Verdict | undefined;
  let roundStart = deps.clock.now();
  for (;;) {
    const round = await runRound(deps, memory, { probe: true });
    rounds += 1;
    replaced += round.replaced;
    errors += round.errors;
    verdict = round.verdict ?? verdict;
    // A slow round (EC2 throttling, say) moves the grid instead of bunching the next rounds.
    roundStart = Math.max(roundStart + deps.probeIntervalMs, deps.clock.now());
    if (roundStart + deps.probeTimeoutMs > deadline) break;
    await deps.clock.sleep(roundStart - deps.clock.now());
  }
  return { rounds, replaced, errors, verdict };
}

/**
 * An EC2 state-change event: one immediate round without a probe, with the instance marked down
 * (DescribeInstances may lag the event). Instances known not to be NAT instances are ignored without
 * any API call: the rule cannot filter by tag, so every runner's termination arrives here too.
 */
export async function onStateChange(deps: FailoverDeps, memory: FailoverMemory, instanceId: string, state: string): Promise<RoundSummary | "ignored"> {
  if (!DOWN_STATES.includes(state)) return "ignored";
  const known = memory.knownInstances;
  if (known && deps.clock.now() - known.at < KNOWN_INSTANCES_TTL_MS && !known.ids.has(instanceId)) return "ignored";
  return runRound(deps, memory, { probe: false, reportedDown: [instanceId] });
}

async function apply(deps: FailoverDeps, decision: Decision): Promise<{ replaced: number; errors: number }> {
  let replaced = 0;
  let errors = 0;
  await Promise.all(
    decision.changes.map(async (change) => {
      try {
        await deps.network.replaceDefaultRoute(change.routeTableId, change.to);
        replaced += 1;
        log.warn("default route replaced", { az: deps.policy.az, routeTableId: change.routeTableId, from: change.from, to: change.to, reason: change.reason });
      } catch (error) {
        errors += 1;
        log.error("replacing the default route failed", { error, az: deps.policy.az, routeTableId: change.routeTableId, to: change.to });
      }
    }),
  );
  if (replaced > 0) emitMetric(METRICS.natRouteReplacements, replaced);
  if (errors > 0) emitMetric(METRICS.natFailoverErrors, errors);
  return { replaced, errors };
}

/** Logs verdict changes only: a round runs every few seconds. */
function report(memory: FailoverMemory, decision: Decision, az: string): void {
  if (decision.verdict === memory.lastVerdict) return;
  const fields = { az, verdict: decision.verdict, active: decision.active, home: decision.home, downReason: decision.downReason, failures: decision.state.consecutiveFailures };
  if (decision.verdict === "no-healthy-target") {
    emitMetric(METRICS.natNoHealthyTarget, 1);
    log.error("egress lost and no healthy target left", fields);
  } else if (decision.verdict === "no-route") {
    log.warn("no default route in the route tables yet", fields);
  } else {
    log.info("failover verdict changed", fields);
  }
}
