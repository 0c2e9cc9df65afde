import { RUNNER_SCOPES, enumEnv, gitHubAppConfigFromEnv, jsonEnv, optionalEnv, positiveIntEnv, requireEnv } from "../shared/index.js";
import type { GitHubAppConfig, RunnerScope } from "../shared/index.js";
import { parseWarmSchedule } from "./warm.js";
import type { WarmPool } from "./warm.js";

export const DEFAULT_BOOT_TIMEOUT_SECONDS = 600;
export const DEFAULT_IDLE_TIMEOUT_SECONDS = 1800;

export const RECONCILE_DEFAULTS = {
  /** Longer than GitHub's busy-flag lag (up to a minute) plus a listing. */
  busyConfirmSeconds: 90,
  relaunchGraceSeconds: 300,
  /** Scale-up touches a waiting job at least every BACKOFF_MAX_SECONDS (900); this is well past it. */
  requeueAfterSeconds: 1800,
  instanceListingLagSeconds: 120,
  maxJobChecks: 50,
} as const;

/** A pool's queue, for messages the reconciler queues again, and its warm pool. */
export interface ReconcilePool {
  readonly queueUrl: string;
  readonly warm: WarmPool | undefined;
}

export interface ReconcileConfig {
  readonly prefix: string;
  readonly scope: RunnerScope;
  readonly app: GitHubAppConfig;
  readonly runnersTable: string;
  readonly jobsTable: string;
  readonly drainingParameter: string;
  readonly pools: Readonly<Record<string, ReconcilePool>>;
  readonly bootTimeoutSeconds: number;
  readonly idleTimeoutSeconds: number;
  readonly busyConfirmSeconds: number;
  readonly relaunchGraceSeconds: number;
  readonly requeueAfterSeconds: number;
  readonly rerunInterrupted: boolean;
  readonly maxJobChecks: number;
}

export function reconcileConfigFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): ReconcileConfig {
  const int = (name: string, fallback: number): number => positiveIntEnv(name, fallback, env);
  return {
    prefix: requireEnv("PREFIX", env),
    scope: enumEnv("RUNNER_SCOPE", RUNNER_SCOPES, env),
    app: gitHubAppConfigFromEnv(env),
    runnersTable: requireEnv("RUNNERS_TABLE", env),
    jobsTable: requireEnv("JOBS_TABLE", env),
    drainingParameter: requireEnv("DRAINING_PARAMETER", env),
    pools: jsonEnv(
      "POOLS",
      (reader) =>
        Object.fromEntries(
          reader.entries().map(([key, pool]) => {
            const size = pool.optionalField("warmSize")?.integer(0) ?? 0;
            const owner = pool.optionalField("warmOwner")?.value;
            const schedule = pool.optionalField("warmSchedule")?.value;
            if (typeof schedule === "string") {
              try {
                parseWarmSchedule(schedule);
              } catch (error) {
                pool.fail(error instanceof Error ? error.message : String(error));
              }
            }
            const warm = size > 0 && typeof owner === "string" && owner !== "" ? { size, owner, schedule: typeof schedule === "string" ? schedule : "" } : undefined;
            return [key, { queueUrl: pool.field("queueUrl").string(), warm }];
          }),
        ),
      env,
    ),
    bootTimeoutSeconds: int("BOOT_TIMEOUT_SECONDS", DEFAULT_BOOT_TIMEOUT_SECONDS),
    idleTimeoutSeconds: int("IDLE_TIMEOUT_SECONDS", DEFAULT_IDLE_TIMEOUT_SECONDS),
    busyConfirmSeconds: int("BUSY_CONFIRM_SECONDS", RECONCILE_DEFAULTS.busyConfirmSeconds),
    relaunchGraceSeconds: int("RELAUNCH_GRACE_SECONDS", RECONCILE_DEFAULTS.relaunchGraceSeconds),
    requeueAfterSeconds: int("REQUEUE_AFTER_SECONDS", RECONCILE_DEFAULTS.requeueAfterSeconds),
    rerunInterrupted: enumEnv("RERUN_INTERRUPTED_JOBS", ["true", "false"] as const, { RERUN_INTERRUPTED_JOBS: optionalEnv("RERUN_INTERRUPTED_JOBS", "true", env) }) === "true",
    maxJobChecks: int("MAX_JOB_CHECKS", RECONCILE_DEFAULTS.maxJobChecks),
  };
}
