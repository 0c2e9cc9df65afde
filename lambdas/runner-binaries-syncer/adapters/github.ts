import { GitHubRequestError, appOctokit, getSecureString, installationOctokit, unauthenticatedOctokit } from "../../shared/index.js";
import type { GitHubClient } from "../../shared/index.js";
import type { ReleaseAnswer } from "../decide.js";
import { type Download, writeHashedFile } from "./hashed-file.js";

export type ReleaseLookup =
  | { readonly kind: "not modified" }
  | { readonly kind: "release"; readonly release: ReleaseAnswer; readonly etag?: string };

export interface ReleaseSource {
  /** `latest` or a version; `etag` from the last run makes the request conditional (304: not modified). */
  release(requested: string, etag: string | undefined): Promise<ReleaseLookup>;
  /** Streams an asset to `file`, hashing it on the way. */
  download(url: string, file: string): Promise<Download>;
}

/**
 * Releases of `owner/repo` through the REST API (`GET .../releases/latest` or `.../releases/tags/v<version>`),
 * archives from their `browser_download_url` (the download host does not count against the REST budget).
 */
export function gitHubReleases(client: GitHubClient, repository: string, fetchImpl: typeof globalThis.fetch = globalThis.fetch): ReleaseSource {
  const [owner = "", repo = ""] = repository.split("/");
  return {
    async release(requested, etag) {
      const route = requested === "latest" ? "GET /repos/{owner}/{repo}/releases/latest" : "GET /repos/{owner}/{repo}/releases/tags/{tag}";
      const headers = etag === undefined ? {} : { "if-none-match": etag };
      try {
        const answer =
          requested === "latest"
            ? await client.request("GET /repos/{owner}/{repo}/releases/latest", { owner, repo, headers })
            : await client.request("GET /repos/{owner}/{repo}/releases/tags/{tag}", { owner, repo, tag: `v${requested}`, headers });
        return { kind: "release", release: answer.data as ReleaseAnswer, etag: answer.headers.etag };
      } catch (error) {
        const status = (error as { status?: number }).status;
        // Octokit turns a 304 into an error; for a conditional request it is the cheap answer we asked for.
        if (status === 304) return { kind: "not modified" };
        throw new GitHubRequestError(route, status, { cause: error });
      }
    },

    async download(url, file) {
      const answer = await fetchImpl(url, { redirect: "follow" });
      if (!answer.ok || answer.body === null) throw new GitHubRequestError(`GET ${url}`, answer.status);
      return writeHashedFile(answer.body, file);
    },
  };
}

export interface ReleaseClientOptions {
  readonly apiUrl: string;
  readonly app?: { readonly appId: number; readonly privateKeyParameter: string };
  readonly fetch?: typeof globalThis.fetch;
}

/**
 * The client release lookups go through: the App's first installation when App credentials are
 * configured (5,000+ requests an hour, and 304s are free), else anonymous (60 an hour per address).
 */
export async function releaseClient(options: ReleaseClientOptions): Promise<GitHubClient> {
  const transport = options.fetch === undefined ? {} : { fetch: options.fetch };
  if (options.app === undefined) return unauthenticatedOctokit({ baseUrl: options.apiUrl, ...transport });
  const privateKey = await getSecureString(options.app.privateKeyParameter);
  const app = appOctokit({ appId: options.app.appId, privateKey, baseUrl: options.apiUrl, ...transport });
  const installations = await app.request("GET /app/installations", { per_page: 1 });
  const installation = installations.data[0];
  if (installation === undefined) return unauthenticatedOctokit({ baseUrl: options.apiUrl, ...transport });
  return installationOctokit({ appId: options.app.appId, privateKey, installationId: installation.id, baseUrl: options.apiUrl, ...transport });
}
