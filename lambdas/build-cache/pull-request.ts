/**
 * The pull request base branch (pure). `workflow_job` carries no pull request, so the agent sends the
 * job's claim (GITHUB_REF, GITHUB_BASE_REF); a job could claim any pull request to read a sibling
 * branch's entries, so the claim counts only once GitHub confirms it (docs/build-cache.md, "Branch rules").
 */
import type { PullRequestClaim } from "../../contracts/build-cache.js";
import type { CallerFacts } from "./caller.js";

/** What GitHub says about a pull request (GET /repos/{owner}/{repo}/pulls/{n}). */
export interface PullRequestFacts {
  readonly headRef: string;
  readonly baseRef: string;
  /** `base.repo.full_name`: the repository the pull request merges into. */
  readonly baseRepository: string;
}

/**
 * The base branch to read, or undefined: only when the pull request merges into the job's repository,
 * its head is the job's own branch and its base is the claimed one. Anything else (another PR, a sibling
 * branch claimed as base, no answer from GitHub) leaves the caller with its own and the default branch.
 */
export function verifiedBaseBranch(claim: PullRequestClaim, job: { readonly repository?: string; readonly headBranch?: string }, pr: PullRequestFacts | undefined): string | undefined {
  if (pr === undefined || job.repository === undefined || job.headBranch === undefined) return undefined;
  if (pr.baseRepository.toLowerCase() !== job.repository.toLowerCase()) return undefined;
  if (pr.headRef !== job.headBranch || pr.baseRef !== claim.baseRef) return undefined;
  return pr.baseRef;
}

/** Looks a pull request up for an installation; undefined when it does not exist or GitHub refuses. */
export type PullRequestDirectory = (installationId: number, repository: string, number: number) => Promise<PullRequestFacts | undefined>;

/**
 * The caller's facts with the base branch set from a verified claim (and any other base dropped). Asks
 * GitHub only for a runner that ran a known job of an installation; a failed check means no base branch.
 */
export async function withVerifiedBase(facts: CallerFacts, claim: PullRequestClaim | undefined, pullRequests: PullRequestDirectory | undefined): Promise<CallerFacts> {
  const ran = facts.ranJob;
  if (ran === undefined) return facts;
  const { baseBranch: _unverified, ...job } = ran;
  const ranOnCaller = ran.ranOn === facts.runnerName && ran.repository !== undefined && ran.headBranch !== undefined && ran.installationId !== undefined;
  if (claim === undefined || pullRequests === undefined || !ranOnCaller) return { ...facts, ranJob: job };
  const pr = await pullRequests(ran.installationId as number, ran.repository as string, claim.number).catch(() => undefined);
  const base = verifiedBaseBranch(claim, ran, pr);
  return { ...facts, ranJob: base === undefined ? job : { ...job, baseBranch: base } };
}
