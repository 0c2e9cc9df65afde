import { describe, expect, it } from "vitest";
import { MINIMUM_RUNNER_VERSION } from "../../../contracts/runner-binaries.js";
import { checkRequestedVersion, compareVersions, parsePlatforms, planRelease, publishedSha256 } from "../../../lambdas/runner-binaries-syncer/decide.js";
import type { ReleaseAnswer } from "../../../lambdas/runner-binaries-syncer/decide.js";

const A = "a".repeat(64);
const B = "b".repeat(64);

function release(version: string, platforms: Record<string, string | null>, body = ""): ReleaseAnswer {
  return {
    tag_name: `v${version}`,
    body,
    assets: Object.entries(platforms).map(([platform, digest], id) => ({ id, name: `actions-runner-${platform}-${version}.tar.gz`, size: 10, digest, browser_download_url: `https://github.com/actions/runner/releases/download/v${version}/actions-runner-${platform}-${version}.tar.gz` })),
  };
}

describe("versions", () => {
  it("orders versions numerically, not as text", () => {
    expect(compareVersions("2.330.0", "2.329.9")).toBeGreaterThan(0);
    expect(compareVersions("v2.329.0", "2.329.0")).toBe(0);
    expect(compareVersions("2.99.0", "2.329.0")).toBeLessThan(0);
  });

  it("accepts latest and a pinned version at the minimum", () => {
    expect(checkRequestedVersion("latest", MINIMUM_RUNNER_VERSION)).toEqual({ kind: "ok" });
    expect(checkRequestedVersion(MINIMUM_RUNNER_VERSION, MINIMUM_RUNNER_VERSION)).toEqual({ kind: "ok" });
  });

  it("fails when a pinned version is below the minimum GitHub registers", () => {
    expect(checkRequestedVersion("2.328.9", "2.329.0")).toEqual({ kind: "refuse", reason: "runner version 2.328.9 is older than 2.329.0, the oldest GitHub registers" });
  });

  it("fails when the requested version is not a version", () => {
    expect(checkRequestedVersion("2.330", "2.329.0")).toMatchObject({ kind: "refuse" });
  });
});

describe("publishedSha256", () => {
  it("reads the asset digest", () => {
    expect(publishedSha256("linux-x64", `sha256:${A}`, "")).toEqual({ sha256: A });
  });

  it("reads the release notes' marker when the asset has no digest", () => {
    expect(publishedSha256("linux-arm64", null, `- x <!-- BEGIN SHA linux-arm64 -->${B.toUpperCase()}<!-- END SHA linux-arm64 -->\n<!-- BEGIN SHA linux-x64 -->${A}<!-- END SHA linux-x64 -->`)).toEqual({ sha256: B });
  });

  it("fails when the digest and the notes disagree", () => {
    expect(publishedSha256("linux-x64", `sha256:${A}`, `<!-- BEGIN SHA linux-x64 -->${B}<!-- END SHA linux-x64 -->`)).toEqual({ reason: "linux-x64: the asset digest and the release notes disagree" });
  });

  it("fails when nothing is published", () => {
    expect(publishedSha256("linux-x64", null, "no checksums here")).toEqual({ reason: "linux-x64: GitHub publishes no SHA-256 for the archive" });
  });

  it("fails when the digest is not a SHA-256", () => {
    expect(publishedSha256("linux-x64", "sha256:xyz", "")).toMatchObject({ reason: expect.stringContaining("not a SHA-256") });
  });
});

describe("planRelease", () => {
  it("plans one archive per platform under a versioned key", () => {
    expect(planRelease(release("2.330.0", { "linux-x64": `sha256:${A}`, "linux-arm64": `sha256:${B}` }), ["linux-x64", "linux-arm64"], "2.329.0", "runner/")).toMatchObject({
      kind: "sync",
      version: "2.330.0",
      assets: [
        { platform: "linux-x64", key: "runner/v2.330.0/actions-runner-linux-x64-2.330.0.tar.gz", sha256: A },
        { platform: "linux-arm64", key: "runner/v2.330.0/actions-runner-linux-arm64-2.330.0.tar.gz", sha256: B },
      ],
    });
  });

  it("fails when a platform in use has no archive in the release", () => {
    expect(planRelease(release("2.330.0", { "linux-x64": `sha256:${A}` }), ["linux-x64", "linux-arm64"], "2.329.0", "runner/")).toEqual({ kind: "refuse", reason: "release 2.330.0 has no asset actions-runner-linux-arm64-2.330.0.tar.gz" });
  });

  it("fails when the latest release is older than the minimum", () => {
    expect(planRelease(release("2.328.0", { "linux-x64": `sha256:${A}` }), ["linux-x64"], "2.329.0", "runner/")).toMatchObject({ kind: "refuse", reason: expect.stringContaining("older than 2.329.0") });
  });

  it("fails when the release is a draft", () => {
    expect(planRelease({ ...release("2.330.0", { "linux-x64": `sha256:${A}` }), draft: true }, ["linux-x64"], "2.329.0", "runner/")).toMatchObject({ kind: "refuse" });
  });

  it("names windows archives as zips", () => {
    const answer: ReleaseAnswer = { tag_name: "v2.330.0", body: "", assets: [{ id: 1, name: "actions-runner-win-x64-2.330.0.zip", size: 1, digest: `sha256:${A}`, browser_download_url: "https://x/y.zip" }] };
    expect(planRelease(answer, ["win-x64"], "2.329.0", "p/")).toMatchObject({ kind: "sync", assets: [{ key: "p/v2.330.0/actions-runner-win-x64-2.330.0.zip" }] });
  });
});

describe("parsePlatforms", () => {
  it("fails when a platform is not in the table", () => {
    expect(() => parsePlatforms(["linux-x64", "osx-x64"])).toThrow("unknown runner platforms: osx-x64");
  });
});
