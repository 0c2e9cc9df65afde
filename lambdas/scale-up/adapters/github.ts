import { DEFAULT_RUNNER_GROUP_ID, IMPLICIT_RUNNER_LABEL, generateJitConfig, runnerName } from "../../shared/index.js";
import type { InstallationClientProvider, JitConfig, RunnerScope } from "../../shared/index.js";
import type { ScaleUpPool } from "../config.js";

export interface RunnerRegistrationRequest {
  readonly instanceId: string;
  readonly pool: ScaleUpPool;
  /** Organization login (org scope) or `owner/repo` (repo scope). */
  readonly owner: string;
  readonly installationId: number;
}

/** Registers one just-in-time runner per instance; one GitHub call per runner. */
export type RegisterRunner = (request: RunnerRegistrationRequest) => Promise<JitConfig>;

/** The labels a runner registers with: the pool's, plus `self-hosted` unless the pool lists it already. */
export function runnerLabels(pool: Pick<ScaleUpPool, "labels">): string[] {
  const labels = [...pool.labels];
  if (!labels.some((label) => label.toLowerCase() === IMPLICIT_RUNNER_LABEL)) labels.push(IMPLICIT_RUNNER_LABEL);
  return labels;
}

export function gitHubRunnerRegistrar(prefix: string, scope: RunnerScope, clients: InstallationClientProvider): RegisterRunner {
  return async (request) =>
    generateJitConfig(
      await clients(request.installationId),
      { scope, owner: request.owner },
      {
        name: runnerName(prefix, request.instanceId),
        // Repository runners cannot choose a group: they always join the default one.
        runnerGroupId: scope === "org" ? request.pool.runnerGroupId : DEFAULT_RUNNER_GROUP_ID,
        labels: runnerLabels(request.pool),
      },
    );
}
