import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { LookupRequest } from "../../contracts/build-cache.js";
import type { CacheBackend } from "../../cache-agent/backend/port.js";
import { pullRequestClaim, readPullRequestClaim, withPullRequestClaim } from "../../cache-agent/backend/pull-request-claim.js";

const directory = mkdtempSync(join(tmpdir(), "cache-job-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe("pullRequestClaim", () => {
  it("reads a pull request job's GITHUB_REF and GITHUB_BASE_REF", () => {
    expect(pullRequestClaim({ GITHUB_REF: "refs/pull/42/merge", GITHUB_BASE_REF: "release/1.x" })).toEqual({ number: 42, baseRef: "release/1.x" });
  });

  it.each([
    { name: "a push", vars: { GITHUB_REF: "refs/heads/main", GITHUB_BASE_REF: "" } },
    { name: "a pull request without base", vars: { GITHUB_REF: "refs/pull/42/merge" } },
    { name: "a ref that only looks like a pull request", vars: { GITHUB_REF: "refs/heads/refs/pull/42/merge", GITHUB_BASE_REF: "main" } },
    { name: "nothing", vars: {} },
  ])("claims nothing for $name", ({ vars }) => {
    expect(pullRequestClaim(vars)).toBeUndefined();
  });
});

describe("the agent's lookups", () => {
  it("carry the claim the job-started hook wrote, and none without the file", async () => {
    const file = join(directory, "job.env");
    const sent: LookupRequest[] = [];
    const backend: CacheBackend = {
      lookup: async (request) => (sent.push(request), { hit: false }),
      reserve: async () => ({ upload: false, refused: "test" }),
      commit: async () => ({ committed: false }),
    };
    const claiming = withPullRequestClaim(backend, () => readPullRequestClaim(file));
    const request = { protocol: "actions", keys: ["k"], version: "v1" } as const;

    await claiming.lookup(request);
    writeFileSync(file, "GITHUB_REF=refs/pull/7/merge\nGITHUB_BASE_REF=main\n");
    await claiming.lookup(request);

    expect(sent).toEqual([request, { ...request, pullRequest: { number: 7, baseRef: "main" } }]);
  });
});
