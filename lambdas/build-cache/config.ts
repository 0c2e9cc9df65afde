import { BUILD_CACHE_ENV } from "../../contracts/build-cache.js";
import { gitHubAppConfigFromEnv, parseEnv } from "../shared/core.js";
import type { GitHubAppConfig } from "../shared/core.js";
import type { CacheSettings } from "./service.js";

export interface BuildCacheConfig {
  readonly prefix: string;
  readonly bucket: string;
  readonly indexTable: string;
  readonly runnersTable: string;
  readonly jobsTable: string;
  readonly protocols: ReadonlySet<string>;
  /** Undefined: any role. */
  readonly runnerRoles?: ReadonlySet<string>;
  readonly maxBlobBytes: number;
  readonly settings: CacheSettings;
  /** The App whose installation token checks pull request claims. */
  readonly app: GitHubAppConfig;
}

export function buildCacheConfigFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): BuildCacheConfig {
  const parsed = parseEnv(BUILD_CACHE_ENV, env);
  return {
    prefix: parsed.prefix,
    bucket: parsed.buildCacheBucket,
    indexTable: parsed.buildCacheIndexTable,
    runnersTable: parsed.runnersTable,
    jobsTable: parsed.jobsTable,
    protocols: new Set(parsed.buildCacheProtocols),
    ...(parsed.buildCacheRunnerRoleNames === undefined ? {} : { runnerRoles: new Set(parsed.buildCacheRunnerRoleNames) }),
    maxBlobBytes: parsed.buildCacheMaxBlobBytes,
    app: gitHubAppConfigFromEnv(env),
    settings: { scopeBudgetBytes: parsed.buildCacheScopeBudgetBytes, presignTtlSeconds: parsed.buildCachePresignTtlSeconds, partSizeBytes: parsed.buildCachePartSizeBytes },
  };
}
