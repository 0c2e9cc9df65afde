import {
  DEFAULT_RUNNER_GROUP_ID,
  IMPLICIT_RUNNER_LABEL,
  generateJitConfig,
  getSecureString,
  installationIdFor,
  installationOctokit,
  runnerName,
} from "../../shared/index.js";
import type { GitHubAppConfig, GitHubClient, JitConfig, RunnerScope } from "../../shared/index.js";
import type { ScaleUpPool } from "../config.js";

export interface RunnerRegistrationRequest {
  readonly instanceId: string;
  readonly pool: ScaleUpPool;
  /** Organization login (org scope) or `owner/repo` (repo scope). */
  readonly owner: string;
  /** The primary App's installation on the owner, from the webhook. */
  readonly installationId: number;
  /** The App that registers this runner (round robin across configured Apps). */
  readonly appId: number;
}

/** Registers one just-in-time runner per instance; one GitHub call per runner. */
export type RegisterRunner = (request: RunnerRegistrationRequest) => Promise<JitConfig>;

/** The labels a runner registers with: the pool's, plus `self-hosted` unless the pool lists it already. */
export function runnerLabels(pool: Pick<ScaleUpPool, "labels">): string[] {
  const labels = [...pool.labels];
  if (!labels.some((label) => label.toLowerCase() === IMPLICIT_RUNNER_LABEL)) labels.push(IMPLICIT_RUNNER_LABEL);
  return labels;
}

/**
 * The installation client of `appId` for `owner`: the primary App uses the webhook's installation id;
 * an additional App looks its own installation up once (GET .../installation) and caches it.
 */
export function appInstallationClients(
  app: GitHubAppConfig,
  scope: RunnerScope,
  fetchImpl?: typeof globalThis.fetch,
): (appId: number, owner: string, primaryInstallationId: number) => Promise<GitHubClient> {
  const fetchOption = fetchImpl === undefined ? {} : { fetch: fetchImpl };
  // The runners of a batch register concurrently: on a cold start each would miss the parameter cache
  // and read SSM. One read in flight per key parameter is shared; the cache serves the later ones.
  const reading = new Map<string, Promise<string>>();
  const privateKey = (parameter: string): Promise<string> => {
    let read = reading.get(parameter);
    if (read === undefined) {
      read = getSecureString(parameter).finally(() => reading.delete(parameter));
      reading.set(parameter, read);
    }
    return read;
  };
  return async (appId, owner, primaryInstallationId) => {
    const additional = app.additionalApps.find((candidate) => candidate.appId === appId);
    const chosen = additional ?? { appId: app.appId, privateKeyParameter: app.privateKeyParameter };
    const installationId =
      additional === undefined
        ? primaryInstallationId
        : await installationIdFor({ ...additional, apiUrl: app.apiUrl }, { scope, owner }, fetchImpl);
    return installationOctokit({
      appId: chosen.appId,
      privateKey: await privateKey(chosen.privateKeyParameter),
      installationId,
      baseUrl: app.apiUrl,
      ...fetchOption,
    });
  };
}

export function gitHubRunnerRegistrar(
  prefix: string,
  scope: RunnerScope,
  clients: (appId: number, owner: string, primaryInstallationId: number) => Promise<GitHubClient>,
): RegisterRunner {
  return async (request) =>
    generateJitConfig(
      await clients(request.appId, request.owner, request.installationId),
      { scope, owner: request.owner },
      {
        name: runnerName(prefix, request.instanceId),
        // Repository runners cannot choose a group: they always join the default one.
        runnerGroupId: scope === "org" ? request.pool.runnerGroupId : DEFAULT_RUNNER_GROUP_ID,
        labels: runnerLabels(request.pool),
      },
    );
}
