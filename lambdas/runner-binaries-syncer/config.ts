import { RESOLVED_RUNNER_KEY, RUNNER_BINARIES_SYNCER_ENV } from "../../contracts/runner-binaries.js";
import type { RunnerPlatform } from "../../contracts/runner-binaries.js";
import { InvalidEnvError, parseEnv } from "../shared/index.js";
import { parseAwsCliPlatforms, parsePlatforms } from "./decide.js";
import type { AwsCliPlatform } from "../../contracts/aws-cli.js";

export interface RunnerBinariesConfig {
  readonly apiUrl: string;
  readonly app?: { readonly appId: number; readonly privateKeyParameter: string };
  readonly repository: string;
  readonly requested: string;
  readonly minimum: string;
  readonly platforms: readonly RunnerPlatform[];
  readonly bucket: string;
  readonly prefix: string;
  readonly resolvedKey: string;
  /** Platforms whose AWS CLI installer is synced (the Ubuntu pools'). */
  readonly awsCliPlatforms: readonly AwsCliPlatform[];
  readonly awsCliDownloadUrl: string;
}

export function runnerBinariesConfigFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): RunnerBinariesConfig {
  const parsed = parseEnv(RUNNER_BINARIES_SYNCER_ENV, env);
  let platforms: RunnerPlatform[];
  try {
    platforms = parsePlatforms(parsed.runnerPlatforms);
  } catch (error) {
    throw new InvalidEnvError(RUNNER_BINARIES_SYNCER_ENV.runnerPlatforms.name, (error as Error).message, { cause: error });
  }
  let awsCliPlatforms: AwsCliPlatform[];
  try {
    awsCliPlatforms = parseAwsCliPlatforms(parsed.awsCliPlatforms ?? []);
  } catch (error) {
    throw new InvalidEnvError(RUNNER_BINARIES_SYNCER_ENV.awsCliPlatforms.name, (error as Error).message, { cause: error });
  }
  const appId = parsed.githubAppId;
  const keyParameter = parsed.githubAppPrivateKeySsmParameterName;
  return {
    apiUrl: parsed.githubApiUrl,
    ...(appId !== undefined && keyParameter !== undefined ? { app: { appId, privateKeyParameter: keyParameter } } : {}),
    repository: parsed.runnerReleaseRepository,
    requested: parsed.runnerVersion,
    minimum: parsed.minimumRunnerVersion,
    platforms,
    bucket: parsed.bucketName,
    prefix: parsed.objectPrefix,
    resolvedKey: `${parsed.objectPrefix}${RESOLVED_RUNNER_KEY}`,
    awsCliPlatforms,
    awsCliDownloadUrl: parsed.awsCliDownloadUrl,
  };
}
