/**
 * The sticky comment on GitHub: one per pull request and stack, found by its hidden marker and updated
 * in place, so re-runs and other stacks never pile up comments or overwrite each other.
 */
import { Octokit } from "@octokit/core";
import type { OctokitOptions } from "@octokit/core";
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";

/**
 * Every Octokit default of plan-comment, in one checked object: 5xx and network errors retried 3 times;
 * 4xx are answers (a clear message beats a retry); rate limits wait up to 60 s, twice.
 */
export const OCTOKIT_DEFAULTS = {
  userAgent: "self-runners-plan-comment",
  retry: { retries: 3, doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] },
  throttle: {
    onRateLimit: (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) => retryCount < 2 && retryAfter <= 60,
    onSecondaryRateLimit: (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) => retryCount < 2 && retryAfter <= 60,
  },
} as const satisfies { userAgent: string; retry: NonNullable<OctokitOptions["retry"]>; throttle: NonNullable<OctokitOptions["throttle"]> };

const PlanCommentOctokit = Octokit.plugin(throttling, retry);
export type GitHubClient = InstanceType<typeof PlanCommentOctokit>;

/** A client for `baseUrl` (https://api.github.com, or GHES's /api/v3) authenticated with `token`. */
export function createClient(token: string, baseUrl: string): GitHubClient {
  return new PlanCommentOctokit({ ...OCTOKIT_DEFAULTS, auth: token, baseUrl });
}

export interface PullRequest {
  readonly owner: string;
  readonly repo: string;
  readonly number: number;
}

export interface UpsertOptions {
  /** The marker that identifies this stack's comment; the body must start with it. */
  readonly marker: string;
  readonly body: string;
  /**
   * Whether to create a comment when none exists yet (false for an empty plan: nothing to review).
   * An existing comment is always updated, so an outdated plan never stays on the pull request.
   */
  readonly create: boolean;
  /**
   * Only comments by this login are ours (e.g. `github-actions[bot]`); others are never edited.
   * @default - any author whose comment starts with the marker
   */
  readonly author?: string;
}

export type UpsertResult =
  | { readonly action: "created" | "updated"; readonly id: number; readonly url: string }
  | { readonly action: "skipped" };

/** Raised for an answer GitHub gave; the message says what to change. */
export class PlanCommentError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "PlanCommentError";
  }
}

interface IssueComment {
  readonly id: number;
  readonly body?: string;
  readonly html_url: string;
  readonly user: { readonly login: string } | null;
}

const PER_PAGE = 100;

/** Creates or updates the stack's sticky comment; never touches another stack's or another author's. */
export async function upsertComment(client: GitHubClient, pr: PullRequest, options: UpsertOptions): Promise<UpsertResult> {
  const where = `${pr.owner}/${pr.repo}#${pr.number}`;
  try {
    const ours = (await listComments(client, pr)).filter(
      (comment) => (comment.body ?? "").startsWith(options.marker) && (options.author === undefined || comment.user?.login === options.author),
    );
    // The oldest is the sticky one: its link stays stable in notifications and reviews.
    const existing = ours[0];
    if (existing !== undefined) {
      const { data } = await client.request("PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}", {
        owner: pr.owner,
        repo: pr.repo,
        comment_id: existing.id,
        body: options.body,
      });
      return { action: "updated", id: Number(data.id), url: data.html_url };
    }
    if (!options.create) return { action: "skipped" };
    const { data } = await client.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
      owner: pr.owner,
      repo: pr.repo,
      issue_number: pr.number,
      body: options.body,
    });
    return { action: "created", id: Number(data.id), url: data.html_url };
  } catch (error) {
    throw explain(error, where, options.body.length);
  }
}

async function listComments(client: GitHubClient, pr: PullRequest): Promise<IssueComment[]> {
  const comments: IssueComment[] = [];
  // Pages until a short one; @octokit/plugin-paginate-rest is not a dependency and this is the only list read.
  for (let page = 1; ; page += 1) {
    const { data } = await client.request("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", {
      owner: pr.owner,
      repo: pr.repo,
      issue_number: pr.number,
      per_page: PER_PAGE,
      page,
    });
    comments.push(...(data as IssueComment[]));
    if (data.length < PER_PAGE) return comments;
  }
}

/** A message that says what to change for the statuses GitHub answers comment writes with. */
export function explain(error: unknown, where: string, bodyLength: number): Error {
  const status = (error as { status?: unknown }).status;
  const detail = (error as { response?: { data?: { message?: string } } }).response?.data?.message ?? (error as Error).message;
  if (status === 403) {
    return new PlanCommentError(
      `GitHub refused (403) to comment on ${where}: ${detail}. The token needs "pull-requests: write" (workflow permissions) or a repository-scoped token with Issues/Pull requests write; on pull requests from forks GITHUB_TOKEN is read-only, so run the comment from a pull_request_target or workflow_run workflow.`,
      403,
    );
  }
  if (status === 404) {
    return new PlanCommentError(
      `GitHub answered 404 for ${where}: ${detail}. Check the repository (GITHUB_REPOSITORY or --repository) and the pull request number (--pull-request), and that the token can read this repository.`,
      404,
    );
  }
  if (status === 422) {
    return new PlanCommentError(
      `GitHub rejected the comment on ${where} (422): ${detail}. The body was ${bodyLength} characters (GitHub accepts at most 65,536); a locked or archived pull request also refuses comments.`,
      422,
    );
  }
  if (typeof status === "number") return new PlanCommentError(`GitHub answered ${status} for ${where}: ${detail}`, status);
  return error instanceof Error ? error : new Error(String(error));
}
