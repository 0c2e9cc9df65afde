import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILD_CACHE_PATHS } from "../../../contracts/build-cache.js";
import type { CommitResponse, LookupResponse, ReserveResponse } from "../../../contracts/build-cache.js";
import { createIndexTable, sha256Hex } from "../../helpers/build-cache.js";
import { startDynalite } from "../../helpers/dynalite.js";
import type { LocalDynamoDb } from "../../helpers/dynalite.js";
import { loadShippedHandler } from "../../helpers/shipped-zip.js";

// Drives dist/lambdas/build-cache.zip and build-cache-sweep.zip as deployed, against a loopback S3
// (s3rver) and DynamoDB (dynalite): the agent's side is played by fetch on the presigned URLs.

type Answer = { statusCode: number; body: string };
type CacheHandler = (event: unknown, context: Context) => Promise<Answer>;
type SweepHandler = (event: unknown, context: Context) => Promise<{ scopes: number; evicted: number; blobsDeleted: number }>;

const ACCOUNT = "123456789012";
const BUCKET = "sr-build-cache";
const INDEX = "sr-build-cache-index";
const RUNNERS = "sr-runners";
const JOBS = "sr-jobs";
const MiB = 1024 * 1024;
const context = { functionName: "sr-build-cache", awsRequestId: "req-1", invokedFunctionArn: `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:sr-build-cache` } as Context;

/** Runner instances: scope, the job's repository and branch. */
const RUNNERS_SEEN = {
  featureA: { instanceId: "i-0aaaaaaaaaaaaaaa1", scope: "octo-a", repository: "octo-a/app", branch: "feature/a" },
  featureB: { instanceId: "i-0aaaaaaaaaaaaaaa2", scope: "octo-a", repository: "octo-a/app", branch: "feature/b" },
  mainA: { instanceId: "i-0aaaaaaaaaaaaaaa3", scope: "octo-a", repository: "octo-a/app", branch: "main" },
  mainB: { instanceId: "i-0bbbbbbbbbbbbbbb1", scope: "octo-b", repository: "octo-b/app", branch: "main" },
  sweep: { instanceId: "i-0ccccccccccccccc1", scope: "octo-s/app", repository: "octo-s/app", branch: "main" },
  /** Its runners table item expired (DynamoDB's TTL had not deleted it yet). */
  expired: { instanceId: "i-0eeeeeeeeeeeeeee1", scope: "octo-a", repository: "octo-a/app", branch: "main" },
} as const;
type Runner = keyof typeof RUNNERS_SEEN;

const directory = mkdtempSync(join(tmpdir(), "s3rver-"));
const s3rver = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory, configureBuckets: [{ name: BUCKET, configs: [] }] });
let s3: S3Client;
let db: LocalDynamoDb;
let cache: CacheHandler;
let sweepHandler: SweepHandler;

function event(caller: string | undefined, path: string, body: unknown, raw = false): unknown {
  return {
    rawPath: path,
    body: raw ? body : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { http: { method: "POST" }, ...(caller === undefined ? {} : { authorizer: { iam: { userArn: caller } } }) },
  };
}

const arnOf = (runner: Runner, account = ACCOUNT) => `arn:aws:sts::${account}:assumed-role/sr-runner/${RUNNERS_SEEN[runner].instanceId}`;

async function call<T>(runner: Runner, path: string, body: unknown): Promise<{ status: number; body: T }> {
  const answer = await cache(event(arnOf(runner), path, body), context);
  return { status: answer.statusCode, body: JSON.parse(answer.body) as T };
}

/** What the agent does to save: reserve, PUT every part to its presigned URL, commit with the ETags. */
async function save(runner: Runner, key: string, bytes: Buffer, digest = sha256Hex(bytes)): Promise<{ status: number; body: CommitResponse | ReserveResponse }> {
  const reserved = await call<ReserveResponse>(runner, BUILD_CACHE_PATHS.reserve, { protocol: "actions", key, version: "v1", digest, size: bytes.length });
  if (reserved.status !== 200 || "refused" in reserved.body) return reserved;
  const body = reserved.body;
  const tags: string[] = [];
  if (body.upload) {
    for (const [index, url] of body.partUrls.entries()) {
      const put = await fetch(url, { method: "PUT", body: bytes.subarray(index * body.partSize, (index + 1) * body.partSize) });
      expect(put.status).toBe(200);
      tags.push(put.headers.get("etag") ?? "");
    }
  }
  return call<CommitResponse>(runner, BUILD_CACHE_PATHS.commit, { uploadToken: body.uploadToken, partETags: tags });
}

