import type { NatNetwork } from "../../lambdas/nat-failover/adapters/ec2.js";
import type { EgressProbe } from "../../lambdas/nat-failover/adapters/probe.js";
import { probeTimeoutFor } from "../../lambdas/nat-failover/config.js";
import type { NatInstanceView, RouteTarget, RouteView } from "../../lambdas/nat-failover/decide.js";
import { newMemory, onStateChange, runLoop } from "../../lambdas/nat-failover/failover.js";
import type { FailoverDeps } from "../../lambdas/nat-failover/failover.js";
import { SimulatedClock } from "./simulated-clock.js";

// A two-AZ VPC for failover simulations: NAT instances, private route tables, which targets forward
// traffic, and a probe that fails (after its timeout) when the probing AZ's egress path does not work.

export const AZ_A = "eu-west-1a";
export const AZ_B = "eu-west-1b";
export const NAT_A = { instanceId: "i-0aaaaaaaaaaaaaaa1", az: AZ_A, eniId: "eni-0aaaaaaaaaaaaaaa1" };
export const NAT_B = { instanceId: "i-0bbbbbbbbbbbbbbb1", az: AZ_B, eniId: "eni-0bbbbbbbbbbbbbbb1" };
export const ROUTE_TABLES_A = ["rtb-0aaaaaaaaaaaaaaa1", "rtb-0aaaaaaaaaaaaaaa2"];

export interface ReplaceCall {
  readonly at: number;
  readonly routeTableId: string;
  readonly target: RouteTarget;
}

export class NatWorld {
  readonly instances = new Map<string, NatInstanceView>();
  readonly routes = new Map<string, RouteTarget | undefined>();
  /** ENIs whose instance looks fine but forwards nothing (broken NAT rules, exhausted conntrack, ...). */
  readonly dropping = new Set<string>();
  readonly replaceCalls: ReplaceCall[] = [];

  constructor(readonly clock: { now(): number }) {
    for (const nat of [NAT_A, NAT_B]) {
      this.instances.set(nat.instanceId, { ...nat, state: "running", sourceDestCheck: false, statusChecks: "ok", launchTime: -86_400_000 });
    }
    for (const table of ROUTE_TABLES_A) this.routes.set(table, { kind: "nat-instance", id: NAT_A.eniId });
  }

  /** A plain-object EC2 double (no SDK): what the benchmark uses. */
  network(): NatNetwork {
    return {
      natInstances: async () => [...this.instances.values()],
      defaultRoutes: async (ids) => ids.map((id) => this.route(id)),
      natGateway: async () => undefined,
      replaceDefaultRoute: async (routeTableId, target) => this.replace(routeTableId, target),
    };
  }

  route(routeTableId: string): RouteView {
    const target = this.routes.get(routeTableId);
    const eniGone = target?.kind === "nat-instance" && ![...this.instances.values()].some((i) => i.eniId === target.id);
    return { routeTableId, target, blackhole: eniGone };
  }

  replace(routeTableId: string, target: RouteTarget): void {
    this.replaceCalls.push({ at: this.clock.now(), routeTableId, target });
    this.routes.set(routeTableId, target);
  }

  /** Egress from the AZ's subnets works when their route leads to a running NAT that forwards. */
  egressWorks(routeTableId: string): boolean {
    const target = this.routes.get(routeTableId);
    const instance = [...this.instances.values()].find((i) => i.eniId === target?.id);
    return instance !== undefined && instance.state === "running" && !this.dropping.has(instance.eniId);
  }

  /** The probe double: decided when the round starts; a failed probe takes its whole timeout. */
  probe(clock: SimulatedClock, timeoutMs: number, routeTableId = ROUTE_TABLES_A[0]): EgressProbe {
    return async () => {
      if (this.egressWorks(routeTableId)) {
        await clock.sleep(40);
        return "ok";
      }
      await clock.sleep(timeoutMs);
      return "failed";
    };
  }
}

