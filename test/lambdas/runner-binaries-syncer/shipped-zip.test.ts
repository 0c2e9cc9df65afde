import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { Context } from "aws-lambda";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadShippedHandler } from "../../helpers/shipped-zip.js";
import { runnerRelease, sha256 } from "../../helpers/runner-release.js";
import type { RunnerReleaseFixture } from "../../helpers/runner-release.js";

// Drives dist/lambdas/runner-binaries-syncer.zip (with the shared layer) as deployed: a loopback GHES
// (`/api/v3`) whose release answer is checked against GitHub's OpenAPI description and which serves
// the archives, and a loopback S3 (s3rver) holding the bucket.

type Handler = (event: unknown, context: Context) => Promise<{ change: string; version: string }>;
const context = { functionName: "sr-runner-binaries-syncer", awsRequestId: "req-1", invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:sr-runner-binaries-syncer" } as Context;
const BUCKET = "sr-runner-binaries";
const X64 = Buffer.from("shipped linux x64 archive");
const ARM64 = Buffer.from("shipped linux arm64 archive");

let release: RunnerReleaseFixture;
const seen: Array<{ path: string; ifNoneMatch?: string }> = [];
const ghes: Server = createServer((req, res) => {
  const path = req.url ?? "";
  seen.push({ path, ifNoneMatch: req.headers["if-none-match"] });
  if (path === "/api/v3/repos/actions/runner/releases/latest") {
    if (req.headers["if-none-match"] === '"release-1"') {
      res.writeHead(304, { etag: '"release-1"' }).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json; charset=utf-8", etag: '"release-1"' }).end(JSON.stringify(release.answer));
    return;
  }
  const archive = release.downloads.get(path);
  res.writeHead(archive === undefined ? 404 : 200).end(archive ?? "");
});

const directory = mkdtempSync(join(tmpdir(), "s3rver-"));
const s3rver = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory, configureBuckets: [{ name: BUCKET, configs: [] }] });
let s3: S3Client;
let handler: Handler;

async function read(key: string): Promise<Buffer> {
  const answer = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await answer.Body!.transformToByteArray());
}

beforeAll(async () => {
  await new Promise<void>((resolve) => ghes.listen(0, "127.0.0.1", resolve));
  const ghesUrl = `http://127.0.0.1:${(ghes.address() as AddressInfo).port}`;
  release = runnerRelease("2.330.1", [{ platform: "linux-x64", bytes: X64 }, { platform: "linux-arm64", bytes: ARM64 }], ghesUrl);
  const { port } = (await s3rver.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  // s3rver checks signatures made with its own fixed credentials.
  const credentials = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
  s3 = new S3Client({ region: "eu-west-1", endpoint, forcePathStyle: true, credentials });
  handler = loadShippedHandler<Handler>("runner-binaries-syncer", {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    GITHUB_API_URL: `${ghesUrl}/api/v3`,
    RUNNER_VERSION: "latest",
    RUNNER_PLATFORMS: '["linux-x64","linux-arm64"]',
    BUCKET_NAME: BUCKET,
  });
});

afterAll(async () => {
  await new Promise((resolve) => ghes.close(resolve));
  await s3rver.close();
  rmSync(directory, { recursive: true, force: true });
});

describe("runner-binaries-syncer zip", () => {
  it("copies the release from GHES into the bucket and writes the resolved version", async () => {
    await expect(handler({ source: "aws.events" }, context)).resolves.toMatchObject({ change: "synced", version: "2.330.1" });

    expect(await read("runner/v2.330.1/actions-runner-linux-x64-2.330.1.tar.gz")).toEqual(X64);
    expect(await read("runner/v2.330.1/actions-runner-linux-arm64-2.330.1.tar.gz")).toEqual(ARM64);
    expect(JSON.parse((await read("runner/resolved-version.json")).toString())).toMatchObject({
      version: "2.330.1",
      etag: '"release-1"',
      assets: { "linux-x64": { key: "runner/v2.330.1/actions-runner-linux-x64-2.330.1.tar.gz", sha256: sha256(X64) } },
    });
  });

  it("answers from the ETag on the next run: one conditional request, no download", async () => {
    seen.length = 0;
    await expect(handler({ source: "aws.events" }, context)).resolves.toEqual({ change: "not modified", version: "2.330.1" });
    expect(seen).toEqual([{ path: "/api/v3/repos/actions/runner/releases/latest", ifNoneMatch: '"release-1"' }]);
  });
});
