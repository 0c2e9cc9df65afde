import type { BudgetRecord, JobRecord } from "../../lambdas/libs/ledger/types.js";
import { listInstances, scanRunnerConfigs } from "../adapters/fleet.js";
import type { InstanceFacts, RunnerConfigFacts } from "../adapters/fleet.js";
import { readDraining } from "../adapters/draining.js";
import { scanLedger } from "../adapters/ledger.js";
import { poolQueues, queueDepth } from "../adapters/queues.js";
import type { AwsClients } from "../clients.js";
import type { Deployment } from "../deployment.js";
import { duration, json, secondsSince, table } from "../format.js";

/** Runner states, as the `Runners` metric names them (contracts/metrics.ts, dimension `State`). */
export const RUNNER_STATES = ["booting", "idle", "busy", "offline"] as const;
export type RunnerState = (typeof RUNNER_STATES)[number];

export interface PoolStatus {
  readonly pool: string;
  /** Ledger jobs by phase (non-terminal phases only). */
  readonly received: number;
  readonly launching: number;
  readonly launched: number;
  readonly running: number;
  /** `received` jobs whose last claim was given back because a `max_runners` limit was reached. */
  readonly waitingOverLimits: number;
  readonly deadLetters: number;
  readonly runners: Readonly<Record<RunnerState, number>>;
}

export interface BudgetStatus extends BudgetRecord {
  /** Seconds until the budget resets; 0 once the reset time has passed (the budget is full again). */
  readonly resetsInSeconds: number;
  /** Age of the observation (scale-up saves one after each GitHub answer). */
  readonly observedSecondsAgo: number | null;
}

export interface Status {
  readonly draining: boolean;
  readonly pools: readonly PoolStatus[];
  readonly budgets: readonly BudgetStatus[];
}

/** The reason scale-up records when it gives a claim back at a limit (lambdas/scale-up/launch-group.ts). */
const LIMIT_RELEASE = /^limit of .+ reached$/;

/** Whether a job waits because a limit is reached: back in `received`, its last event a release at a limit. */
export function isWaitingOverLimits(job: JobRecord): boolean {
  const last = job.events?.at(-1);
  return job.phase === "received" && last?.what === "released" && LIMIT_RELEASE.test(last.detail ?? "");
}

/**
 * A runner's state from AWS alone (the reconciler also asks GitHub): `booting` while EC2 says pending
 * or its configuration is not written yet, `busy` when a running job's `in_progress` named its runner,
 * `idle` otherwise while running, `offline` when stopping or stopped.
 */
export function runnerState(instance: InstanceFacts, runnerName: string | undefined, busyRunners: ReadonlySet<string>): RunnerState {
  if (instance.state === "stopping" || instance.state === "stopped") return "offline";
  if (instance.state === "pending" || runnerName === undefined) return "booting";
  return busyRunners.has(runnerName) ? "busy" : "idle";
}

export interface StatusFacts {
  readonly pools: readonly string[];
  readonly draining: boolean;
  readonly jobs: readonly JobRecord[];
  readonly budgets: readonly BudgetRecord[];
  readonly deadLetters: ReadonlyMap<string, number>;
  readonly instances: readonly InstanceFacts[];
  readonly runnerConfigs: readonly RunnerConfigFacts[];
  readonly now: Date;
}

/** The status summary from what was read; pools seen only on jobs or instances are listed too. */
export function summarize(facts: StatusFacts): Status {
  const names = new Set(facts.pools);
  for (const job of facts.jobs) if (job.pool !== undefined && job.phase !== "completed" && job.phase !== "failed" && job.phase !== "cancelled") names.add(job.pool);
  for (const instance of facts.instances) if (instance.pool !== undefined) names.add(instance.pool);
  const runnerOf = new Map(facts.runnerConfigs.map((config) => [config.instanceId, config.runnerName]));
  const busy = new Set(facts.jobs.filter((job) => job.phase === "running" && job.ranOn !== undefined).map((job) => job.ranOn as string));
  const pools = [...names].sort().map((pool): PoolStatus => {
    const jobs = facts.jobs.filter((job) => job.pool === pool);
    const count = (phase: JobRecord["phase"]) => jobs.filter((job) => job.phase === phase).length;
    const runners: Record<RunnerState, number> = { booting: 0, idle: 0, busy: 0, offline: 0 };
    for (const instance of facts.instances.filter((i) => i.pool === pool)) runners[runnerState(instance, runnerOf.get(instance.instanceId), busy)] += 1;
    return {
      pool,
      received: count("received"),
      launching: count("launching"),
      launched: count("launched"),
      running: count("running"),
      waitingOverLimits: jobs.filter(isWaitingOverLimits).length,
      deadLetters: facts.deadLetters.get(pool) ?? 0,
      runners,
    };
  });
  const nowSeconds = Math.floor(facts.now.getTime() / 1000);
  const budgets = facts.budgets.map((budget) => ({ ...budget, resetsInSeconds: Math.max(0, budget.resetAt - nowSeconds), observedSecondsAgo: secondsSince(budget.observedAt, facts.now) ?? null }));
  return { draining: facts.draining, pools, budgets };
}

/** Reads everything `status` shows: the ledger, queues, instances, runner configurations, the switch. */
export async function readStatus(clients: AwsClients, deployment: Deployment, now: Date): Promise<Status> {
  const [queues, ledger, instances, runnerConfigs, draining] = await Promise.all([
    poolQueues(clients.sqs, deployment),
    scanLedger(clients.dynamoDb, deployment.jobsTable),
    listInstances(clients.ec2, deployment.prefix),
    scanRunnerConfigs(clients.dynamoDb, deployment.runnersTable),
    readDraining(clients.ssm, deployment.drainingParameter),
  ]);
  const depths = await Promise.all(queues.map(async (q) => [q.pool, await queueDepth(clients.sqs, q.deadLetterQueueUrl)] as const));
  return summarize({ pools: queues.map((q) => q.pool), draining, ...ledger, deadLetters: new Map(depths), instances, runnerConfigs, now });
}

export function formatStatus(status: Status, asJson: boolean): string {
  if (asJson) return json(status);
  const n = String;
  const pools = table(
    [
      { header: "POOL" },
      ...["RECEIVED", "LAUNCHING", "LAUNCHED", "RUNNING", "OVER-LIMITS", "DLQ", "BOOTING", "IDLE", "BUSY", "OFFLINE"].map((header) => ({ header, align: "right" as const })),
    ],
    status.pools.map((p) => [
      p.pool,
      n(p.received),
      n(p.launching),
      n(p.launched),
      n(p.running),
      n(p.waitingOverLimits),
      n(p.deadLetters),
      n(p.runners.booting),
      n(p.runners.idle),
      n(p.runners.busy),
      n(p.runners.offline),
    ]),
  );
  const budgets =
    status.budgets.length === 0
      ? "GitHub budget: no observation yet (scale-up records one per App after its first GitHub call)"
      : table(
          [{ header: "APP" }, { header: "INSTALLATION" }, { header: "REMAINING", align: "right" }, { header: "LIMIT", align: "right" }, { header: "RESETS IN", align: "right" }, { header: "OBSERVED", align: "right" }],
          status.budgets.map((b) => [n(b.appId), n(b.installationId), n(b.remaining), n(b.limit), b.resetsInSeconds === 0 ? "reset" : duration(b.resetsInSeconds), b.observedSecondsAgo === null ? b.observedAt : `${duration(b.observedSecondsAgo)} ago`]),
        );
  return [`draining: ${status.draining ? "on (launches paused)" : "off"}`, "", pools, "", budgets].join("\n");
}
