import type { RunnerScope } from "../config.js";
import { GitHubDeadlineError, GitHubRequestError } from "../errors.js";
import type { GitHubClient } from "./octokit.js";

/**
 * Where runners are registered: an organization (`org` scope), one repository (`repo` scope,
 * `owner/repo`) or an enterprise (`enterprise` scope, its slug).
 */
export interface RunnerTarget {
  readonly scope: RunnerScope;
  /** Organization login (org), `owner/repo` (repo) or enterprise slug (enterprise); the `self-runners:owner` tag value. */
  readonly owner: string;
}

/** The runners page GitHub answers for every scope (GHEC's enterprise operation shares the org schema). */
interface RunnersPage {
  readonly total_count: number;
  readonly runners: Array<{ id: number; name: string; status: string; busy: boolean }>;
}

/** The generate-jitconfig answer for every scope (`runner-jitconfig` in GitHub's descriptions). */
interface JitConfigAnswer {
  readonly runner: { id: number };
  readonly encoded_jit_config: string;
}

// The enterprise routes are in GitHub's GHEC description only; @octokit/openapi-types carries the
// api.github.com one, so these requests are untyped and their answers typed here by hand.
const ENTERPRISE_RUNNERS = "GET /enterprises/{enterprise}/actions/runners";
const ENTERPRISE_JITCONFIG = "POST /enterprises/{enterprise}/actions/runners/generate-jitconfig";
const ENTERPRISE_RUNNER = "DELETE /enterprises/{enterprise}/actions/runners/{runner_id}";

/** A self-hosted runner registration as GitHub lists it. */
export interface RunnerRegistration {
  readonly id: number;
  readonly name: string;
  readonly status: string;
  readonly busy: boolean;
}

export interface JitConfigRequest {
  readonly name: string;
  readonly runnerGroupId: number;
  readonly labels: readonly string[];
  /**
   * One deadline for the POST and its retries together (an `AbortSignal.timeout`), in place of the
   * kit's fresh 10 s per attempt: scale-up plans its time around one JIT call (contracts/scale-up.ts).
   * No attempt starts once it has passed (octokit.ts, `withTimeout`).
   */
  readonly deadlineMs?: number;
}

export interface JitConfig {
  readonly runnerId: number;
  readonly encodedJitConfig: string;
}

/** What DELETE answered: removed (204), already gone (404) or refused because the runner runs a job (422). */
export type DeleteRunnerResult = "deleted" | "not-found" | "busy";

export const RUNNERS_PAGE_SIZE = 100;

/** GitHub gives this label to every self-hosted runner. */
export const IMPLICIT_RUNNER_LABEL = "self-hosted";

/** Repository-level runners always belong to the default runner group, id 1. */
export const DEFAULT_RUNNER_GROUP_ID = 1;

function repoParts(owner: string): { owner: string; repo: string } {
  const [login, repo, ...rest] = owner.split("/");
  if (login === undefined || login === "" || repo === undefined || repo === "" || rest.length > 0) {
    throw new GitHubRequestError(`target "${owner}" (expected owner/repo in repo scope)`, undefined);
  }
  return { owner: login, repo };
}

/** The HTTP status of an Octokit RequestError (duck-typed: @octokit/request-error is not a direct dependency). */
export function gitHubErrorStatus(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null || !("status" in error)) return undefined;
  return typeof error.status === "number" ? error.status : undefined;
}

/** Every runner registration of the target, reading pages of 100 until the last one. */
export async function listRunners(octokit: GitHubClient, target: RunnerTarget): Promise<RunnerRegistration[]> {
  const runners: RunnerRegistration[] = [];
  for (let page = 1; ; page += 1) {
    let data: RunnersPage;
    try {
      const response =
        target.scope === "enterprise"
          ? { data: (await octokit.request(ENTERPRISE_RUNNERS, { enterprise: target.owner, per_page: RUNNERS_PAGE_SIZE, page })).data as RunnersPage }
          : target.scope === "org"
          ? await octokit.request("GET /orgs/{org}/actions/runners", {
              org: target.owner,
              per_page: RUNNERS_PAGE_SIZE,
              page,
            })
          : await octokit.request("GET /repos/{owner}/{repo}/actions/runners", {
              ...repoParts(target.owner),
              per_page: RUNNERS_PAGE_SIZE,
              page,
            });
      data = response.data;
    } catch (error) {
      throw new GitHubRequestError(`list runners of ${target.owner}`, gitHubErrorStatus(error), { cause: error });
    }
    for (const runner of data.runners) {
      runners.push({ id: runner.id, name: runner.name, status: runner.status, busy: runner.busy });
    }
    if (data.runners.length < RUNNERS_PAGE_SIZE || runners.length >= data.total_count) return runners;
  }
}

/**
 * The registration named `name`, if GitHub lists one (the listing's `name` filter; matched exactly
 * here too). A registration a few seconds old may not be listed yet.
 */
