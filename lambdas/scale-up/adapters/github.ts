import {
  DEFAULT_RUNNER_GROUP_ID,
  IMPLICIT_RUNNER_LABEL,
  deleteRunner,
  findRunnerByName,
  generateJitConfig,
  getSecureString,
  installationIdFor,
  installationOctokit,
  runnerClientProvider,
  runnerName,
} from "../../shared/index.js";
import type { GitHubAppConfig, GitHubClient, JitConfig, RunnerScope } from "../../shared/index.js";
import type { ScaleUpPool } from "../config.js";
import { BASE_JIT_DEADLINE_MS } from "../time-budget.js";

export interface RunnerRegistrationRequest {
  readonly instanceId: string;
  readonly pool: ScaleUpPool;
  /** Organization login (org scope), `owner/repo` (repo scope) or enterprise slug (enterprise scope). */
  readonly owner: string;
  /** The primary App's installation on the owner, from the webhook. */
  readonly installationId: number;
  /** The App that registers this runner (round robin across configured Apps). */
  readonly appId: number;
  /** The JIT POST's deadline, its retries included (time-budget.ts, `jitCallDeadlineMs`); default: the base one. */
  readonly deadlineMs?: number;
  /**
   * The instance was kept by an earlier attempt whose JIT POST may have registered its name after our
   * deadline: that stale registration is deleted first (GitHub answers 409 to a second one).
   */
  readonly replaceStale?: boolean;
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
        : // Never reached in enterprise scope, where registrationClients bypasses the Apps.
          await installationIdFor({ ...additional, apiUrl: app.apiUrl }, { scope: scope === "repo" ? "repo" : "org", owner }, fetchImpl);
    return installationOctokit({
      appId: chosen.appId,
      privateKey: await privateKey(chosen.privateKeyParameter),
      installationId,
      baseUrl: app.apiUrl,
      // The JIT POSTs are paced by the shared write governor (write-gate.ts), not per environment.
      writesGoverned: true,
      ...fetchOption,
    });
  };
}

/**
 * The clients that register runners: the App installations' (`clients`) in repo and org scope; in
 * enterprise scope the enterprise token's, for every App slot and installation (GitHub refuses
 * installation tokens on the enterprise runner endpoints).
 */
export function registrationClients(
  app: GitHubAppConfig,
  scope: RunnerScope,
  clients: (appId: number, owner: string, primaryInstallationId: number) => Promise<GitHubClient>,
  fetchImpl?: typeof globalThis.fetch,
): (appId: number, owner: string, primaryInstallationId: number) => Promise<GitHubClient> {
  if (scope !== "enterprise") return clients;
  const enterprise = runnerClientProvider(app, scope, async () => Promise.reject(new Error("no installation client in enterprise scope")), fetchImpl);
  return async (_appId, _owner, installationId) => enterprise(installationId);
}

/**
 * The JIT POST ends within its deadline in scale-up's time plan (time-budget.ts starts one only with the
 * budget left), a retry of a 5xx included: one deadline for every attempt (no attempt starts after it).
 * With the kit's general 10 s per attempt, a GitHub answering in 10-30 s had every JIT call aborted,
 * and each redelivery launched another instance that never got a configuration (the slow-GitHub fault
 * scenario). A kept instance's earlier POST may have registered its name on GitHub's side after our
 * deadline: one GET by name, and a DELETE if found, come first, within the same deadline.
 */
export function gitHubRunnerRegistrar(
  prefix: string,
  scope: RunnerScope,
  clients: (appId: number, owner: string, primaryInstallationId: number) => Promise<GitHubClient>,
  now: () => number = Date.now,
): RegisterRunner {
  return async (request) => {
    const client = await clients(request.appId, request.owner, request.installationId);
    const target = { scope, owner: request.owner };
    const name = runnerName(prefix, request.instanceId);
    const started = now();
    if (request.replaceStale === true) {
      const stale = await findRunnerByName(client, target, name);
      // Never busy: nobody has its configuration. A registration not listed yet meets 409 below.
      if (stale !== undefined) await deleteRunner(client, target, stale.id);
    }
    return generateJitConfig(client, target, {
      name,
      // Repository runners cannot choose a group: they always join the default one. Organization and
      // enterprise runners join the pool's group at their own level.
      runnerGroupId: scope === "repo" ? DEFAULT_RUNNER_GROUP_ID : request.pool.runnerGroupId,
      labels: runnerLabels(request.pool),
      deadlineMs: request.replaceStale === true ? Math.max(1, (request.deadlineMs ?? BASE_JIT_DEADLINE_MS) - (now() - started)) : (request.deadlineMs ?? BASE_JIT_DEADLINE_MS),
    });
  };
}
