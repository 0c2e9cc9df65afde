import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILD_CACHE_PATHS, PULL_REQUEST_CHECK_TTL_SECONDS } from "../../../contracts/build-cache.js";
import type { LookupResponse, PullRequestClaim, ReserveResponse } from "../../../contracts/build-cache.js";
import { createIndexTable, sha256Hex } from "../../helpers/build-cache.js";
import { startDynalite } from "../../helpers/dynalite.js";
import type { LocalDynamoDb } from "../../helpers/dynalite.js";
import { LoopbackAws } from "../../helpers/loopback-aws.js";
import { LoopbackGitHub } from "../../helpers/loopback-github.js";
import { generateAppPrivateKey, installationToken, pullRequest } from "../../helpers/openapi.js";
import { loadShippedHandler } from "../../helpers/shipped-zip.js";

// dist/lambdas/build-cache.zip as deployed, with a job claiming a pull request: S3 on s3rver, DynamoDB on
// dynalite, the App key from a loopback SSM and GitHub on loopback (answers checked against its OpenAPI).

type CacheHandler = (event: unknown, context: Context) => Promise<{ statusCode: number; body: string }>;

const ACCOUNT = "123456789012";
const BUCKET = "sr-build-cache";
const INDEX = "sr-build-cache-index";
const INSTALLATION = 42;
const context = { functionName: "sr-build-cache", awsRequestId: "req-1", invokedFunctionArn: `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:sr-build-cache` } as Context;

/** Runner instances of scope octo-a, each having run a job of octo-a/app on its branch. */
const RUNNERS = {
  featureA: { instanceId: "i-0aaaaaaaaaaaaaaa1", branch: "feature/a" },
  featureB: { instanceId: "i-0aaaaaaaaaaaaaaa2", branch: "feature/b" },
  release: { instanceId: "i-0aaaaaaaaaaaaaaa3", branch: "release" },
} as const;
type Runner = keyof typeof RUNNERS;

const directory = mkdtempSync(join(tmpdir(), "s3rver-"));
const s3rver = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory, configureBuckets: [{ name: BUCKET, configs: [] }] });
const ssm = new LoopbackAws().on("AmazonSSM.GetParameter", (input) => ({ Parameter: { Name: input.Name, Type: "SecureString", Value: generateAppPrivateKey(), Version: 1 } }));
const github = new LoopbackGitHub()
  .on(`POST /app/installations/${INSTALLATION}/access_tokens`, () => [201, installationToken()])
  // PR 7: feature/a into release. PR 8: feature/b into feature/a.
  .on("GET /repos/octo-a/app/pulls/7", () => [200, pullRequest({ number: 7, repository: "octo-a/app", headRef: "feature/a", baseRef: "release" })])
  .on("GET /repos/octo-a/app/pulls/8", () => [200, pullRequest({ number: 8, repository: "octo-a/app", headRef: "feature/b", baseRef: "feature/a" })]);
let db: LocalDynamoDb;
let cache: CacheHandler;

async function call<T>(runner: Runner, path: string, body: unknown): Promise<{ status: number; body: T }> {
  const event = { rawPath: path, body: JSON.stringify(body), isBase64Encoded: false, requestContext: { http: { method: "POST" }, authorizer: { iam: { userArn: `arn:aws:sts::${ACCOUNT}:assumed-role/sr-runner/${RUNNERS[runner].instanceId}` } } } };
  const answer = await cache(event, context);
  return { status: answer.statusCode, body: JSON.parse(answer.body) as T };
}

async function save(runner: Runner, key: string, bytes: Buffer): Promise<void> {
  const reserved = await call<ReserveResponse>(runner, BUILD_CACHE_PATHS.reserve, { protocol: "actions", key, version: "v1", digest: sha256Hex(bytes), size: bytes.length });
  if (!("partUrls" in reserved.body)) throw new Error(`reserve refused: ${JSON.stringify(reserved.body)}`);
  const put = await fetch(reserved.body.partUrls[0] ?? "", { method: "PUT", body: bytes });
  expect((await call(runner, BUILD_CACHE_PATHS.commit, { uploadToken: reserved.body.uploadToken, partETags: [put.headers.get("etag") ?? ""] })).body).toEqual({ committed: true });
}

async function lookup(runner: Runner, keys: string[], pullRequestClaim?: PullRequestClaim): Promise<LookupResponse> {
  const answer = await call<LookupResponse>(runner, BUILD_CACHE_PATHS.lookup, { protocol: "actions", keys, version: "v1", ...(pullRequestClaim === undefined ? {} : { pullRequest: pullRequestClaim }) });
  expect(answer.status).toBe(200);
  return answer.body;
}

