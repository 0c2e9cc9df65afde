import { BUILD_CACHE_SWEEP_ENV } from "../../contracts/build-cache.js";
import { parseEnv } from "../shared/core.js";
import type { SweepLimits } from "./plan.js";

export interface BuildCacheSweepConfig {
  readonly bucket: string;
  readonly indexTable: string;
  readonly limits: SweepLimits;
}

export function buildCacheSweepConfigFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): BuildCacheSweepConfig {
  const parsed = parseEnv(BUILD_CACHE_SWEEP_ENV, env);
  return {
    bucket: parsed.buildCacheBucket,
    indexTable: parsed.buildCacheIndexTable,
    limits: { budgetBytes: parsed.buildCacheScopeBudgetBytes, retentionDays: parsed.buildCacheRetentionDays, uploadGraceSeconds: parsed.buildCacheUploadGraceSeconds },
  };
}
