import { SPOT_INTERRUPTION_ENV } from "../../contracts/spot-interruption.js";
import { gitHubAppConfigFromEnv, parseEnv } from "../shared/index.js";
import type { GitHubAppConfig, RunnerScope } from "../shared/index.js";

export interface SpotInterruptionConfig {
  readonly prefix: string;
  readonly scope: RunnerScope;
  readonly app: GitHubAppConfig;
  readonly runnersTable: string;
  readonly jobsTable: string;
  /** Queue URL by pool, for relaunched jobs. */
  readonly queueUrls: Readonly<Record<string, string>>;
}

export function spotInterruptionConfigFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): SpotInterruptionConfig {
  const parsed = parseEnv(SPOT_INTERRUPTION_ENV, env);
  return {
    prefix: parsed.prefix,
    scope: parsed.runnerScope,
    app: gitHubAppConfigFromEnv(env),
    runnersTable: parsed.runnersTable,
    jobsTable: parsed.jobsTable,
    queueUrls: Object.fromEntries(Object.entries(parsed.pools).map(([key, pool]) => [key, pool.queueUrl])),
  };
}
