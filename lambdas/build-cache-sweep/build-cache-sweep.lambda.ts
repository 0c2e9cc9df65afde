/**
 * The build cache sweep, on a schedule (EventBridge): eviction by least-recent access within each
 * scope's budget and the retention, then deletion of blobs no entry references (lambdas/build-cache-sweep/sweep.ts).
 * Reads and writes: the cache index; deletes: S3 blobs.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import { dynamoDbIndex } from "../build-cache/adapters/dynamodb-index.js";
import { s3BlobStore } from "../build-cache/adapters/s3-blobs.js";
import { METRICS, emitMetric, flushMetrics, logger } from "../shared/core.js";
import { buildCacheSweepConfigFromEnv } from "./config.js";
import { sweep } from "./sweep.js";
import type { SweepDeps, SweepSummary } from "./sweep.js";

export function defaultDeps(env?: Readonly<Record<string, string | undefined>>): SweepDeps {
  const config = buildCacheSweepConfigFromEnv(env);
  const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  return {
    index: dynamoDbIndex(documentClient, config.indexTable),
    blobs: s3BlobStore(new S3Client({}), config.bucket),
    limits: config.limits,
    now: () => new Date(),
    evicted: (scope, protocol) => emitMetric(METRICS.buildCacheEvictions, 1, { Scope: scope, Protocol: protocol }),
    blobDeleted: (scope) => emitMetric(METRICS.buildCacheBlobsDeleted, 1, { Scope: scope }),
  };
}

export function createHandler(loadDeps: () => SweepDeps): (event: unknown, context: Context) => Promise<SweepSummary> {
  let deps: SweepDeps | undefined;
  return async (_event, context) => {
    logger.addContext(context);
    try {
      deps ??= loadDeps();
      const summary = await sweep(deps);
      logger.info("cache swept", { ...summary });
      return summary;
    } finally {
      flushMetrics();
    }
  };
}

export const handler = createHandler(defaultDeps);
