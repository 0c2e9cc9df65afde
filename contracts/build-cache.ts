/**
 * The build cache's wire contract (issue 16): what the runner's local agent (cache-agent/) asks the
 * cache function (lambdas/build-cache) over its IAM-authenticated function URL, and the protocols the
 * agent serves on loopback. Both sides import these types; docs/build-cache.md describes the design.
 *
 * Every request is a SigV4-signed `POST <function-url><path>` with a JSON body, signed with the
 * instance's role credentials (service `lambda`). The function derives the caller's scope and branch from
 * the caller's identity (the role session name is the instance id) and the ledger, never from the body.
 */

import { GITHUB_APP_ENV, POWERTOOLS_ENV } from "./common.js";
import { integer, json, optional, required, string, tunable } from "./env.js";

/** The client protocols the agent serves; each can be switched off (`build_cache_protocols`). */
export const BUILD_CACHE_PROTOCOLS = ["actions", "turborepo", "nx", "bazel", "gradle", "http"] as const;
export type BuildCacheProtocol = (typeof BUILD_CACHE_PROTOCOLS)[number];

/** Function URL paths, one per operation. */
export const BUILD_CACHE_PATHS = {
  lookup: "/v1/lookup",
  reserve: "/v1/reserve",
  commit: "/v1/commit",
} as const;

/**
 * Find an entry. `keys[0]` is the exact key; the others (actions/cache `restore-keys`) match the newest
 * entry whose key starts with them, tried in order. Branches are searched in the function's order (own,
 * then base, then default branch), never a sibling's.
 */
export interface LookupRequest {
  readonly protocol: BuildCacheProtocol;
  readonly keys: readonly string[];
  /** Client-side version (actions/cache: hash of paths and compression); entries of another version never match. */
  readonly version: string;
  /**
   * The pull request the job claims to build (the job's `GITHUB_REF` = `refs/pull/<n>/merge` and
   * `GITHUB_BASE_REF`). Only a claim: the function reads the base branch only after GitHub confirms that
   * this pull request's head is the job's branch in the job's repository.
   */
  readonly pullRequest?: PullRequestClaim;
}

export interface PullRequestClaim {
  readonly number: number;
  /** The base branch's name (`GITHUB_BASE_REF`, no `refs/heads/`). */
  readonly baseRef: string;
}

/** How long the function keeps GitHub's answer about a pull request (one GitHub call per PR per hour at most). */
export const PULL_REQUEST_CHECK_TTL_SECONDS = 3600;

export type LookupResponse =
  | { readonly hit: false }
  | {
      readonly hit: true;
      readonly key: string;
      readonly version: string;
      readonly size: number;
      readonly digest: string;
      /** Presigned GET of the blob (ranged reads allowed), valid for {@link PRESIGNED_URL_TTL_SECONDS}. */
      readonly url: string;
      /** The entry's branch, when it is not the caller's own. */
      readonly fromBranch?: string;
    };

/** Start a save. The agent has the bytes (spooled) and their SHA-256 before asking. */
export interface ReserveRequest {
  readonly protocol: BuildCacheProtocol;
  readonly key: string;
  readonly version: string;
  /** Lowercase hex SHA-256 of the whole blob. */
  readonly digest: string;
  readonly size: number;
}

export type ReserveResponse =
  /** The same bytes are already stored for this scope: commit at once, upload nothing. */
  | { readonly upload: false; readonly uploadToken: string }
  | {
      readonly upload: true;
      readonly uploadToken: string;
      readonly partSize: number;
      /** Presigned PUT per part, in order (a single part for small blobs). */
      readonly partUrls: readonly string[];
    }
  /** The caller may not write here (no branch known, read-only, over budget). */
  | { readonly upload: false; readonly refused: string };

/** Finish a save: the function checks the uploaded bytes, then writes the index entry. */
export interface CommitRequest {
  readonly uploadToken: string;
  /** ETag of each uploaded part, in order (empty when nothing was uploaded). */
  readonly partETags: readonly string[];
}

export interface CommitResponse {
  readonly committed: boolean;
  readonly reason?: string;
}

/** How long a presigned URL the function hands out stays valid. */
export const PRESIGNED_URL_TTL_SECONDS = 900;

/** Where `npm run build:lambdas` writes the agent bundle (one file, run by the runner's own Node). */
export const CACHE_AGENT_BUNDLE = "dist/cache-agent/cache-agent.js";

/** Object key, in the runner binaries bucket, of the agent bundle the bootstrap downloads. */
export const CACHE_AGENT_OBJECT_KEY = "cache-agent/cache-agent.js";

/**
 * The agent's environment, set by the bootstrap (stacks/templates/runner-bootstrap*.tftpl). It listens on
 * 127.0.0.1 only.
 */