const pullRequestCalls = () => github.calls().filter((call) => call.includes("/pulls/"));

beforeAll(async () => {
  const { port } = (await s3rver.run()) as AddressInfo;
  const [awsEndpoint, githubUrl] = await Promise.all([ssm.start(), github.start()]);
  db = await startDynalite();
  await createIndexTable(db.client, INDEX);
  await Promise.all([db.createTable("sr-runners"), db.createTable("sr-jobs")]);
  for (const [index, runner] of Object.values(RUNNERS).entries()) {
    const runnerName = `sr-${runner.instanceId}`;
    const jobKey = `job#${2000 + index}#1`;
    const expiresAt = Math.floor(Date.now() / 1000) + 86_400;
    await db.documentClient.send(new PutCommand({ TableName: "sr-runners", Item: { pk: `arn:aws:ec2:eu-west-1:${ACCOUNT}:instance/${runner.instanceId}`, owner: "octo-a", jobKey, expiresAt } }));
    await db.documentClient.send(
      new PutCommand({ TableName: "sr-jobs", Item: { pk: jobKey, phase: "running", repository: "octo-a/app", headBranch: runner.branch, defaultBranch: "main", installationId: INSTALLATION, ranOn: runnerName } }),
    );
    await db.documentClient.send(new PutCommand({ TableName: "sr-jobs", Item: { pk: `runner#${runnerName}`, job: jobKey } }));
  }
  cache = loadShippedHandler<CacheHandler>("build-cache", {
    AWS_ENDPOINT_URL: awsEndpoint,
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`,
    AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
    PREFIX: "sr",
    BUILD_CACHE_BUCKET: BUCKET,
    BUILD_CACHE_INDEX_TABLE: INDEX,
    RUNNERS_TABLE: "sr-runners",
    JOBS_TABLE: "sr-jobs",
    BUILD_CACHE_SCOPE_BUDGET_BYTES: String(64 * 1024 * 1024),
    BUILD_CACHE_PROTOCOLS: '["actions"]',
    BUILD_CACHE_RUNNER_ROLE_NAMES: '["sr-runner"]',
    GITHUB_APP_ID: "1234",
    GITHUB_APP_PRIVATE_KEY_SSM_PARAMETER_NAME: "/sr/github-app/private-key",
    GITHUB_API_URL: githubUrl,
  });
  await save("release", "deps-release", Buffer.from("release's deps"));
  await save("featureB", "deps-sibling", Buffer.from("feature/b's deps"));
});

afterAll(async () => {
  await Promise.all([s3rver.close(), ssm.stop(), github.stop(), db.close()]);
  rmSync(directory, { recursive: true, force: true });
});

describe("build-cache zip: the pull request's base branch", () => {
  it("restores the base branch's entry once GitHub confirms the claim, then asks GitHub no more within the hour", async () => {
    const first = await lookup("featureA", ["deps-release"], { number: 7, baseRef: "release" });
    const second = await lookup("featureA", ["deps-none", "deps-r"], { number: 7, baseRef: "release" });

    expect(first).toMatchObject({ hit: true, key: "deps-release", fromBranch: "release" });
    expect(second).toMatchObject({ hit: true, key: "deps-release", fromBranch: "release" });
    expect(pullRequestCalls()).toEqual(["GET /repos/octo-a/app/pulls/7"]);
    const kept = (await db.items(INDEX)).find((item) => item.pk === "pr#octo-a/app" && item.sk === "p#7");
    expect(Number(kept?.expiresAt) - Date.now() / 1000).toBeGreaterThan(PULL_REQUEST_CHECK_TTL_SECONDS - 60);
  });

  it("never restores a sibling branch's entry, whatever pull request the job claims", async () => {
    // The job's own PR with the sibling as base; the sibling's PR (its head is feature/b) claimed as the job's.
    expect(await lookup("featureA", ["deps-sibling"], { number: 7, baseRef: "feature/b" })).toEqual({ hit: false });
    expect(await lookup("featureA", ["deps-sibling"], { number: 8, baseRef: "feature/b" })).toEqual({ hit: false });
    expect(await lookup("featureA", ["deps-sibling"], { number: 8, baseRef: "feature/a" })).toEqual({ hit: false });
  });

  it("answers a claim GitHub does not confirm (no such pull request) with own and default branch only, not an error", async () => {
    expect(await lookup("featureA", ["deps-release"], { number: 9, baseRef: "release" })).toEqual({ hit: false });
    expect(github.calls()).toContain("GET /repos/octo-a/app/pulls/9");
  });

  it("reads no base branch without a claim", async () => {
    expect(await lookup("featureA", ["deps-release"])).toEqual({ hit: false });
  });
});