/** What the agent does to restore: lookup, then GET the presigned URL. */
async function restore(runner: Runner, keys: string[]): Promise<{ hit: LookupResponse; bytes?: Buffer }> {
  const { status, body } = await call<LookupResponse>(runner, BUILD_CACHE_PATHS.lookup, { protocol: "actions", keys, version: "v1" });
  expect(status).toBe(200);
  if (!body.hit) return { hit: body };
  const got = await fetch(body.url);
  return { hit: body, bytes: Buffer.from(await got.arrayBuffer()) };
}

async function objectKeys(): Promise<string[]> {
  return ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? []).map((object) => object.Key ?? "");
}

const entries = async () => (await db.items(INDEX)).filter((item) => String(item.sk).startsWith("e#"));

beforeAll(async () => {
  const { port } = (await s3rver.run()) as AddressInfo;
  const s3Endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
  s3 = new S3Client({ region: "eu-west-1", endpoint: s3Endpoint, forcePathStyle: true, credentials });
  db = await startDynalite();
  await createIndexTable(db.client, INDEX);
  await db.createTable(RUNNERS);
  await db.createTable(JOBS);
  for (const [index, runner] of Object.values(RUNNERS_SEEN).entries()) {
    const runnerName = `sr-${runner.instanceId}`;
    const jobKey = `job#${1000 + index}#1`;
    const expiresAt = Math.floor(Date.now() / 1000) + (runner === RUNNERS_SEEN.expired ? -60 : 86_400);
    await db.documentClient.send(new PutCommand({ TableName: RUNNERS, Item: { pk: `arn:aws:ec2:eu-west-1:${ACCOUNT}:instance/${runner.instanceId}`, instanceId: runner.instanceId, owner: runner.scope, jobKey, expiresAt } }));
    await db.documentClient.send(new PutCommand({ TableName: JOBS, Item: { pk: jobKey, phase: "running", repository: runner.repository, headBranch: runner.branch, defaultBranch: "main", ranOn: runnerName } }));
    await db.documentClient.send(new PutCommand({ TableName: JOBS, Item: { pk: `runner#${runnerName}`, job: jobKey } }));
  }
  const env = {
    AWS_ENDPOINT_URL_S3: s3Endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    PREFIX: "sr",
    BUILD_CACHE_BUCKET: BUCKET,
    BUILD_CACHE_INDEX_TABLE: INDEX,
    RUNNERS_TABLE: RUNNERS,
    JOBS_TABLE: JOBS,
    BUILD_CACHE_SCOPE_BUDGET_BYTES: String(64 * MiB),
    BUILD_CACHE_PROTOCOLS: '["actions","turborepo"]',
    BUILD_CACHE_RUNNER_ROLE_NAMES: '["sr-runner"]',
    BUILD_CACHE_PART_SIZE_BYTES: String(5 * MiB),
    BUILD_CACHE_RETENTION_DAYS: "7",
    // No lookup here claims a pull request, so GitHub is never called (shipped-zip-base-branch.test.ts does).
    GITHUB_APP_ID: "1234",
    GITHUB_APP_PRIVATE_KEY_SSM_PARAMETER_NAME: "/sr/github-app/private-key",
    GITHUB_API_URL: "http://127.0.0.1:9",
  };
  cache = loadShippedHandler<CacheHandler>("build-cache", env);
  sweepHandler = loadShippedHandler<SweepHandler>("build-cache-sweep", env);
});

afterAll(async () => {
  await s3rver.close();
  await db.close();
  rmSync(directory, { recursive: true, force: true });
});

