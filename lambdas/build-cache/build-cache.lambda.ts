/**
 * The build cache function (issue 16), behind a Lambda function URL with AWS_IAM auth.
 * Reads:  the caller's runners table item and ledger records (scope, job, branches); the cache index.
 * Writes: the cache index (reservations, blob records, entries); S3 staging uploads and verified blobs.
 * Answers: presigned S3 URLs for the caller's scope only (docs/build-cache.md).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import { METRICS, emitMetric, flushMetrics, logger } from "../shared/core.js";
import { installationClientProvider } from "../shared/index.js";
import { dynamoDbCallers } from "./adapters/callers.js";
import { dynamoDbIndex } from "./adapters/dynamodb-index.js";
import { cachedPullRequests, gitHubPullRequests } from "./adapters/github-pull-requests.js";
import { blobStoreClient, s3BlobStore } from "./adapters/s3-blobs.js";
import { buildCacheConfigFromEnv } from "./config.js";
import { handleRequest } from "./handle.js";
import type { FunctionUrlRequest, HandlerDeps } from "./handle.js";
import type { CacheEvent } from "./service.js";

export interface FunctionUrlResult {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Metrics per scope and protocol (contracts/metrics.ts). */
export function recordCacheEvent(event: CacheEvent): void {
  const dimensions = { Scope: event.scope, Protocol: event.protocol };
  if (event.kind === "hit") {
    emitMetric(METRICS.buildCacheHits, 1, dimensions);
    emitMetric(METRICS.buildCacheBytesRead, event.bytes, dimensions);
  } else if (event.kind === "miss") {
    emitMetric(METRICS.buildCacheMisses, 1, dimensions);
  } else {
    emitMetric(METRICS.buildCacheBytesWritten, event.bytes, dimensions);
  }
}

/** A refused request, by reason (handle.ts names them). */
export function recordRefusal(reason: string): void {
  emitMetric(METRICS.buildCacheRefusals, 1, { Reason: reason });
}

/** The deployed dependencies, from the function's environment (first invocation). */
export function defaultDeps(env?: NodeJS.ProcessEnv): HandlerDeps {
  const config = buildCacheConfigFromEnv(env);
  const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  return {
    prefix: config.prefix,
    protocols: config.protocols,
    ...(config.runnerRoles === undefined ? {} : { runnerRoles: config.runnerRoles }),
    maxBlobBytes: config.maxBlobBytes,
    settings: config.settings,
    index: dynamoDbIndex(documentClient, config.indexTable),
    blobs: s3BlobStore(blobStoreClient(), config.bucket),
    callers: dynamoDbCallers(documentClient, config.runnersTable, config.jobsTable),
    pullRequests: cachedPullRequests(gitHubPullRequests(installationClientProvider(config.app)), documentClient, config.indexTable),
    now: () => new Date(),
    record: recordCacheEvent,
    refused: recordRefusal,
  };
}

/** Function URL handler over `loadDeps` (run once per execution environment). */
export function createHandler(loadDeps: () => HandlerDeps): (event: FunctionUrlRequest, context: Context) => Promise<FunctionUrlResult> {
  let deps: HandlerDeps | undefined;
  return async (event, context) => {
    logger.addContext(context);
    try {
      deps ??= loadDeps();
      const answer = await handleRequest(event, context.invokedFunctionArn, deps);
      if (answer.statusCode >= 400) logger.warn("cache request refused", { statusCode: answer.statusCode, path: event.rawPath, answer: answer.body });
      return { statusCode: answer.statusCode, headers: { "content-type": "application/json" }, body: JSON.stringify(answer.body) };
    } catch (error) {
      logger.error("cache request failed", { error, path: event.rawPath });
      return { statusCode: 500, headers: { "content-type": "application/json" }, body: JSON.stringify({ message: "internal error" }) };
    } finally {
      flushMetrics();
    }
  };
}

export const handler = createHandler(defaultDeps);
