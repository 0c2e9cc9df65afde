// A pull request's comments on the loopback GitHub double: list (paged), create, update, with every
// answer checked against GitHub's OpenAPI description by LoopbackGitHub.
import { LoopbackGitHub } from "../helpers/loopback-github.js";
import { assertMatchesOpenApi } from "../helpers/openapi.js";

export const OWNER = "acme";
export const REPO = "infra";
export const PR = 7;
export const BOT = "github-actions[bot]";

export interface StoredComment {
  id: number;
  body: string;
  login: string;
}

function user(login: string): Record<string, unknown> {
  const id = login === BOT ? 41898282 : 583231;
  const base = `https://api.github.com/users/${encodeURIComponent(login)}`;
  return {
    login,
    id,
    node_id: "MDQ6VXNlcjU4MzIzMQ==",
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: "",
    url: base,
    html_url: `https://github.com/${encodeURIComponent(login)}`,
    followers_url: `${base}/followers`,
    following_url: `${base}/following{/other_user}`,
    gists_url: `${base}/gists{/gist_id}`,
    starred_url: `${base}/starred{/owner}{/repo}`,
    subscriptions_url: `${base}/subscriptions`,
    organizations_url: `${base}/orgs`,
    repos_url: `${base}/repos`,
    events_url: `${base}/events{/privacy}`,
    received_events_url: `${base}/received_events`,
    type: login.endsWith("[bot]") ? "Bot" : "User",
    site_admin: false,
  };
}

export function commentBody(comment: StoredComment): Record<string, unknown> {
  return {
    id: comment.id,
    node_id: `IC_kwDOA${comment.id}`,
    url: `https://api.github.com/repos/${OWNER}/${REPO}/issues/comments/${comment.id}`,
    html_url: `https://github.com/${OWNER}/${REPO}/pull/${PR}#issuecomment-${comment.id}`,
    issue_url: `https://api.github.com/repos/${OWNER}/${REPO}/issues/${PR}`,
    body: comment.body,
    user: user(comment.login),
    created_at: "2026-12-06T10:00:00Z",
    updated_at: "2026-12-06T10:00:00Z",
    author_association: comment.login === BOT ? "NONE" : "MEMBER",
  };
}

const PER_PAGE = 100;

/** The comments of acme/infra#7 as GitHub would keep them; `login` is who the token writes as. */
export class PullRequestComments {
  readonly github = new LoopbackGitHub();
  readonly comments: StoredComment[] = [];
  private nextId = 1000;

  constructor(private readonly login = BOT) {
    for (let page = 1; page <= 5; page += 1) {
      this.github.on(`GET /repos/${OWNER}/${REPO}/issues/${PR}/comments?per_page=${PER_PAGE}&page=${page}`, () => {
        const body = this.comments.slice((page - 1) * PER_PAGE, page * PER_PAGE).map(commentBody);
        return [200, body];
      });
    }
    this.github.on(`POST /repos/${OWNER}/${REPO}/issues/${PR}/comments`, (request) => [201, commentBody(this.add(String(request.body), this.login))]);
  }

  /** Adds a comment (someone else's, or an earlier run's). */
  add(body: string, login: string): StoredComment {
    const comment = { id: this.nextId++, body, login };
    this.comments.push(comment);
    this.github.on(`PATCH /repos/${OWNER}/${REPO}/issues/comments/${comment.id}`, (request) => {
      comment.body = String(request.body);
      return [200, commentBody(comment)];
    });
    return comment;
  }

  /** Scripts an error answer for `METHOD path`, checked against GitHub's schema first. */
  fail(route: string, status: number, message: string): void {
    const body = { message, documentation_url: "https://docs.github.com/rest/issues/comments" };
    const [method, path] = route.split(" ") as [string, string];
    assertMatchesOpenApi(method, path, status, body);
    this.github.on(route, () => [status, body]);
  }

  writes(): string[] {
    return this.github.calls().filter((call) => !call.startsWith("GET "));
  }
}