describe("build-cache zip", () => {
  it("saves a multipart blob through presigned URLs and restores it byte for byte", async () => {
    const bytes = Buffer.alloc(6 * MiB + 17, 7);

    expect(await save("featureA", "npm-linux-1", bytes)).toEqual({ status: 200, body: { committed: true } });
    const restored = await restore("featureA", ["npm-linux-1"]);

    expect(restored.hit).toMatchObject({ hit: true, key: "npm-linux-1", size: bytes.length, digest: sha256Hex(bytes) });
    expect(restored.bytes?.equals(bytes)).toBe(true);
    expect((await objectKeys()).filter((key) => key.startsWith("staging/"))).toEqual([]);
  });

  it("keeps scope B out of scope A: no hit, and B's save of the same key does not overwrite A's", async () => {
    await save("mainA", "turbo-42", Buffer.from("A's artifact"));

    expect((await restore("mainB", ["turbo-42"])).hit).toEqual({ hit: false });
    expect((await save("mainB", "turbo-42", Buffer.from("B's artifact"))).body).toEqual({ committed: true });
    expect((await restore("mainA", ["turbo-42"])).bytes?.toString()).toBe("A's artifact");
    expect((await restore("mainB", ["turbo-42"])).bytes?.toString()).toBe("B's artifact");
  });

  it("does not let scope B commit scope A's upload token (409)", async () => {
    const reserved = await call<ReserveResponse>("featureA", BUILD_CACHE_PATHS.reserve, { protocol: "actions", key: "stolen", version: "v1", digest: sha256Hex("x"), size: 1 });
    if (!("uploadToken" in reserved.body)) throw new Error("refused");

    const stolen = await call("mainB", BUILD_CACHE_PATHS.commit, { uploadToken: reserved.body.uploadToken, partETags: [] });

    expect(stolen.status).toBe(409);
  });

  it("restores the default branch's entry on a feature branch, never a sibling branch's", async () => {
    await save("featureB", "deps-sibling", Buffer.from("sibling"));
    await save("mainA", "deps-main", Buffer.from("main"));

    expect((await restore("featureA", ["deps-sibling"])).hit).toEqual({ hit: false });
    expect((await restore("featureA", ["deps-x", "deps-"])).hit).toMatchObject({ hit: true, key: "deps-main", fromBranch: "main" });
  });

  it.each([
    { name: "an unsigned request (no IAM identity)", caller: undefined },
    { name: "another account's role named after our instance", caller: `arn:aws:sts::999999999999:assumed-role/sr-runner/${RUNNERS_SEEN.featureA.instanceId}` },
    { name: "an instance not in the runners table", caller: `arn:aws:sts::${ACCOUNT}:assumed-role/sr-runner/i-0ddddddddddddddd1` },
    { name: "an instance whose runners table item expired", caller: arnOf("expired") },
    { name: "another role's session named after a runner instance", caller: `arn:aws:sts::${ACCOUNT}:assumed-role/sr-admin/${RUNNERS_SEEN.featureA.instanceId}` },
    { name: "a session not named after an instance", caller: `arn:aws:sts::${ACCOUNT}:assumed-role/sr-runner/mallory` },
    { name: "an IAM user", caller: `arn:aws:iam::${ACCOUNT}:user/mallory` },
  ])("answers 403 to $name", async ({ caller }) => {
    const answer = await cache(event(caller, BUILD_CACHE_PATHS.lookup, { protocol: "actions", keys: ["npm-linux-1"], version: "v1" }), context);

    expect(answer.statusCode).toBe(403);
    expect(answer.body).not.toContain("npm-linux-1");
  });

  it("refuses an upload whose bytes do not hash to the reserved digest (422): no entry, no blob", async () => {
    const before = (await objectKeys()).filter((key) => key.startsWith("blobs/"));

    const answer = await save("featureA", "poisoned", Buffer.from("evil bytes"), sha256Hex("good bytes"));

    expect(answer.status).toBe(422);
    expect((await restore("featureA", ["poisoned"])).hit).toEqual({ hit: false });
    expect((await objectKeys()).filter((key) => key.startsWith("blobs/"))).toEqual(before);
  });

  it("shows no entry when the saver stops between the upload and the commit", async () => {
    const bytes = Buffer.from("uploaded, never committed");
    const reserved = await call<ReserveResponse>("featureA", BUILD_CACHE_PATHS.reserve, { protocol: "actions", key: "half", version: "v1", digest: sha256Hex(bytes), size: bytes.length });
    if (!("partUrls" in reserved.body)) throw new Error("expected an upload");
    expect((await fetch(reserved.body.partUrls[0] ?? "", { method: "PUT", body: bytes })).status).toBe(200);

    expect((await restore("featureA", ["half"])).hit).toEqual({ hit: false });
    expect((await entries()).map((item) => item.key)).not.toContain("half");
  });

  it.each([
    { name: "a body that is not JSON", path: BUILD_CACHE_PATHS.reserve, body: "{not json", raw: true },
    { name: "a JSON array", path: BUILD_CACHE_PATHS.reserve, body: [], raw: false },
    { name: "an unknown protocol", path: BUILD_CACHE_PATHS.reserve, body: { protocol: "ftp", key: "k", version: "v1", digest: "a".repeat(64), size: 1 }, raw: false },
    { name: "a disabled protocol", path: BUILD_CACHE_PATHS.reserve, body: { protocol: "bazel", key: "k", version: "v1", digest: "a".repeat(64), size: 1 }, raw: false },
    { name: "an uppercase digest", path: BUILD_CACHE_PATHS.reserve, body: { protocol: "actions", key: "k", version: "v1", digest: "A".repeat(64), size: 1 }, raw: false },
    { name: "a negative size", path: BUILD_CACHE_PATHS.reserve, body: { protocol: "actions", key: "k", version: "v1", digest: "a".repeat(64), size: -1 }, raw: false },
    { name: "a key with a newline", path: BUILD_CACHE_PATHS.reserve, body: { protocol: "actions", key: "k\nx", version: "v1", digest: "a".repeat(64), size: 1 }, raw: false },
    { name: "no keys", path: BUILD_CACHE_PATHS.lookup, body: { protocol: "actions", keys: [], version: "v1" }, raw: false },
    { name: "a forged upload token", path: BUILD_CACHE_PATHS.commit, body: { uploadToken: "../../etc", partETags: [] }, raw: false },
  ])("answers exactly 400 to $name and writes nothing", async ({ path, body, raw }) => {
    const itemsBefore = await db.items(INDEX);
    const objectsBefore = await objectKeys();

    const answer = await cache(event(arnOf("featureA"), path, body, raw), context);

    expect(answer.statusCode).toBe(400);
    expect(await db.items(INDEX)).toEqual(itemsBefore);
    expect(await objectKeys()).toEqual(objectsBefore);
  });

  it("answers 404 to an unknown path", async () => {
    expect((await cache(event(arnOf("featureA"), "/v1/delete", {}), context)).statusCode).toBe(404);
  });
});

