import type { Readable } from "node:stream";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { PutObjectCommandInput } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import nock from "nock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ResolvedRunnerRelease } from "../../../contracts/runner-binaries.js";
import { gitHubReleases } from "../../../lambdas/runner-binaries-syncer/adapters/github.js";
import { s3BinaryStore } from "../../../lambdas/runner-binaries-syncer/adapters/s3.js";
import { RunnerChecksumMismatchError, RunnerReleaseRefusedError } from "../../../lambdas/runner-binaries-syncer/errors.js";
import { syncRunnerBinaries } from "../../../lambdas/runner-binaries-syncer/sync.js";
import type { SyncDeps } from "../../../lambdas/runner-binaries-syncer/sync.js";
import { unauthenticatedOctokit } from "../../../lambdas/shared/index.js";
import { gitHubFake } from "../../helpers/github.js";
import { quietPowertools } from "../../helpers/powertools.js";
import { runnerRelease, sha256 } from "../../helpers/runner-release.js";
import type { ReleaseArchive } from "../../helpers/runner-release.js";

// The syncer's core with its real adapters: GitHub (or GHES) on nock with answers checked against
// GitHub's OpenAPI description, S3 through aws-sdk-client-mock keeping the objects it is given.

const GHES_API = "https://ghes.example.com/api/v3";
const GHES_DOWNLOADS = "https://ghes.example.com";
const BUCKET = "sr-runner-binaries";
const s3 = mockClient(S3Client);
/** Objects as the mocked bucket holds them. */
let objects: Map<string, { body: Buffer; input: PutObjectCommandInput }>;

async function bytesOf(body: unknown): Promise<Buffer> {
  if (typeof body === "string") return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const chunk of body as Readable) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

function notFound(): Error {
  return Object.assign(new Error("not found"), { name: "NoSuchKey", $metadata: { httpStatusCode: 404 } });
}

beforeAll(() => {
  nock.disableNetConnect();
  quietPowertools();
});
afterAll(() => nock.enableNetConnect());
beforeEach(() => {
  objects = new Map();
  s3.reset();
  s3.on(PutObjectCommand).callsFake(async (input: PutObjectCommandInput) => {
    objects.set(input.Key!, { body: await bytesOf(input.Body), input });
    return { ETag: '"e"' };
  });
  s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    const object = objects.get(input.Key);
    if (object === undefined) throw notFound();
    // The part of the SDK stream mixin the store reads.
    return { Body: { transformToString: async () => object.body.toString() } as never };
  });
  s3.on(HeadObjectCommand).callsFake((input: { Key: string }) => {
    const object = objects.get(input.Key);
    if (object === undefined) throw notFound();
    return { Metadata: object.input.Metadata };
  });
});
afterEach(() => nock.cleanAll());

const X64 = Buffer.from("linux x64 runner archive");
const ARM64 = Buffer.from("linux arm64 runner archive");

function deps(overrides: Partial<SyncDeps> = {}): SyncDeps {
  return {
    source: gitHubReleases(unauthenticatedOctokit({ baseUrl: GHES_API }), "actions/runner"),
    store: s3BinaryStore(new S3Client({ region: "eu-west-1" }), { bucket: BUCKET, resolvedKey: "runner/resolved-version.json" }),
    requested: "latest",
    minimum: "2.329.0",
    platforms: ["linux-x64", "linux-arm64"],
    prefix: "runner/",
    now: () => new Date("2026-12-07T00:00:00Z"),
    ...overrides,
  };
}

/** GHES answers one release (with `etag`) and serves its archives; returns what it saw. */
function ghesServes(version: string, archives: readonly ReleaseArchive[], options: { etag?: string; path?: string; served?: Record<string, Buffer> } = {}) {
  const fixture = runnerRelease(version, archives, GHES_DOWNLOADS);
  const api = gitHubFake(GHES_API);
  const headers: string[] = [];
  api.scope.get(options.path ?? "/repos/actions/runner/releases/latest").reply((request: unknown) => {
    // nock 15 hands reply functions the fetch Request.
    headers.push((request as Request).headers.get("if-none-match") ?? "");
    return [200, JSON.stringify(fixture.answer), { etag: options.etag ?? '"r1"', "content-type": "application/json; charset=utf-8" }];
  });
  const downloads = nock(GHES_DOWNLOADS);
  for (const [path, bytes] of fixture.downloads) downloads.get(path).reply(200, options.served?.[path] ?? bytes);
  return { fixture, api, ifNoneMatch: headers };
}

function resolved(): ResolvedRunnerRelease {
  return JSON.parse(objects.get("runner/resolved-version.json")!.body.toString()) as ResolvedRunnerRelease;
}

