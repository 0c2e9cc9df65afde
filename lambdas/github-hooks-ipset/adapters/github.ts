import { GitHubRequestError } from "../../shared/index.js";
import type { GitHubClient } from "../../shared/index.js";

export interface HooksSource {
  /** The `hooks` member of `GET /meta`, unchecked: the decision logic judges it. */
  hooks(): Promise<unknown>;
}

/** GitHub's (or GHES's) `GET /meta`, which needs no authentication. */
export function gitHubMetaHooks(client: GitHubClient): HooksSource {
  return {
    async hooks() {
      try {
        const answer = await client.request("GET /meta");
        return (answer.data as { hooks?: unknown }).hooks;
      } catch (error) {
        throw new GitHubRequestError("GET /meta", (error as { status?: number }).status, { cause: error });
      }
    },
  };
}
