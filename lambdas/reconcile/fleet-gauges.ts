import { METRICS, emitMetric, runnerName } from "../shared/index.js";
import { isLimitRelease } from "../libs/ledger/phases.js";
import type { JobRecord } from "../libs/ledger/types.js";
import type { InstanceView, RegistrationView } from "./decide.js";

export const RUNNER_STATES = ["booting", "idle", "busy", "offline"] as const;
export type RunnerState = (typeof RUNNER_STATES)[number];

export interface PoolGauges {
  /** Seconds since the oldest job without a runner yet was received; 0 when there is none. */
  readonly oldestWaitingJobAge: number;
  /** Jobs given back because a `max_runners` limit was reached, still waiting. */
  readonly jobsWaitingOverLimits: number;
  readonly runners: Readonly<Record<RunnerState, number>>;
}

export interface GaugeInput {
  /** Every pool key: each gets its series, zeros included, so alarms and dashboards never see "missing". */
  readonly pools: readonly string[];
  readonly jobs: readonly JobRecord[];
  readonly instances: readonly InstanceView[];
  /** Registrations per owner, as listed this run. */
  readonly registrations: ReadonlyMap<string, readonly RegistrationView[]>;
  /** Runner names the ledger says run a job now. */
  readonly runningOn: ReadonlySet<string>;
  readonly prefix: string;
  readonly now: Date;
}

/** Phases of a job that has no runner yet (received, queued, deferred or launching). */
const WITHOUT_RUNNER = new Set(["received", "launching"]);

/** The per-pool gauges of one reconcile run, from what it already read. Pure. */
export function fleetGauges(input: GaugeInput): ReadonlyMap<string, PoolGauges> {
  const gauges = new Map<string, { oldestWaitingJobAge: number; jobsWaitingOverLimits: number; runners: Record<RunnerState, number> }>();
  const of = (pool: string) => {
    let gauge = gauges.get(pool);
    if (gauge === undefined) {
      gauge = { oldestWaitingJobAge: 0, jobsWaitingOverLimits: 0, runners: { booting: 0, idle: 0, busy: 0, offline: 0 } };
      gauges.set(pool, gauge);
    }
    return gauge;
  };
  for (const pool of input.pools) of(pool);

  for (const job of input.jobs) {
    if (job.kind === "warm" || job.pool === undefined || !WITHOUT_RUNNER.has(job.phase)) continue;
    const gauge = of(job.pool);
    const receivedAt = job.receivedAt === undefined ? Number.NaN : Date.parse(job.receivedAt);
    if (Number.isFinite(receivedAt)) gauge.oldestWaitingJobAge = Math.max(gauge.oldestWaitingJobAge, Math.max(0, (input.now.getTime() - receivedAt) / 1000));
    const last = job.events?.at(-1);
    if (job.phase === "received" && last?.what === "released" && isLimitRelease(last.detail)) gauge.jobsWaitingOverLimits += 1;
  }

  for (const instance of input.instances) {
    if (instance.pool === undefined) continue;
    of(instance.pool).runners[runnerState(instance, input)] += 1;
  }
  return gauges;
}

/** An instance's runner state: registered and busy, registered and idle, registered but offline, or not registered yet. */
function runnerState(instance: InstanceView, input: GaugeInput): RunnerState {
  if (instance.state === "stopping" || instance.state === "stopped") return "offline";
  const name = runnerName(input.prefix, instance.instanceId);
  if (input.runningOn.has(name)) return "busy";
  const registration = instance.owner === undefined ? undefined : input.registrations.get(instance.owner)?.find((r) => r.name === name);
  if (registration === undefined) return "booting";
  if (registration.busy) return "busy";
  return registration.status === "online" ? "idle" : "offline";
}

/** Publishes the gauges: one data point per pool (and per state) each run. */
export function emitFleetGauges(gauges: ReadonlyMap<string, PoolGauges>): void {
  for (const [pool, gauge] of gauges) {
    emitMetric(METRICS.oldestWaitingJobAge, gauge.oldestWaitingJobAge, { Pool: pool });
    emitMetric(METRICS.jobsWaitingOverLimits, gauge.jobsWaitingOverLimits, { Pool: pool });
    for (const state of RUNNER_STATES) emitMetric(METRICS.runnersByState, gauge.runners[state], { Pool: pool, State: state });
  }
}
