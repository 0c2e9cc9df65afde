import {
  DEFAULT_RUNNER_GROUP_ID,
  RUNNER_SCOPES,
  enumEnv,
  gitHubAppConfigFromEnv,
  jsonEnv,
  requireEnv,
} from "../shared/index.js";
import type { GitHubAppConfig, RunnerScope } from "../shared/index.js";

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
}

export type ScaleUpPools = Readonly<Record<string, ScaleUpPool>>;

export interface ScaleUpConfig {
  readonly prefix: string;
  readonly pools: ScaleUpPools;
  readonly scope: RunnerScope;
  readonly app: GitHubAppConfig;
  readonly runnersTable: string;
}

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
          },
        ]),
      ),
    env,
  );
  return {
    prefix: requireEnv("PREFIX", env),
    pools,
    scope: enumEnv("RUNNER_SCOPE", RUNNER_SCOPES, env),
    app: gitHubAppConfigFromEnv(env),
    runnersTable: requireEnv("RUNNERS_TABLE", env),
  };
}
