import type { Context } from "aws-lambda";
import { beforeEach, describe, expect, it } from "vitest";
import { memoryIndex } from "../../../lambdas/build-cache/adapters/memory-index.js";
import { createHandler, recordCacheEvent, recordRefusal } from "../../../lambdas/build-cache/build-cache.lambda.js";
import type { HandlerDeps } from "../../../lambdas/build-cache/handle.js";
import { memoryBlobs, ranJobCaller, sha256Hex } from "../../helpers/build-cache.js";
import { metricPoints, quietPowertools, takeEmittedMetrics } from "../../helpers/powertools.js";

// The function's metrics per scope and protocol, through the handler as deployed (createHandler).

quietPowertools();

const context = { functionName: "sr-build-cache", awsRequestId: "r", invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:sr-build-cache" } as Context;
const CALLER = "arn:aws:sts::123456789012:assumed-role/sr-runner/i-0aaaaaaaaaaaaaaa1";

function deps(): HandlerDeps {
  return {
    index: memoryIndex(),
    blobs: memoryBlobs(),
    settings: { scopeBudgetBytes: 1000, presignTtlSeconds: 900, partSizeBytes: 5 * 1024 * 1024 },
    now: () => new Date("2026-12-07T10:00:00.000Z"),
    prefix: "sr",
    protocols: new Set(["turborepo"]),
    maxBlobBytes: 1000,
    callers: async (_arn, runnerName) => ranJobCaller("octo-org", "octo-org/app", "main", runnerName),
    record: recordCacheEvent,
    refused: recordRefusal,
  };
}

const post = (path: string, body: unknown) => ({ rawPath: path, body: JSON.stringify(body), requestContext: { http: { method: "POST" }, authorizer: { iam: { userArn: CALLER } } } });
const perScopeFields = { dimensionSets: [["service"], ["service", "Scope", "Protocol"]], dimensions: expect.objectContaining({ Scope: "octo-org", Protocol: "turborepo" }) };

describe("build cache metrics", () => {
  beforeEach(() => {
    takeEmittedMetrics();
  });

  it("counts a miss, the bytes written, then a hit with its bytes read, per scope and protocol", async () => {
    const cacheDeps = deps();
    const blobs = cacheDeps.blobs as ReturnType<typeof memoryBlobs>;
    const handler = createHandler(() => cacheDeps);
    const bytes = Buffer.from("artifact");
    const lookup = post("/v1/lookup", { protocol: "turborepo", keys: ["h1"], version: "1" });

    await handler(lookup, context);
    const reserved = JSON.parse((await handler(post("/v1/reserve", { protocol: "turborepo", key: "h1", version: "1", digest: sha256Hex(bytes), size: bytes.length }), context)).body);
    const tag = blobs.putPart(reserved.partUrls[0], bytes);
    await handler(post("/v1/commit", { uploadToken: reserved.uploadToken, partETags: [tag] }), context);
    await handler(lookup, context);

    const points = metricPoints();
    const named = (name: string) => points.filter((point) => point.name === name);
    expect(named("BuildCacheMisses")).toEqual([expect.objectContaining({ ...perScopeFields, value: 1 })]);
    expect(named("BuildCacheBytesWritten")).toEqual([expect.objectContaining({ ...perScopeFields, value: bytes.length, unit: "Bytes" })]);
    expect(named("BuildCacheHits")).toEqual([expect.objectContaining({ ...perScopeFields, value: 1 })]);
    expect(named("BuildCacheBytesRead")).toEqual([expect.objectContaining({ ...perScopeFields, value: bytes.length })]);
  });

  it("counts a refusal by reason", async () => {
    const handler = createHandler(deps);

    const answer = await handler(post("/v1/lookup", { protocol: "nx", keys: ["h1"], version: "1" }), context);

    expect(answer.statusCode).toBe(400);
    expect(metricPoints("BuildCacheRefusals")).toEqual([expect.objectContaining({ value: 1, dimensions: expect.objectContaining({ Reason: "malformed" }) })]);
  });
});
