import { RECONCILE_ENV } from "../../contracts/reconcile.js";
import { InvalidEnvError, gitHubAppConfigFromEnv, parseEnv } from "../shared/index.js";
import type { GitHubAppConfig, RunnerScope } from "../shared/index.js";
import type { RerunApp } from "./adapters/rerun-app.js";
import { parseWarmSchedule } from "./warm.js";
import type { WarmPool } from "./warm.js";

/** A pool's queue, for messages the reconciler queues again, and its warm pool. */
export interface ReconcilePool {
  readonly queueUrl: string;
  /** The pool's labels: the webhook healer matches the jobs it recovers with them, as the webhook does. */
  readonly labels: readonly string[];
  readonly warm: WarmPool | undefined;
}

export interface ReconcileConfig {
  readonly prefix: string;
  /** Only instances with one of these instance profiles are ours (the shared one, the pools' own). */
  readonly runnerInstanceProfileArns: readonly string[];
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
  /** The App re-runs are requested with, when not the runner App (adapters/rerun-app.ts). */
  readonly rerunApp: RerunApp | undefined;
  readonly maxJobChecks: number;
  /** GitHub requests of the webhook healer per round; 0 turns it off. */
  readonly healerMaxGithubCalls: number;
}

export function reconcileConfigFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): ReconcileConfig {
  const parsed = parseEnv(RECONCILE_ENV, env);
  return {
    prefix: parsed.prefix,
    runnerInstanceProfileArns: parsed.runnerInstanceProfileArns,
    scope: parsed.runnerScope,
    app: gitHubAppConfigFromEnv(env),
    runnersTable: parsed.runnersTable,
    jobsTable: parsed.jobsTable,
    drainingParameter: parsed.drainingParameter,
    pools: Object.fromEntries(
      Object.entries(parsed.pools).map(([key, pool]) => {
        const { warmSize, warmOwner, warmSchedule } = pool;
        if (warmSchedule !== undefined && warmSchedule !== "") {
          try {
            parseWarmSchedule(warmSchedule);
          } catch (error) {
            throw new InvalidEnvError(RECONCILE_ENV.pools.name, `$.${key}: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
        const warm = warmSize > 0 && warmOwner !== undefined && warmOwner !== "" ? { size: warmSize, owner: warmOwner, schedule: warmSchedule ?? "" } : undefined;
        return [key, { queueUrl: pool.queueUrl, labels: pool.labels, warm }];
      }),
    ),
    bootTimeoutSeconds: parsed.runnerBootTimeoutSeconds,
    idleTimeoutSeconds: parsed.runnerIdleTimeoutSeconds,
    busyConfirmSeconds: parsed.busyConfirmSeconds,
    relaunchGraceSeconds: parsed.relaunchGraceSeconds,
    requeueAfterSeconds: parsed.requeueAfterSeconds,
    rerunInterrupted: parsed.rerunInterruptedJobs,
    rerunApp: rerunAppOf(parsed.rerunGithubAppId, parsed.rerunGithubAppPrivateKeySsmParameterName),
    maxJobChecks: parsed.maxJobChecks,
    healerMaxGithubCalls: parsed.healerMaxGithubCalls,
  };
}

/** Both the re-run App's id and key parameter, or neither. */
function rerunAppOf(appId: number | undefined, privateKeyParameter: string | undefined): RerunApp | undefined {
  if (appId === undefined && privateKeyParameter === undefined) return undefined;
  if (appId === undefined || privateKeyParameter === undefined) {
    throw new InvalidEnvError(RECONCILE_ENV.rerunGithubAppId.name, `and ${RECONCILE_ENV.rerunGithubAppPrivateKeySsmParameterName.name} must be set together`);
  }
  return { appId, privateKeyParameter };
}
