import { SCALE_UP_ENV } from "../../contracts/scale-up.js";
import { gitHubAppConfigFromEnv, parseEnv } from "../shared/index.js";
import type { AdmissionPolicy, GitHubAppConfig, RunnerScope } from "../shared/index.js";
import type { BackoffSettings, Limits } from "./plan.js";
import type { FieldsValue } from "../../contracts/env.js";
import type { POOL_FIELDS } from "../../contracts/pools.js";

/** A pool's attribute-based selection, as the POOLS document carries it (snake_case: the module's attribute). */
export type PoolInstanceRequirements = FieldsValue<(typeof POOL_FIELDS)["instanceRequirements"]["shape"]["fields"]>;

/** A pool as scale-up sees it (POOLS in contracts/scale-up.ts). */
export interface ScaleUpPool {
  readonly labels: readonly string[];
  readonly maxRunners: number;
  /** Empty when the pool selects by {@link ScaleUpPool.instanceRequirements}. */
  readonly instanceTypes: readonly string[];
  /** Attribute-based selection (CreateFleet `InstanceRequirements`); undefined: `instanceTypes`. */
  readonly instanceRequirements: PoolInstanceRequirements | undefined;
  readonly subnetIds: readonly string[];
  readonly launchTemplateName: string;
  readonly spot: boolean;
  readonly onDemandFallback: boolean;
  /** Runner group for org scope; repository runners always join the default group. */
  readonly runnerGroupId: number;
  /** Serve public repositories' jobs (refused otherwise, as by the webhook). */
  readonly allowPublicRepositories: boolean;
  /** The pool's job queue (for visibility changes) and its ARN (to map records to pools). */
  readonly queueUrl: string;
  readonly queueArn: string;
  /** The pool's dead-letter queue: jobs that cannot be served are moved there with their reason. */
  readonly deadLetterQueueUrl: string;
}

export type ScaleUpPools = Readonly<Record<string, ScaleUpPool>>;

export interface ScaleUpConfig {
  readonly prefix: string;
  readonly pools: ScaleUpPools;
  readonly scope: RunnerScope;
  readonly app: GitHubAppConfig;
  readonly runnersTable: string;
  readonly jobsTable: string;
  /** SSM parameter holding "true" while launches are paused. */
  readonly drainingParameter: string;
  readonly limits: Limits;
  /** Who may get a runner (ALLOWED_OWNERS, ALLOWED_REPOSITORIES), checked again before launching. */
  readonly admission: AdmissionPolicy;
  /** A job older than this (since the webhook accepted it) is reported and moved to the DLQ. */
  readonly maxJobAgeSeconds: number;
  /** How long a claim protects a job from other invocations; longer than the function timeout. */
  readonly claimLeaseSeconds: number;
  /** A message older than this is confirmed still queued at GitHub before launching (still-queued.ts). */
  readonly stillQueuedGraceSeconds: number;
  readonly backoff: BackoffSettings;
  /** GitHub budget kept in reserve per App installation; launches slow down instead of spending it. */
  readonly gitHubMinRemaining: number;
  /** The shared GitHub write bucket of each App (lambdas/libs/governor). */
  readonly gitHubWrites: { readonly perMinute: number; readonly burst: number };
  /** CreateFleet requests per group, the first included (fallback across types, zones, on-demand). */
  readonly maxFleetRequests: number;
  /** The key that seals each runner's JIT configuration for its instance; undefined: stored unsealed. */
  readonly jitKmsKeyArn: string | undefined;
  /** The runner's boot timeout: a kept instance older than it (less a margin) has ended itself. */
  readonly runnerBootTimeoutSeconds: number;
}

export function scaleUpConfigFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): ScaleUpConfig {
  const parsed = parseEnv(SCALE_UP_ENV, env);
  return {
    prefix: parsed.prefix,
    pools: parsed.pools,
    scope: parsed.runnerScope,
    app: gitHubAppConfigFromEnv(env),
    runnersTable: parsed.runnersTable,
    jobsTable: parsed.jobsTable,
    drainingParameter: parsed.drainingParameter,
    admission: { allowedOwners: parsed.allowedOwners, allowedRepositories: parsed.allowedRepositories },
    limits: { maxRunnersTotal: parsed.maxRunnersTotal, maxRunnersPerOwner: parsed.maxRunnersPerOwner },
    maxJobAgeSeconds: parsed.jobMaxAgeSeconds,
    claimLeaseSeconds: parsed.claimLeaseSeconds,
    stillQueuedGraceSeconds: parsed.stillQueuedGraceSeconds,
    backoff: { baseSeconds: parsed.backoffBaseSeconds, maxSeconds: parsed.jobWaitMaxSeconds },
    gitHubMinRemaining: parsed.githubMinRemainingRequests,
    gitHubWrites: { perMinute: parsed.githubWritesPerMinute, burst: parsed.githubWriteBurst },
    maxFleetRequests: parsed.maxFleetRequests,
    runnerBootTimeoutSeconds: parsed.runnerBootTimeoutSeconds,
    jitKmsKeyArn: parsed.jitKmsKeyArn,
  };
}
