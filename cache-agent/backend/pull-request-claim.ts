import { readFile } from "node:fs/promises";
import type { PullRequestClaim } from "../../contracts/build-cache.js";
import type { CacheBackend } from "./port.js";

/**
 * The job's pull request claim. The agent runs outside the job, so the job-started hook (which sees the
 * job's GITHUB_* variables) writes GITHUB_REF and GITHUB_BASE_REF to CACHE_AGENT_ENV.jobFile. The claim
 * is untrusted: the function checks it with GitHub before reading the base branch (docs/build-cache.md).
 */
export function pullRequestClaim(vars: Readonly<Record<string, string | undefined>>): PullRequestClaim | undefined {
  const ref = /^refs\/pull\/([1-9][0-9]{0,9})\/(merge|head)$/.exec(vars.GITHUB_REF ?? "");
  const baseRef = vars.GITHUB_BASE_REF ?? "";
  if (ref === null || baseRef === "") return undefined;
  return { number: Number(ref[1]), baseRef };
}

/** `KEY=value` lines (the hook's file); no quoting, later lines win. */
export function parseKeyValueLines(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf("=");
    if (at > 0) vars[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return vars;
}

/** The claim in the hook's file; none when the file is missing or names no pull request (push, schedule). */
export async function readPullRequestClaim(path: string): Promise<PullRequestClaim | undefined> {
  const text = await readFile(path, "utf8").catch(() => undefined);
  return text === undefined ? undefined : pullRequestClaim(parseKeyValueLines(text));
}

/** The backend with the job's claim added to every lookup (read per lookup: one runner, one job, but the hook writes after the agent starts). */
export function withPullRequestClaim(backend: CacheBackend, claim: () => Promise<PullRequestClaim | undefined>): CacheBackend {
  return {
    ...backend,
    lookup: async (request) => {
      const pullRequest = await claim();
      return backend.lookup(pullRequest === undefined ? request : { ...request, pullRequest });
    },
  };
}