export async function findRunnerByName(octokit: GitHubClient, target: RunnerTarget, name: string): Promise<RunnerRegistration | undefined> {
  let data: RunnersPage;
  try {
    const response =
      target.scope === "enterprise"
        ? { data: (await octokit.request(ENTERPRISE_RUNNERS, { enterprise: target.owner, name })).data as RunnersPage }
        : target.scope === "org"
        ? await octokit.request("GET /orgs/{org}/actions/runners", { org: target.owner, name })
        : await octokit.request("GET /repos/{owner}/{repo}/actions/runners", { ...repoParts(target.owner), name });
    data = response.data;
  } catch (error) {
    throw new GitHubRequestError(`find runner ${name} of ${target.owner}`, gitHubErrorStatus(error), { cause: error });
  }
  const found = data.runners.find((runner) => runner.name === name);
  return found === undefined ? undefined : { id: found.id, name: found.name, status: found.status, busy: found.busy };
}

/** Registers a just-in-time runner and returns its id and the encoded configuration the runner starts with. */
export async function generateJitConfig(
  octokit: GitHubClient,
  target: RunnerTarget,
  request: JitConfigRequest,
): Promise<JitConfig> {
  const deadline = request.deadlineMs === undefined ? undefined : AbortSignal.timeout(request.deadlineMs);
  const body = {
    name: request.name,
    runner_group_id: request.runnerGroupId,
    labels: [...request.labels],
    work_folder: "_work",
    // Not `request.retries`: Octokit's retry plugin would then retry every error, 4xx included.
    ...(deadline === undefined ? {} : { request: { signal: deadline } }),
  };
  try {
    const response =
      target.scope === "enterprise"
        ? { data: (await octokit.request(ENTERPRISE_JITCONFIG, { enterprise: target.owner, ...body })).data as JitConfigAnswer }
        : target.scope === "org"
        ? await octokit.request("POST /orgs/{org}/actions/runners/generate-jitconfig", { org: target.owner, ...body })
        : await octokit.request("POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig", {
            ...repoParts(target.owner),
            ...body,
          });
    return { runnerId: response.data.runner.id, encodedJitConfig: response.data.encoded_jit_config };
  } catch (error) {
    if (deadline?.aborted === true) throw new GitHubDeadlineError(`generate-jitconfig for ${request.name}`, undefined, { cause: error });
    throw new GitHubRequestError(`generate-jitconfig for ${request.name}`, gitHubErrorStatus(error), { cause: error });
  }
}

/** Removes a registration. GitHub refuses (422) while the runner runs a job, which callers rely on. */
export async function deleteRunner(
  octokit: GitHubClient,
  target: RunnerTarget,
  runnerId: number,
): Promise<DeleteRunnerResult> {
  try {
    if (target.scope === "enterprise") {
      await octokit.request(ENTERPRISE_RUNNER, { enterprise: target.owner, runner_id: runnerId });
    } else if (target.scope === "org") {
      await octokit.request("DELETE /orgs/{org}/actions/runners/{runner_id}", { org: target.owner, runner_id: runnerId });
    } else {
      await octokit.request("DELETE /repos/{owner}/{repo}/actions/runners/{runner_id}", {
        ...repoParts(target.owner),
        runner_id: runnerId,
      });
    }
    return "deleted";
  } catch (error) {
    const status = gitHubErrorStatus(error);
    if (status === 404) return "not-found";
    if (status === 422) return "busy";
    throw new GitHubRequestError(`delete runner ${runnerId} of ${target.owner}`, status, { cause: error });
  }
}

/** A workflow job as GitHub reports it now (GET /repos/{owner}/{repo}/actions/jobs/{job_id}). */
export interface WorkflowJobState {
  /** queued, in_progress, completed, waiting, requested or pending. */
  readonly status: string;
  readonly conclusion: string | null;
  readonly runnerName: string | null;
}

/** The current state of a job; the reconciler asks only about the few jobs it doubts. */
export async function getWorkflowJob(octokit: GitHubClient, repository: string, jobId: number): Promise<WorkflowJobState> {
  try {
    const response = await octokit.request("GET /repos/{owner}/{repo}/actions/jobs/{job_id}", { ...repoParts(repository), job_id: jobId });
    return { status: response.data.status, conclusion: response.data.conclusion ?? null, runnerName: response.data.runner_name ?? null };
  } catch (error) {
    throw new GitHubRequestError(`get job ${jobId} of ${repository}`, gitHubErrorStatus(error), { cause: error });
  }
}

/** Re-runs one job (and its dependents), as for a job that failed because its spot runner was reclaimed. */
export async function rerunWorkflowJob(octokit: GitHubClient, repository: string, jobId: number): Promise<void> {
  try {
    await octokit.request("POST /repos/{owner}/{repo}/actions/jobs/{job_id}/rerun", { ...repoParts(repository), job_id: jobId });
  } catch (error) {
    throw new GitHubRequestError(`re-run job ${jobId} of ${repository}`, gitHubErrorStatus(error), { cause: error });
  }
}
