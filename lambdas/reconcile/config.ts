import { RUNNER_SCOPES, enumEnv, gitHubAppConfigFromEnv, positiveIntEnv, requireEnv } from "../shared/index.js";
import type { GitHubAppConfig, RunnerScope } from "../shared/index.js";

export const DEFAULT_BOOT_TIMEOUT_SECONDS = 600;
export const DEFAULT_IDLE_TIMEOUT_SECONDS = 1800;

export interface ReconcileConfig {
  readonly prefix: string;
  readonly scope: RunnerScope;
  readonly app: GitHubAppConfig;
  readonly runnersTable: string;
  readonly bootTimeoutSeconds: number;
  readonly idleTimeoutSeconds: number;
}

export function reconcileConfigFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): ReconcileConfig {
  return {
    prefix: requireEnv("PREFIX", env),
    scope: enumEnv("RUNNER_SCOPE", RUNNER_SCOPES, env),
    app: gitHubAppConfigFromEnv(env),
    runnersTable: requireEnv("RUNNERS_TABLE", env),
    bootTimeoutSeconds: positiveIntEnv("BOOT_TIMEOUT_SECONDS", DEFAULT_BOOT_TIMEOUT_SECONDS, env),
    idleTimeoutSeconds: positiveIntEnv("IDLE_TIMEOUT_SECONDS", DEFAULT_IDLE_TIMEOUT_SECONDS, env),
  };
}
