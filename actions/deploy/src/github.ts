/** The one GitHub call of the deploy Action (fetch rather than Octokit: one GET keeps the bundle small). */

import { DeployError } from "./decide.js";

/** GitHub would not describe the environment. */
export class EnvironmentLookupError extends DeployError {}

interface EnvironmentAnswer {
  readonly protection_rules?: ReadonlyArray<{ readonly type: string }>;
}

/**
 * Whether `environment` has protection rules (required reviewers, a wait timer or a branch policy).
 * GET /repos/{owner}/{repo}/environments/{name}; the token needs `actions: read` on private repositories.
 */
export async function isProtectedEnvironment(options: { apiUrl: string; repository: string; environment: string; token: string }): Promise<boolean> {
  const url = `${options.apiUrl.replace(/\/$/, "")}/repos/${options.repository}/environments/${encodeURIComponent(options.environment)}`;
  const response = await fetch(url, {
    headers: {
      accept: "application/vnd.github+json",
      "x-github-api-version": "2022-11-28",
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
  });
  if (response.status === 404) return false;
  if (!response.ok) {
    const hint = response.status === 401 || response.status === 403 ? " (give the job `permissions: actions: read`, or pass github-token)" : "";
    throw new EnvironmentLookupError(`could not read environment ${options.environment}: GitHub answered ${response.status}${hint}`);
  }
  const body = (await response.json()) as EnvironmentAnswer;
  return (body.protection_rules ?? []).length > 0;
}