describe("build-cache-sweep zip", () => {
  /** Ages an item of the index as if time had passed (the zip reads the real clock). */
  async function age(sk: string, fields: Record<string, string>): Promise<void> {
    const item = (await db.items(INDEX)).find((candidate) => candidate.sk === sk);
    const names = Object.keys(fields);
    await db.documentClient.send(
      new UpdateCommand({
        TableName: INDEX,
        Key: { pk: item?.pk, sk },
        UpdateExpression: `SET ${names.map((_, i) => `#f${i} = :v${i}`).join(", ")}`,
        ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#f${i}`, name])),
        ExpressionAttributeValues: Object.fromEntries(names.map((name, i) => [`:v${i}`, fields[name]])),
      }),
    );
  }

  it("evicts entries past retention and deletes only the blob no entry references any more", async () => {
    const shared = Buffer.from("bytes two keys share");
    const alone = Buffer.from("bytes of one key");
    await save("sweep", "old-shared", shared);
    await save("sweep", "fresh-shared", shared);
    await save("sweep", "old-alone", alone);
    const longAgo = new Date(Date.now() - 10 * 86_400_000).toISOString();
    for (const item of (await db.items(INDEX)).filter((candidate) => candidate.scope === "octo-s/app")) {
      if (String(item.sk).startsWith("b#")) await age(item.sk, { lastReferenced: longAgo });
      if (item.key === "old-shared" || item.key === "old-alone") await age(item.sk, { lastAccess: longAgo });
    }

    const summary = await sweepHandler({ source: "aws.events" }, context);

    expect(summary).toMatchObject({ evicted: 2, blobsDeleted: 1 });
    expect((await restore("sweep", ["old-alone"])).hit).toEqual({ hit: false });
    expect((await restore("sweep", ["old-shared"])).hit).toEqual({ hit: false });
    expect((await restore("sweep", ["fresh-shared"])).bytes?.equals(shared)).toBe(true);
    const blobs = (await objectKeys()).filter((key) => key.startsWith("blobs/"));
    expect(blobs.some((key) => key.endsWith(sha256Hex(shared)))).toBe(true);
    expect(blobs.some((key) => key.endsWith(sha256Hex(alone)))).toBe(false);
  });
});
