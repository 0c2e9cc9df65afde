/**
 * Parsing of the agent's requests (contracts/build-cache.ts), pure. Anything that does not match the
 * contract exactly is a {@link MalformedRequest} (400), before any store is touched.
 */
import { BUILD_CACHE_PROTOCOLS } from "../../contracts/build-cache.js";
import type { BuildCacheProtocol, CommitRequest, LookupRequest, PullRequestClaim, ReserveRequest } from "../../contracts/build-cache.js";

export class MalformedRequest extends Error {}

/** actions/cache allows 512 characters; the other protocols' keys are hashes. */
export const MAX_KEY_LENGTH = 512;
/** actions/cache sends a key and at most 10 restore keys. */
export const MAX_KEYS = 11;
export const MAX_VERSION_LENGTH = 256;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const UPLOAD_TOKEN = /^[0-9a-f]{48}$/;
const PART_ETAG = /^"?[0-9A-Za-z-]{1,128}"?$/;

function object(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new MalformedRequest("the body must be a JSON object");
  return body as Record<string, unknown>;
}

function text(value: unknown, field: string, max: number): string {
  // Control characters have no place in a key and would make log lines and index keys ambiguous.
  if (typeof value !== "string" || value === "" || value.length > max || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new MalformedRequest(`${field} must be a string of 1 to ${max} printable characters`);
  }
  return value;
}

function protocol(value: unknown, served: ReadonlySet<string>): BuildCacheProtocol {
  if (typeof value !== "string" || !(BUILD_CACHE_PROTOCOLS as readonly string[]).includes(value)) {
    throw new MalformedRequest(`protocol must be one of ${BUILD_CACHE_PROTOCOLS.join(", ")}`);
  }
  if (!served.has(value)) throw new MalformedRequest(`protocol ${value} is not enabled`);
  return value as BuildCacheProtocol;
}

function size(value: unknown, maxBytes: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0 || value > maxBytes) {
    throw new MalformedRequest(`size must be an integer from 0 to ${maxBytes}`);
  }
  return value;
}

/** Git refuses longer ref names on most file systems; a branch name is one ref. */
export const MAX_BRANCH_LENGTH = 255;

function pullRequest(value: unknown): PullRequestClaim | undefined {
  if (value === undefined) return undefined;
  const input = object(value);
  if (typeof input.number !== "number" || !Number.isSafeInteger(input.number) || input.number < 1) throw new MalformedRequest("pullRequest.number must be a positive integer");
  return { number: input.number, baseRef: text(input.baseRef, "pullRequest.baseRef", MAX_BRANCH_LENGTH) };
}

export function parseLookup(body: unknown, served: ReadonlySet<string>): LookupRequest {
  const input = object(body);
  const keys = input.keys;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > MAX_KEYS) throw new MalformedRequest(`keys must hold 1 to ${MAX_KEYS} keys`);
  const claim = pullRequest(input.pullRequest);
  return {
    protocol: protocol(input.protocol, served),
    keys: keys.map((key, index) => text(key, `keys[${index}]`, MAX_KEY_LENGTH)),
    version: text(input.version, "version", MAX_VERSION_LENGTH),
    ...(claim === undefined ? {} : { pullRequest: claim }),
  };
}

export function parseReserve(body: unknown, served: ReadonlySet<string>, maxBytes: number): ReserveRequest {
  const input = object(body);
  const digest = input.digest;
  if (typeof digest !== "string" || !SHA256_HEX.test(digest)) throw new MalformedRequest("digest must be a lowercase hex SHA-256");
  return {
    protocol: protocol(input.protocol, served),
    key: text(input.key, "key", MAX_KEY_LENGTH),
    version: text(input.version, "version", MAX_VERSION_LENGTH),
    digest,
    size: size(input.size, maxBytes),
  };
}

export function parseCommit(body: unknown): CommitRequest {
  const input = object(body);
  const token = input.uploadToken;
  if (typeof token !== "string" || !UPLOAD_TOKEN.test(token)) throw new MalformedRequest("uploadToken is not a token this function hands out");
  const tags = input.partETags;
  if (!Array.isArray(tags) || tags.length > 10_000 || !tags.every((tag) => typeof tag === "string" && PART_ETAG.test(tag))) {
    throw new MalformedRequest("partETags must be a list of the parts' ETags");
  }
  return { uploadToken: token, partETags: tags as string[] };
}

/** How many parts a blob of `bytes` is uploaded in (one at least: an empty blob is one empty part). */
export function partCount(bytes: number, partSize: number): number {
  return Math.max(1, Math.ceil(bytes / partSize));
}
