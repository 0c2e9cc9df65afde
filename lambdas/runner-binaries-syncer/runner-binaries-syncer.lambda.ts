/**
 * Runner binaries syncer, on a schedule (EventBridge) and once at `terraform apply` (aws_lambda_invocation).
 * Reads:  the runner release at GITHUB_API_URL (conditional on the last ETag; the App's installation token
 *         when App credentials are set), its archives from their download URLs; the AWS CLI installers of
 *         AWS_CLI_PLATFORMS and their signatures at AWS_CLI_DOWNLOAD_URL (conditional on their ETags);
 *         S3 the last resolved version.
 * Writes: S3 the verified archives and installers, then `<prefix>resolved-version.json`, which instances read at boot.
 * Fails (so the schedule's retries and the apply see it) when the release is refused or a checksum differs.
 */
import { S3Client } from "@aws-sdk/client-s3";
import type { Context } from "aws-lambda";
import { flushMetrics, logger, traced } from "../shared/index.js";
import { awsCliDownloads } from "./adapters/aws-cli-downloads.js";
import { gitHubReleases, releaseClient } from "./adapters/github.js";
import { s3BinaryStore } from "./adapters/s3.js";
import { runnerBinariesConfigFromEnv } from "./config.js";
import { syncRunnerBinaries } from "./sync.js";
import type { SyncDeps, SyncSummary } from "./sync.js";

// Built here, in the handler's own bundle: SDK commands check `instanceof` their own client class.
const s3Client = traced(new S3Client({}));

let deps: Promise<SyncDeps> | undefined;

async function loadDeps(): Promise<SyncDeps> {
  const config = runnerBinariesConfigFromEnv();
  const client = await releaseClient({ apiUrl: config.apiUrl, ...(config.app === undefined ? {} : { app: config.app }) });
  return {
    source: gitHubReleases(client, config.repository),
    store: s3BinaryStore(s3Client, { bucket: config.bucket, resolvedKey: config.resolvedKey }),
    requested: config.requested,
    minimum: config.minimum,
    platforms: config.platforms,
    prefix: config.prefix,
    now: () => new Date(),
    awsCli: { source: awsCliDownloads(config.awsCliDownloadUrl), platforms: config.awsCliPlatforms },
  };
}

export async function handler(_event: unknown, context: Context): Promise<SyncSummary> {
  logger.addContext(context);
  try {
    deps ??= loadDeps();
    deps.catch(() => {
      deps = undefined;
    });
    return await syncRunnerBinaries(await deps);
  } finally {
    flushMetrics();
  }
}
