import { GitHubRequestError, RUNNERS_PAGE_SIZE, gitHubErrorStatus } from "../../shared/index.js";
import type { GitHubClient, RunnerTarget } from "../../shared/index.js";

/**
 * The registration id GitHub holds for the runner named `name`, or undefined when it has none. The id
 * comes from GitHub, never from the runners-table item (issue 18, finding 7): GitHub filters by `name`,
 * and the exact-name check below keeps that true where a server ignores the filter.
 */
export async function runnerIdByName(octokit: GitHubClient, target: RunnerTarget, name: string): Promise<number | undefined> {
  for (let page = 1; ; page += 1) {
    let data: { total_count: number; runners: Array<{ id: number; name: string }> };
    try {
      if (target.scope === "enterprise") {
        // GHEC-only route, untyped in @octokit/openapi-types (see shared/github/runners.ts).
        const answer = await octokit.request("GET /enterprises/{enterprise}/actions/runners", { enterprise: target.owner, name, per_page: RUNNERS_PAGE_SIZE, page });
        data = answer.data as typeof data;
      } else if (target.scope === "org") {
        data = (await octokit.request("GET /orgs/{org}/actions/runners", { org: target.owner, name, per_page: RUNNERS_PAGE_SIZE, page })).data;
      } else {
        const [owner = "", repo = ""] = target.owner.split("/");
        data = (await octokit.request("GET /repos/{owner}/{repo}/actions/runners", { owner, repo, name, per_page: RUNNERS_PAGE_SIZE, page })).data;
      }
    } catch (error) {
      throw new GitHubRequestError(`find runner ${name} of ${target.owner}`, gitHubErrorStatus(error), { cause: error });
    }
    const match = data.runners.find((runner) => runner.name === name);
    if (match !== undefined) return match.id;
    if (data.runners.length < RUNNERS_PAGE_SIZE || page * RUNNERS_PAGE_SIZE >= data.total_count) return undefined;
  }
}
