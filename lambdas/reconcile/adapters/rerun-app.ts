import { getSecureString, installationIdFor, installationOctokit } from "../../shared/index.js";
import type { GitHubAppConfig, GitHubClient, InstallationClientProvider } from "../../shared/index.js";

/** The optional App used only for re-runs (RERUN_GITHUB_APP_ID; docs/github-app.md, "A separate App for re-runs"). */
export interface RerunApp {
  readonly appId: number;
  readonly privateKeyParameter: string;
}

/**
 * The client a re-run is requested with. Re-running a job needs Actions: write on the repository, which
 * the runner App does not otherwise need: with `rerunApp` set, that permission lives on a second App
 * (found by its own installation on the job's repository, `GET /repos/{owner}/{repo}/installation`, which
 * also finds an organization installation), and the runner App can go without it.
 * Without it, the runner App's installation of the job is used, as before.
 */
export function rerunClients(
  app: GitHubAppConfig,
  rerunApp: RerunApp | undefined,
  primary: InstallationClientProvider,
  fetchImpl?: typeof globalThis.fetch,
): (installationId: number, repository: string) => Promise<GitHubClient> {
  if (rerunApp === undefined) return async (installationId) => primary(installationId);
  const fetchOption = fetchImpl === undefined ? {} : { fetch: fetchImpl };
  return async (_installationId, repository) => {
    const installationId = await installationIdFor({ ...rerunApp, apiUrl: app.apiUrl }, { scope: "repo", owner: repository }, fetchImpl);
    return installationOctokit({ appId: rerunApp.appId, privateKey: await getSecureString(rerunApp.privateKeyParameter), installationId, baseUrl: app.apiUrl, ...fetchOption });
  };
}
