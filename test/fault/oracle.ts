import type { Ec2Instance } from "./world/ec2.js";

/**
 * The fault suite's oracle: figures judged from what happened in the world (instances, runners,
 * GitHub's jobs), never from the control plane's own account of it (docs/reliability.md, "The
 * oracle"). The ledger is read only to compare its counters with the instances that really live.
 */

/** What the oracle needs of one simulated runner (world/options.ts `RunnerSim`). */
export interface RunnerHistory {
  readonly instance: Pick<Ec2Instance, "instanceId" | "launchTime">;
  readonly configured: boolean;
  /** The ledger key the runner's configuration was written for (`job#<id>#<attempt>` or `warm#<id>`). */
  readonly jobKey: string | undefined;
  /** The GitHub job it took, if any. */
  readonly jobId: number | undefined;
  readonly takenAt: number | undefined;
  readonly interruptedAt: number | undefined;
  readonly goneAt: number | undefined;
}

export type ReplacementReason = "took another job" | "interrupted" | "gone without a job";

/** A runner launched for a job that already had one: why the world needed it, or why not. */
export interface Replacement {
  readonly key: string;
  readonly instanceId: string;
  /** Undefined: an earlier runner of the job could still take it (or took it): a duplicate. */
  readonly because: ReplacementReason | undefined;
}

/** The GitHub job id a ledger key names (undefined for a warm runner's synthetic job). */
export function jobIdOfKey(key: string): number | undefined {
  const match = /^job#(\d+)#\d+$/.exec(key);
  return match === null ? undefined : Number(match[1]);
}

/**
 * Every configured runner after the first of its job, judged at its launch: justified only when each
 * earlier runner of that job was lost to it by then (took another job, was warned of a spot
 * interruption, or ended without taking it). An earlier runner that took the job itself, or that
 * was still waiting for a job, makes the later one a duplicate.
 */
export function replacements(runners: readonly RunnerHistory[]): Replacement[] {
  const byKey = new Map<string, RunnerHistory[]>();
  for (const runner of runners) {
    if (!runner.configured || runner.jobKey === undefined) continue;
    byKey.set(runner.jobKey, [...(byKey.get(runner.jobKey) ?? []), runner]);
  }
  const out: Replacement[] = [];
  for (const [key, list] of byKey) {
    const ordered = [...list].sort((a, b) => a.instance.launchTime - b.instance.launchTime || a.instance.instanceId.localeCompare(b.instance.instanceId));
    const jobId = jobIdOfKey(key);
    ordered.forEach((runner, index) => {
      if (index === 0) return;
      const at = runner.instance.launchTime;
      const reasons = ordered.slice(0, index).map((earlier) => lostBy(earlier, jobId, at));
      const because = reasons.every((reason) => reason !== undefined) ? reasons.at(-1) : undefined;
      out.push({ key, instanceId: runner.instance.instanceId, because });
    });
  }
  return out;
}

function lostBy(runner: RunnerHistory, jobId: number | undefined, at: number): ReplacementReason | undefined {
  const took = runner.takenAt !== undefined && runner.takenAt <= at;
  if (took && jobId !== undefined && runner.jobId === jobId) return undefined;
  if (took) return "took another job";
  if (runner.interruptedAt !== undefined && runner.interruptedAt <= at) return "interrupted";
  if (runner.goneAt !== undefined && runner.goneAt <= at) return "gone without a job";
  return undefined;
}

/** Instances launched that never read a runner configuration (a crash, a hung boot, an undone launch). */
export function wastedInstances(instances: readonly Pick<Ec2Instance, "instanceId">[], runners: ReadonlyMap<string, Pick<RunnerHistory, "configured">>): string[] {
  return instances.filter((instance) => runners.get(instance.instanceId)?.configured !== true).map((instance) => instance.instanceId);
}

/** One ledger counter (`limit#global`, `limit#pool#<pool>`, `limit#owner#<owner>`) against the instances that live. */
export interface CounterDrift {
  readonly counter: string;
  readonly inUse: number;
  readonly live: number;
}

type Tagged = Pick<Ec2Instance, "instanceId" | "tags">;

const POOL_TAG = "self-runners:pool";
const OWNER_TAG = "self-runners:owner";

/** Live instances per counter key: the global one, one per pool, one per owner. */
export function liveByCounter(live: readonly Tagged[]): Map<string, number> {
  const counts = new Map<string, number>([["limit#global", live.length]]);
  for (const instance of live) {
    for (const key of [`limit#pool#${instance.tags.get(POOL_TAG) ?? ""}`, `limit#owner#${instance.tags.get(OWNER_TAG) ?? ""}`]) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/**
 * Every counter that differs from the live instances it counts, in either direction (not clipped at
 * zero: a counter below the truth lets the fleet go above its limit, one above it starves jobs).
 */
export function counterDrift(counters: ReadonlyMap<string, number>, live: readonly Tagged[]): CounterDrift[] {
  const truth = liveByCounter(live);
  const keys = [...new Set([...counters.keys(), ...truth.keys()])].sort();
  return keys.map((counter) => ({ counter, inUse: counters.get(counter) ?? 0, live: truth.get(counter) ?? 0 })).filter((d) => d.inUse !== d.live);
}

/** The limits of the deployment under test. */
export interface FleetLimits {
  readonly total: number;
  readonly perOwner: number;
  readonly perPool: Readonly<Record<string, number>>;
}

export interface LimitBreach {
  readonly at: number;
  readonly limit: string;
  readonly live: number;
  readonly max: number;
}

/**
 * The fifth invariant, never above any limit: the world's live instances (pending or running) per
 * pool, per owner and in all, observed whenever the set can grow (after every CreateFleet) and on
 * every tick of the world's clock.
 */
export class LimitWatch {
  readonly breaches: LimitBreach[] = [];
  /** The most instances above a limit at one instant (0: never above). */
  worstExcess = 0;

  constructor(private readonly limits: FleetLimits) {}

  observe(live: readonly Tagged[], at: number): void {
    for (const [counter, count] of liveByCounter(live)) {
      const max = this.limitOf(counter);
      if (count <= max) continue;
      this.worstExcess = Math.max(this.worstExcess, count - max);
      if (this.breaches.length < 20) this.breaches.push({ at, limit: counter, live: count, max });
    }
  }

  private limitOf(counter: string): number {
    if (counter === "limit#global") return this.limits.total;
    if (counter.startsWith("limit#owner#")) return this.limits.perOwner;
    return this.limits.perPool[counter.slice("limit#pool#".length)] ?? 0;
  }
}
