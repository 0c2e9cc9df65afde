import { describe, expect, it } from "vitest";
import { memoryIndex } from "../../../lambdas/build-cache/adapters/memory-index.js";
import { handleRequest } from "../../../lambdas/build-cache/handle.js";
import type { FunctionUrlRequest, HandlerDeps } from "../../../lambdas/build-cache/handle.js";
import { memoryBlobs, ranJobCaller } from "../../helpers/build-cache.js";

const FUNCTION_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:sr-build-cache";
const CALLER = "arn:aws:sts::123456789012:assumed-role/sr-runner/i-0aaaaaaaaaaaaaaa1";

function deps(refusals: string[], asked: string[] = []): HandlerDeps {
  return {
    index: memoryIndex(),
    blobs: memoryBlobs(),
    settings: { scopeBudgetBytes: 1000, presignTtlSeconds: 900, partSizeBytes: 5 * 1024 * 1024 },
    now: () => new Date("2026-12-07T10:00:00.000Z"),
    prefix: "sr",
    protocols: new Set(["actions"]),
    maxBlobBytes: 1000,
    callers: async (instanceArn, runnerName) => {
      asked.push(`${instanceArn} ${runnerName}`);
      return ranJobCaller("octo-org", "octo-org/app", "main", runnerName);
    },
    refused: (reason) => refusals.push(reason),
  };
}

function request(body: string, overrides: Partial<FunctionUrlRequest> = {}): FunctionUrlRequest {
  return { rawPath: "/v1/lookup", body, requestContext: { http: { method: "POST" }, authorizer: { iam: { userArn: CALLER } } }, ...overrides };
}

const LOOKUP = JSON.stringify({ protocol: "actions", keys: ["k"], version: "v1" });

describe("handleRequest", () => {
  it("looks the caller up by its instance ARN in the function's region and account, and its runner name", async () => {
    const asked: string[] = [];

    const answer = await handleRequest(request(LOOKUP), FUNCTION_ARN, deps([], asked));

    expect(answer).toEqual({ statusCode: 200, body: { hit: false } });
    expect(asked).toEqual(["arn:aws:ec2:eu-west-1:123456789012:instance/i-0aaaaaaaaaaaaaaa1 sr-i-0aaaaaaaaaaaaaaa1"]);
  });

  it("answers 403 to a session of a role that is not a runner role, asking no store", async () => {
    const refusals: string[] = [];
    const asked: string[] = [];

    const answer = await handleRequest(request(LOOKUP), FUNCTION_ARN, { ...deps(refusals, asked), runnerRoles: new Set(["sr-runner-gpu"]) });

    expect(answer.statusCode).toBe(403);
    expect(refusals).toEqual(["identity"]);
    expect(asked).toEqual([]);
  });

  it("reads a base64 body (the function URL encodes some content types)", async () => {
    const answer = await handleRequest(request(Buffer.from(LOOKUP).toString("base64"), { isBase64Encoded: true }), FUNCTION_ARN, deps([]));

    expect(answer.statusCode).toBe(200);
  });

  it("answers 405 to another method and counts the refusal by reason, asking no store", async () => {
    const refusals: string[] = [];
    const asked: string[] = [];

    const answer = await handleRequest(request(LOOKUP, { requestContext: { http: { method: "GET" }, authorizer: { iam: { userArn: CALLER } } } }), FUNCTION_ARN, deps(refusals, asked));

    expect(answer.statusCode).toBe(405);
    expect(refusals).toEqual(["method"]);
    expect(asked).toEqual([]);
  });

  it("answers 400 to a malformed body before asking who the caller is", async () => {
    const refusals: string[] = [];
    const asked: string[] = [];

    const answer = await handleRequest(request(JSON.stringify({ protocol: "actions", keys: "k", version: "v1" })), FUNCTION_ARN, deps(refusals, asked));

    expect(answer).toEqual({ statusCode: 400, body: { message: "keys must hold 1 to 11 keys" } });
    expect(refusals).toEqual(["malformed"]);
    expect(asked).toEqual([]);
  });
});