export interface FailoverScenario {
  readonly probeIntervalMs: number;
  readonly failureThreshold: number;
  readonly holdDownMs?: number;
  /** How long each scheduled invocation loops (the handler's LOOP_SECONDS). */
  readonly loopMs?: number;
  /** When NAT A fails, in simulated ms from the first scheduled invocation. */
  readonly failAt: number;
  /** `drops-traffic`: the instance stays running and only the probe can tell; `terminated`: it goes away. */
  readonly failure: "drops-traffic" | "terminated";
  /** For `drops-traffic`: when NAT A forwards again; undefined: never. */
  readonly repairAt?: number;
  /** How long to simulate after the failure. */
  readonly simulateMs?: number;
  /** For `terminated`: when the EC2 state-change event's invocation starts after the failure; undefined: no event. */
  readonly eventDelayMs?: number;
  /** Every scheduled invocation starts in a fresh execution environment (failure counts forgotten at each minute). */
  readonly coldStarts?: boolean;
  /** The EC2 double the failover talks to; defaults to the plain one. */
  readonly network?: (world: NatWorld) => NatNetwork;
}

export interface FailoverMeasurement {
  /** Simulated ms from the failure to the first ReplaceRoute; undefined if none happened. */
  readonly failureToReplaceMs?: number;
  readonly world: NatWorld;
}

/**
 * Runs scheduled invocations every minute (each looping `loopMs`) with NAT A failing at `failAt`, and
 * measures when the first ReplaceRoute happens. The state-change invocation, if any, runs in its own
 * (cold) execution environment, as on Lambda.
 */
export async function measureFailover(s: FailoverScenario): Promise<FailoverMeasurement> {
  const clock = new SimulatedClock(0);
  const world = new NatWorld(clock);
  const probeTimeoutMs = probeTimeoutFor(s.probeIntervalMs);
  const deps: FailoverDeps = {
    policy: { az: AZ_A, failureThreshold: s.failureThreshold, holdDownMs: s.holdDownMs ?? 300_000 },
    routeTableIds: ROUTE_TABLES_A,
    probeIntervalMs: s.probeIntervalMs,
    probeTimeoutMs,
    network: (s.network ?? ((w) => w.network()))(world),
    probe: world.probe(clock, probeTimeoutMs),
    clock,
  };
  const loopMs = s.loopMs ?? 58_000;
  const endAt = s.failAt + (s.simulateMs ?? 120_000);

  const failure = (async () => {
    await clock.sleep(s.failAt);
    if (s.failure === "drops-traffic") {
      world.dropping.add(NAT_A.eniId);
      if (s.repairAt === undefined) return;
      await clock.sleep(s.repairAt - clock.now());
      world.dropping.delete(NAT_A.eniId);
      return;
    }
    world.instances.set(NAT_A.instanceId, { ...(world.instances.get(NAT_A.instanceId) as NatInstanceView), state: "shutting-down" });
    if (s.eventDelayMs === undefined) return;
    await clock.sleep(s.eventDelayMs);
    await onStateChange(deps, newMemory(), NAT_A.instanceId, "shutting-down");
  })();
  const schedule = (async () => {
    let memory = newMemory();
    for (let minute = 0; minute * 60_000 < endAt; minute++) {
      const start = minute * 60_000;
      await clock.sleep(start - clock.now());
      if (s.coldStarts) memory = newMemory();
      await runLoop(deps, memory, start + loopMs);
    }
  })();
  await clock.run(Promise.all([failure, schedule]));
  const first = world.replaceCalls[0];
  return { failureToReplaceMs: first === undefined ? undefined : first.at - s.failAt, world };
}

/**
 * The worst case the configuration implies for a NAT that keeps running but stops forwarding:
 * the failure lands just after a round's probe succeeded, the next round starts up to one interval
 * later, `threshold` rounds must fail, and the last one fails only when its probe times out.
 */
export function failoverBoundMs(probeIntervalMs: number, failureThreshold: number): number {
  return failureThreshold * probeIntervalMs + probeTimeoutFor(probeIntervalMs);
}