export const CACHE_AGENT_ENV = {
  functionUrl: required("SELF_RUNNERS_CACHE_FUNCTION_URL", string, "the cache function's URL (IAM-authenticated)", "https://abc.lambda-url.eu-west-1.on.aws/"),
  region: required("AWS_REGION", string, "region of the function, for SigV4", "eu-west-1"),
  port: tunable("SELF_RUNNERS_CACHE_PORT", integer(1024, 65535), 41230, "loopback port the agent listens on"),
  protocols: required("SELF_RUNNERS_CACHE_PROTOCOLS", json({ kind: "strings" }), "the client protocols served (`build_cache_protocols`)", '["actions","turborepo"]'),
  jobFile: tunable(
    "SELF_RUNNERS_CACHE_JOB_FILE",
    string,
    "/tmp/self-runners-cache-job.env",
    "file the job-started hook writes the job's GITHUB_REF and GITHUB_BASE_REF to (KEY=value lines); the agent sends them as the lookup's pull request claim",
  ),
} as const;

/**
 * The cache index table's layout (lambdas/build-cache/adapters/dynamodb-index.ts), which the table
 * resource must match: one partition per scope (`pk`), so a scope's entries, blobs and reservations are
 * read with one consistent Query (the sweep's reference check) and never from another scope's partition.
 */
export const BUILD_CACHE_INDEX_TABLE = {
  partitionKey: "pk",
  sortKey: "sk",
  /** Epoch seconds; DynamoDB TTL removes reservations that were never committed. */
  ttlAttribute: "expiresAt",
} as const;

/** Key prefixes in the bucket: uploads land under staging, verified blobs under blobs. */
export const BUILD_CACHE_OBJECT_PREFIXES = {
  /** `staging/<scope-hash>/<upload-token>`: a multipart upload before its SHA-256 is checked (lifecycle: expire after a day). */
  staging: "staging/",
  /** `blobs/<scope-hash>/<sha256>`: written only by the function, after verification. */
  blobs: "blobs/",
} as const;

/** The cache function's environment (lambdas/build-cache, stacks/build-cache/). */
export const BUILD_CACHE_ENV = {
  ...POWERTOOLS_ENV,
  // The App's installation token verifies a lookup's pull request claim (GET /repos/{owner}/{repo}/pulls/{n}).
  ...GITHUB_APP_ENV,
  prefix: required("PREFIX", string, "the kit's name prefix: runner names are `<prefix>-<instance id>`", "sr"),
  buildCacheBucket: required("BUILD_CACHE_BUCKET", string, "the cache bucket (blobs and staged uploads)", "sr-build-cache-123456789012"),
  buildCacheIndexTable: required("BUILD_CACHE_INDEX_TABLE", string, "the cache index table (layout: BUILD_CACHE_INDEX_TABLE in contracts/build-cache.ts)", "sr-build-cache-index"),
  runnersTable: required("RUNNERS_TABLE", string, "the runners table: the caller instance's item names its registration scope and launch job", "sr-runners"),
  jobsTable: required("JOBS_TABLE", string, "the job ledger table: the job the caller's runner ran gives its repository and branches", "sr-jobs"),
  buildCacheRunnerRoleNames: optional(
    "BUILD_CACHE_RUNNER_ROLE_NAMES",
    json({ kind: "strings" }),
    "the runner instance roles whose sessions may call (defence in depth besides the URL's invoke grant); unset: any role of the account whose session is a runner instance",
    '["sr-runner"]',
  ),
  buildCacheScopeBudgetBytes: required("BUILD_CACHE_SCOPE_BUDGET_BYTES", integer(1), "bytes one scope may keep; a reservation that alone exceeds it is refused, the sweep evicts down to it", "10737418240"),
  buildCacheProtocols: required("BUILD_CACHE_PROTOCOLS", json({ kind: "strings" }), "the client protocols served; requests naming another are refused (400)", '["actions","turborepo"]'),
  buildCachePresignTtlSeconds: tunable("BUILD_CACHE_PRESIGN_TTL_SECONDS", integer(60, 3600), PRESIGNED_URL_TTL_SECONDS, "validity of presigned URLs and of an upload reservation"),
  buildCachePartSizeBytes: tunable("BUILD_CACHE_PART_SIZE_BYTES", integer(5 * 1024 * 1024, 512 * 1024 * 1024), 64 * 1024 * 1024, "multipart part size handed to the agent (S3: at least 5 MiB but the last)"),
  buildCacheMaxBlobBytes: tunable("BUILD_CACHE_MAX_BLOB_BYTES", integer(1, 5 * 1024 * 1024 * 1024), 5 * 1024 * 1024 * 1024, "largest blob accepted (5 GiB: one CopyObject from staging)"),
} as const;

/** The cache sweep's environment (lambdas/build-cache-sweep, on a schedule). */
export const BUILD_CACHE_SWEEP_ENV = {
  ...POWERTOOLS_ENV,
  buildCacheBucket: BUILD_CACHE_ENV.buildCacheBucket,
  buildCacheIndexTable: BUILD_CACHE_ENV.buildCacheIndexTable,
  buildCacheScopeBudgetBytes: BUILD_CACHE_ENV.buildCacheScopeBudgetBytes,
  buildCacheRetentionDays: required("BUILD_CACHE_RETENTION_DAYS", integer(1), "an entry not read or written for this many days is evicted", "7"),
  buildCacheUploadGraceSeconds: tunable(
    "BUILD_CACHE_UPLOAD_GRACE_SECONDS",
    integer(900, 86400),
    3600,
    "a blob referenced (committed or deduplicated) more recently is never deleted: longer than a commit can take (the function's timeout)",
  ),
} as const;
