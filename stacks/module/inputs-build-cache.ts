/**
 * The build cache inputs of the input table (./inputs.ts): the cache bucket, its index, the cache
 * function and the agent on the runners (stacks/build-cache/, docs/build-cache.md). BUILD_CACHE_INPUTS
 * holds the rules and defaults the constructs share with the table, keyed by prop.
 */
// Aliased: the architecture test reserves the contract's variable names (BUILD_CACHE_PROTOCOLS is also one).
import { BUILD_CACHE_PROTOCOLS as PROTOCOLS } from "../../contracts/build-cache.js";
import { inputRule, integerBetween } from "./rules.js";
import type { InputGroup } from "./input-spec.js";

const PROTOCOL_WORDS = PROTOCOLS.map((p) => JSON.stringify(p)).join(", ");

/** A non-empty list of distinct protocols the agent serves. */
const PROTOCOLS_RULE = inputRule(
  `a non-empty list of distinct protocols from ${PROTOCOL_WORDS}`,
  (v: readonly string[]) => Array.isArray(v) && v.length > 0 && new Set(v).size === v.length && v.every((p) => (PROTOCOLS as readonly string[]).includes(p)),
  (r) => `length(${r}) > 0 && length(distinct(${r})) == length(${r}) && alltrue([for p in ${r} : contains([${PROTOCOL_WORDS}], p)])`,
);

/** Rules and defaults the build cache constructs check their props with, keyed by SelfRunners prop. */
export const BUILD_CACHE_INPUTS = {
  enableBuildCache: { default: false },
  // GitHub's own cache allows 10 GB per repository; an S3 budget may go far beyond (10 TB here).
  buildCacheBudgetGbPerScope: { rule: integerBetween(1, 10240, " GB (the size of one scope's entries the sweep evicts down to)"), default: 10 },
  // GitHub evicts entries not accessed for 7 days; a year bounds what a forgotten scope costs.
  buildCacheRetentionDays: { rule: integerBetween(1, 365, " days"), default: 7 },
  buildCacheProtocols: { rule: PROTOCOLS_RULE, default: [...PROTOCOLS] as string[] },
} as const;

export const BUILD_CACHE: InputGroup = {
  title: "Build cache",
  inputs: [
    {
      name: "enable_build_cache", type: "bool", default: BUILD_CACHE_INPUTS.enableBuildCache.default,
      description:
        "Create the build cache (docs/build-cache.md): an S3 bucket of content-addressed blobs, a DynamoDB index, a cache function behind an IAM-authenticated function URL and a loopback agent on every Linux runner serving actions/cache, Turborepo, Nx, Bazel, Gradle and plain HTTP. A job reads and writes only its runner's scope (repository for repo runners, organization for org runners). Windows pools are refused while it is on.",
    },
    {
      name: "build_cache_budget_gb_per_scope", type: "number", default: BUILD_CACHE_INPUTS.buildCacheBudgetGbPerScope.default,
      description: "Size in GB a scope's (repository's or organization's) cache entries may take: the sweep evicts the least recently used entries above it, never a blob another entry still references.",
      rules: [BUILD_CACHE_INPUTS.buildCacheBudgetGbPerScope.rule],
    },
    {
      name: "build_cache_retention_days", type: "number", default: BUILD_CACHE_INPUTS.buildCacheRetentionDays.default,
      description: "Days a cache entry is kept after its last read or write (GitHub's cache keeps 7).",
      rules: [BUILD_CACHE_INPUTS.buildCacheRetentionDays.rule],
    },
    {
      name: "build_cache_protocols", type: "list(string)", default: BUILD_CACHE_INPUTS.buildCacheProtocols.default,
      description:
        "Client protocols the runner's agent serves: actions (actions/cache and everything built on @actions/cache), turborepo, nx, bazel, gradle, http (plain GET/PUT, for ccache and sccache). The bootstrap sets each client's environment only for the protocols listed.",
      rules: [BUILD_CACHE_INPUTS.buildCacheProtocols.rule],
    },
    {
      name: "build_cache_point_in_time_recovery", type: "bool", default: false,
      description: "Point-in-time recovery for the build cache's index table. Without it a lost index costs cache misses only: the blobs it no longer references are swept.",
    },
  ],
};
