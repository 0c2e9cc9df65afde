/**
 * Pull request checks: GitHub's answer (GET /repos/{owner}/{repo}/pulls/{n}, the App installation's
 * token), kept in the index table for PULL_REQUEST_CHECK_TTL_SECONDS so restores cost at most one
 * GitHub call per pull request per hour. The items live in their own partitions (`pr#...`), which the
 * sweep skips (it reads entries and blobs only).
 */
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { PULL_REQUEST_CHECK_TTL_SECONDS } from "../../../contracts/build-cache.js";
import type { InstallationClientProvider } from "../../shared/index.js";
import type { PullRequestDirectory, PullRequestFacts } from "../pull-request.js";

/** GitHub's answer; `null`: no such pull request (404), which is kept like an answer. */
export type PullRequestAnswer = PullRequestFacts | null;

/** Asks GitHub. Throws on anything but an answer or a 404 (not kept: the next restore asks again). */
export function gitHubPullRequests(installations: InstallationClientProvider): (installationId: number, repository: string, number: number) => Promise<PullRequestAnswer> {
  return async (installationId, repository, number) => {
    const [owner = "", repo = ""] = repository.split("/");
    try {
      const { data } = await (await installations(installationId)).request("GET /repos/{owner}/{repo}/pulls/{pull_number}", { owner, repo, pull_number: number });
      return { headRef: data.head.ref, baseRef: data.base.ref, baseRepository: data.base.repo.full_name };
    } catch (error) {
      // Octokit's RequestError carries the HTTP status.
      if ((error as { status?: unknown } | null)?.status === 404) return null;
      throw error;
    }
  };
}

/** GitHub's answers through the index table (a short-lived item per repository and number). */
export function cachedPullRequests(
  ask: (installationId: number, repository: string, number: number) => Promise<PullRequestAnswer>,
  client: DynamoDBDocumentClient,
  tableName: string,
  now: () => Date = () => new Date(),
): PullRequestDirectory {
  return async (installationId, repository, number) => {
    const key = { pk: `pr#${repository.toLowerCase()}`, sk: `p#${number}` };
    const nowSeconds = Math.floor(now().getTime() / 1000);
    const kept = (await client.send(new GetCommand({ TableName: tableName, Key: key }))).Item;
    // DynamoDB's TTL deletes late: an item past its expiry counts as gone.
    if (kept !== undefined && typeof kept.expiresAt === "number" && kept.expiresAt > nowSeconds) {
      return kept.found === true ? { headRef: String(kept.headRef), baseRef: String(kept.baseRef), baseRepository: String(kept.baseRepository) } : undefined;
    }
    const answer = await ask(installationId, repository, number);
    const item = { ...key, type: "pull-request", expiresAt: nowSeconds + PULL_REQUEST_CHECK_TTL_SECONDS, found: answer !== null, ...(answer ?? {}) };
    await client.send(new PutCommand({ TableName: tableName, Item: item }));
    return answer ?? undefined;
  };
}
