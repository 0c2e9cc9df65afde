import {
  DEFAULT_RUNNER_GROUP_ID,
  RUNNER_SCOPES,
  enumEnv,
  gitHubAppConfigFromEnv,
  jsonEnv,
  positiveIntEnv,
  requireEnv,
} from "../shared/index.js";
import type { GitHubAppConfig, RunnerScope } from "../shared/index.js";
import type { BackoffSettings, Limits } from "./plan.js";

/** A pool as scale-up sees it (POOLS in docs/contracts.md). */
export interface ScaleUpPool {
  readonly labels: readonly string[];
  readonly maxRunners: number;
  readonly instanceTypes: readonly string[];
  readonly subnetIds: readonly string[];
  readonly launchTemplateName: string;
  readonly spot: boolean;
  readonly onDemandFallback: boolean;
  /** Runner group for org scope; repository runners always join the default group. */
  readonly runnerGroupId: number;
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
  /** A job older than this (since the webhook accepted it) is reported and moved to the DLQ. */
  readonly maxJobAgeSeconds: number;
  /** How long a claim protects a job from other invocations; longer than the function timeout. */
  readonly claimLeaseSeconds: number;
  readonly backoff: BackoffSettings;
  /** GitHub budget kept in reserve per App installation; launches slow down instead of spending it. */
  readonly gitHubMinRemaining: number;
  /** CreateFleet requests per group, the first included (fallback across types, zones, on-demand). */
  readonly maxFleetRequests: number;
}

export const SCALE_UP_DEFAULTS = {
  maxRunnersTotal: 1000,
  maxRunnersPerOwner: 1000,
  maxJobAgeSeconds: 6 * 60 * 60,
  claimLeaseSeconds: 120,
  backoffBaseSeconds: 15,
  backoffMaxSeconds: 900,
  gitHubMinRemaining: 200,
  maxFleetRequests: 3,
} as const;

export function scaleUpConfigFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): ScaleUpConfig {
  const pools = jsonEnv(
    "POOLS",
    (reader) =>
      Object.fromEntries(
        reader.entries().map(([key, pool]): [string, ScaleUpPool] => [
          key,
          {
            labels: pool.field("labels").strings(),
            maxRunners: pool.field("maxRunners").integer(0),
            instanceTypes: pool.field("instanceTypes").strings(),
            subnetIds: pool.field("subnetIds").strings(),
            launchTemplateName: pool.field("launchTemplateName").string(),
            spot: pool.field("spot").boolean(),
            onDemandFallback: pool.optionalField("onDemandFallback")?.boolean() ?? false,
            runnerGroupId: pool.optionalField("runnerGroupId")?.integer(1) ?? DEFAULT_RUNNER_GROUP_ID,
            queueUrl: pool.field("queueUrl").string(),
            queueArn: pool.field("queueArn").string(),
            deadLetterQueueUrl: pool.field("deadLetterQueueUrl").string(),
          },
        ]),
      ),
    env,
  );
  const int = (name: string, fallback: number): number => positiveIntEnv(name, fallback, env);
  return {
    prefix: requireEnv("PREFIX", env),
    pools,
    scope: enumEnv("RUNNER_SCOPE", RUNNER_SCOPES, env),
    app: gitHubAppConfigFromEnv(env),
    runnersTable: requireEnv("RUNNERS_TABLE", env),
    jobsTable: requireEnv("JOBS_TABLE", env),
    drainingParameter: requireEnv("DRAINING_PARAMETER", env),
    limits: {
      maxRunnersTotal: int("MAX_RUNNERS_TOTAL", SCALE_UP_DEFAULTS.maxRunnersTotal),
      maxRunnersPerOwner: int("MAX_RUNNERS_PER_OWNER", SCALE_UP_DEFAULTS.maxRunnersPerOwner),
    },
    maxJobAgeSeconds: int("MAX_JOB_AGE_SECONDS", SCALE_UP_DEFAULTS.maxJobAgeSeconds),
    claimLeaseSeconds: int("CLAIM_LEASE_SECONDS", SCALE_UP_DEFAULTS.claimLeaseSeconds),
    backoff: {
      baseSeconds: int("BACKOFF_BASE_SECONDS", SCALE_UP_DEFAULTS.backoffBaseSeconds),
      maxSeconds: int("BACKOFF_MAX_SECONDS", SCALE_UP_DEFAULTS.backoffMaxSeconds),
    },
    gitHubMinRemaining: int("GITHUB_MIN_REMAINING", SCALE_UP_DEFAULTS.gitHubMinRemaining),
    maxFleetRequests: int("MAX_FLEET_REQUESTS", SCALE_UP_DEFAULTS.maxFleetRequests),
  };
}