describe("syncRunnerBinaries", () => {
  it("copies each archive from GHES, checked end to end by S3, then writes the resolved version", async () => {
    const { api } = ghesServes("2.330.0", [{ platform: "linux-x64", bytes: X64 }, { platform: "linux-arm64", bytes: ARM64 }]);

    const summary = await syncRunnerBinaries(deps());

    expect(summary).toEqual({ change: "synced", version: "2.330.0", copied: ["runner/v2.330.0/actions-runner-linux-x64-2.330.0.tar.gz", "runner/v2.330.0/actions-runner-linux-arm64-2.330.0.tar.gz"], kept: [] });
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /api/v3/repos/actions/runner/releases/latest"]);
    const x64 = objects.get("runner/v2.330.0/actions-runner-linux-x64-2.330.0.tar.gz")!;
    expect(x64.body).toEqual(X64);
    expect(x64.input).toMatchObject({ Metadata: { sha256: sha256(X64) }, ChecksumSHA256: Buffer.from(sha256(X64), "hex").toString("base64") });
    expect(resolved()).toEqual({
      version: "2.330.0",
      tag: "v2.330.0",
      etag: '"r1"',
      requested: "latest",
      syncedAt: "2026-12-07T00:00:00.000Z",
      assets: {
        "linux-x64": { key: "runner/v2.330.0/actions-runner-linux-x64-2.330.0.tar.gz", sha256: sha256(X64), size: X64.length },
        "linux-arm64": { key: "runner/v2.330.0/actions-runner-linux-arm64-2.330.0.tar.gz", sha256: sha256(ARM64), size: ARM64.length },
      },
    });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("sends the last ETag and writes nothing when GitHub answers 304 Not Modified", async () => {
    ghesServes("2.330.0", [{ platform: "linux-x64", bytes: X64 }, { platform: "linux-arm64", bytes: ARM64 }]);
    await syncRunnerBinaries(deps());
    const puts = s3.commandCalls(PutObjectCommand).length;
    const api = gitHubFake(GHES_API);
    let ifNoneMatch: unknown;
    api.scope.get("/repos/actions/runner/releases/latest").reply((request: unknown) => {
      ifNoneMatch = (request as Request).headers.get("if-none-match");
      return [304, ""];
    });

    expect(await syncRunnerBinaries(deps())).toEqual({ change: "not modified", version: "2.330.0" });
    expect(ifNoneMatch).toBe('"r1"');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(puts);
  });

  it("keeps archives already in the bucket and copies only a newly used platform", async () => {
    ghesServes("2.330.0", [{ platform: "linux-x64", bytes: X64 }]);
    await syncRunnerBinaries(deps({ platforms: ["linux-x64"] }));
    const { ifNoneMatch } = ghesServes("2.330.0", [{ platform: "linux-x64", bytes: X64 }, { platform: "linux-arm64", bytes: ARM64 }]);

    const summary = await syncRunnerBinaries(deps());

    // A new platform means the stored ETag does not cover what is needed: the request is unconditional.
    expect(ifNoneMatch).toEqual([""]);
    expect(summary).toMatchObject({ copied: ["runner/v2.330.0/actions-runner-linux-arm64-2.330.0.tar.gz"], kept: ["runner/v2.330.0/actions-runner-linux-x64-2.330.0.tar.gz"] });
  });

  it("fails when an archive does not hash to the published SHA-256, writing nothing", async () => {
    const fixture = ghesServes("2.330.0", [{ platform: "linux-x64", bytes: X64 }, { platform: "linux-arm64", bytes: ARM64 }], {
      served: { "/actions/runner/releases/download/v2.330.0/actions-runner-linux-arm64-2.330.0.tar.gz": Buffer.from("tampered") },
    });

    await expect(syncRunnerBinaries(deps())).rejects.toThrow(RunnerChecksumMismatchError);
    expect(fixture.api.requests).toHaveLength(1);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it("uses the release notes' checksum when the asset has no digest, and fails when neither is published", async () => {
    ghesServes("2.330.0", [{ platform: "linux-x64", bytes: X64, digest: null }]);
    await expect(syncRunnerBinaries(deps({ platforms: ["linux-x64"] }))).resolves.toMatchObject({ change: "synced" });

    nock.cleanAll();
    ghesServes("2.331.0", [{ platform: "linux-x64", bytes: X64, digest: null, notesSha256: false }]);
    await expect(syncRunnerBinaries(deps({ platforms: ["linux-x64"] }))).rejects.toThrow("linux-x64: GitHub publishes no SHA-256 for the archive");
    expect(resolved().version).toBe("2.330.0");
  });

  it("reads a pinned version by its tag", async () => {
    const { api } = ghesServes("2.331.2", [{ platform: "linux-x64", bytes: X64 }], { path: "/repos/actions/runner/releases/tags/v2.331.2" });
    await expect(syncRunnerBinaries(deps({ requested: "2.331.2", platforms: ["linux-x64"] }))).resolves.toMatchObject({ change: "synced", version: "2.331.2" });
    expect(api.requests.map((r) => r.path)).toEqual(["/api/v3/repos/actions/runner/releases/tags/v2.331.2"]);
  });

  it("fails when a pinned version is below GitHub's minimum, without asking GitHub", async () => {
    const api = gitHubFake(GHES_API);
    await expect(syncRunnerBinaries(deps({ requested: "2.328.0" }))).rejects.toThrow(RunnerReleaseRefusedError);
    expect(api.requests).toEqual([]);
    expect(s3.calls()).toHaveLength(0);
  });

  it("marks the resolved version not to be cached, so instances see a new release at once", async () => {
    ghesServes("2.330.0", [{ platform: "linux-x64", bytes: X64 }]);
    await syncRunnerBinaries(deps({ platforms: ["linux-x64"] }));
    expect(objects.get("runner/resolved-version.json")!.input).toMatchObject({ CacheControl: "no-cache", ContentType: "application/json" });
  });
});
