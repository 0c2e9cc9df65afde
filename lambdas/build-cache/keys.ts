/**
 * Names derived from a scope, branch and key, pure. Branch and version are hashed to fixed widths inside
 * index sort keys, so a branch name cannot be chosen to make a sibling's keys a prefix of its own.
 */
import { createHash } from "node:crypto";
import { BUILD_CACHE_OBJECT_PREFIXES } from "../../contracts/build-cache.js";
import type { BranchRef } from "./caller.js";

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Stable hash of a scope (logins and repository names are case-insensitive on GitHub). */
export function scopeHash(scope: string): string {
  return sha256(`scope\u0000${scope.toLowerCase()}`);
}

/** Partition key of a scope's items. */
export function scopePartition(scope: string): string {
  return `scope#${scopeHash(scope)}`;
}

function branchPart(ref: BranchRef, version: string): string {
  return `${sha256(`${ref.repository.toLowerCase()}\u0000${ref.branch}`).slice(0, 32)}#${sha256(version).slice(0, 32)}`;
}

/** Sort key of an entry. */
export function entrySortKey(ref: BranchRef, version: string, key: string): string {
  return `e#${branchPart(ref, version)}#${key}`;
}

/** Sort key prefix of a branch and version's entries whose key starts with `prefix`. */
export function entrySortKeyPrefix(ref: BranchRef, version: string, prefix: string): string {
  return `e#${branchPart(ref, version)}#${prefix}`;
}

export const ENTRY_PREFIX = "e#";
export const BLOB_PREFIX = "b#";
export const RESERVATION_PREFIX = "u#";

export function blobSortKey(digest: string): string {
  return `${BLOB_PREFIX}${digest}`;
}

export function reservationSortKey(token: string): string {
  return `${RESERVATION_PREFIX}${token}`;
}

/** Where a scope's verified blob lives. */
export function blobObjectKey(scope: string, digest: string): string {
  return `${BUILD_CACHE_OBJECT_PREFIXES.blobs}${scopeHash(scope)}/${digest}`;
}

/** Where an upload lands before its bytes are checked. */
export function stagingObjectKey(scope: string, token: string): string {
  return `${BUILD_CACHE_OBJECT_PREFIXES.staging}${scopeHash(scope)}/${token}`;
}
