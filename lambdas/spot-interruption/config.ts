import { RUNNER_SCOPES, enumEnv, gitHubAppConfigFromEnv, jsonEnv, requireEnv } from "../shared/index.js";
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
  return {
    prefix: requireEnv("PREFIX", env),
    scope: enumEnv("RUNNER_SCOPE", RUNNER_SCOPES, env),
    app: gitHubAppConfigFromEnv(env),
    runnersTable: requireEnv("RUNNERS_TABLE", env),
    jobsTable: requireEnv("JOBS_TABLE", env),
    queueUrls: jsonEnv("POOLS", (reader) => Object.fromEntries(reader.entries().map(([key, pool]) => [key, pool.field("queueUrl").string()])), env),
  };
}
