import type { CommitRequest, CommitResponse, LookupRequest, LookupResponse, ReserveRequest, ReserveResponse } from "../../contracts/build-cache.js";

/**
 * What the agent asks the cache function (contracts/build-cache.ts). Two implementations: the real one
 * signs POSTs to the function URL (function-url.ts); tests use a loopback fake over s3rver
 * (test/helpers/fake-cache-function.ts).
 */
export interface CacheBackend {
  lookup(request: LookupRequest): Promise<LookupResponse>;
  reserve(request: ReserveRequest): Promise<ReserveResponse>;
  commit(request: CommitRequest): Promise<CommitResponse>;
}

/** The function answered something other than 200, or an unreadable body. */
export class CacheBackendError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "CacheBackendError";
  }
}
