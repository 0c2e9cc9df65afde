/**
 * The build cache's wire contract (issue 16): what the runner's local agent (cache-agent/) asks the
 * cache function (lambdas/build-cache) over its IAM-authenticated function URL, and the protocols the
 * agent serves on loopback. Both sides import these types; docs/build-cache.md describes the design.
 *
 * Every request is a SigV4-signed `POST <function-url><path>` with a JSON body, signed with the
 * instance's role credentials (service `lambda`). The function derives the caller's scope and branch from
 * the caller's identity (the role session name is the instance id) and the ledger, never from the body.
 */

import { integer, json, required, string, tunable } from "./env.js";

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
}

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
} as const;
