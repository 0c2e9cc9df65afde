/**
 * The cache function's ports: the index (DynamoDB or memory), the blob store (S3) and the caller
 * directory (runners table and ledger). The service (service.ts) and the sweep speak only these.
 */
import type { BuildCacheProtocol } from "../../contracts/build-cache.js";
import type { BranchRef, CallerFacts } from "./caller.js";

/** One index entry: (scope, repository, branch, version, key) -> blob. */
export interface IndexEntry extends BranchRef {
  readonly scope: string;
  readonly version: string;
  readonly key: string;
  readonly protocol: BuildCacheProtocol;
  readonly digest: string;
  readonly size: number;
  /** ISO 8601. */
  readonly created: string;
  /** ISO 8601: the last hit or the commit; the sweep evicts the least recent first. */
  readonly lastAccess: string;
}

/**
 * A scope's blob: the bytes at `blobs/<scope-hash>/<digest>`. It exists from the first commit that
 * references it; `stored` once the verified bytes were copied in. `lastReferenced` is touched by every
 * commit before it relies on the blob, so the sweep (which deletes only blobs referenced longer ago than
 * the upload grace) cannot delete bytes a commit is about to point at.
 */
export interface BlobRecord {
  readonly scope: string;
  readonly digest: string;
  readonly size: number;
  readonly stored: boolean;
  readonly lastReferenced: string;
  /** Set by the sweep while it deletes the object; commits refuse to reference it meanwhile. */
  readonly deletingSince?: string;
}

/** A save between `reserve` and `commit`; expires with its presigned URLs. */
export interface Reservation extends BranchRef {
  readonly scope: string;
  readonly token: string;
  readonly instanceId: string;
  readonly protocol: BuildCacheProtocol;
  readonly version: string;
  readonly key: string;
  readonly digest: string;
  readonly size: number;
  /** Multipart upload id on the staging key; absent when the blob was already stored (dedupe). */
  readonly uploadId?: string;
  readonly partCount: number;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

export type ReferenceOutcome = { readonly ok: true; readonly blob: BlobRecord } | { readonly ok: false; readonly reason: "deleting" };

export interface IndexStore {
  getEntry(scope: string, ref: BranchRef, version: string, key: string): Promise<IndexEntry | undefined>;
  /** The newest entry (by `created`) of a branch and version whose key starts with `prefix`. */
  newestWithPrefix(scope: string, ref: BranchRef, version: string, prefix: string): Promise<IndexEntry | undefined>;
  /** Best effort: a hit refreshes the entry's place in the eviction order. */
  touchEntry(entry: IndexEntry, now: Date): Promise<void>;
  /** Writes a new entry; false when one exists already (entries are immutable, as GitHub's). */
  putEntry(entry: IndexEntry): Promise<boolean>;
  getBlob(scope: string, digest: string): Promise<BlobRecord | undefined>;
  /** Creates or touches the blob record (`lastReferenced = now`), unless the sweep is deleting it. */
  referenceBlob(scope: string, digest: string, size: number, now: Date): Promise<ReferenceOutcome>;
  markBlobStored(scope: string, digest: string): Promise<void>;
  putReservation(reservation: Reservation): Promise<void>;
  getReservation(scope: string, token: string): Promise<Reservation | undefined>;
  deleteReservation(scope: string, token: string): Promise<void>;
}

/** What the sweep reads and writes. */
export interface SweepIndex {
  /** Every entry and blob record, by scope. */
  scopes(): Promise<ReadonlyMap<string, { readonly entries: readonly IndexEntry[]; readonly blobs: readonly BlobRecord[] }>>;
  /** Deletes the entry unless it was read or rewritten since (`lastAccess` unchanged); true when deleted. */
  evictEntry(entry: IndexEntry): Promise<boolean>;
  /** Whether any entry of the scope references the digest (a consistent read). */
  isReferenced(scope: string, digest: string): Promise<boolean>;
  /** Marks the blob as being deleted when it was last referenced before `cutoff`; true when marked. */
  startBlobDeletion(blob: BlobRecord, cutoff: Date, now: Date): Promise<boolean>;
  cancelBlobDeletion(blob: BlobRecord, since: Date): Promise<void>;
  finishBlobDeletion(blob: BlobRecord, since: Date): Promise<void>;
}

export interface BlobStore {
  /** Starts a multipart upload at `key`; its upload id. */
  startUpload(key: string): Promise<string>;
  /** Presigned UploadPart URLs for parts 1..count. */
  partUrls(key: string, uploadId: string, count: number, ttlSeconds: number): Promise<string[]>;
  /** Completes the upload from the parts' ETags; false when S3 refuses them (wrong or missing parts). */
  completeUpload(key: string, uploadId: string, partETags: readonly string[]): Promise<boolean>;
  abortUpload(key: string, uploadId: string): Promise<void>;
  /** SHA-256 and size of the object, recomputed by streaming it; undefined when it does not exist. */
  digestOf(key: string): Promise<{ readonly sha256: string; readonly size: number } | undefined>;
  copy(from: string, to: string): Promise<void>;
  delete(key: string): Promise<void>;
  /** A presigned GET (ranged reads allowed). */
  downloadUrl(key: string, ttlSeconds: number): Promise<string>;
}

/** The caller instance's facts, or undefined when it is not one of the kit's runners. */
export type CallerDirectory = (instanceArn: string, runnerName: string) => Promise<CallerFacts | undefined>;
