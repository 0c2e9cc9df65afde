/**
 * The cache function's operations over its ports: lookup, reserve, commit. The caller's access comes
 * from caller.ts, never from the body. Refusals are values ({@link Refusal}); the handler maps them to
 * HTTP statuses.
 */
import { randomBytes } from "node:crypto";
import type { CommitResponse, LookupRequest, LookupResponse, ReserveRequest, ReserveResponse, CommitRequest, BuildCacheProtocol } from "../../contracts/build-cache.js";
import type { BranchRef, CallerAccess } from "./caller.js";
import { blobObjectKey, stagingObjectKey } from "./keys.js";
import type { BlobStore, IndexEntry, IndexStore, Reservation } from "./ports.js";
import { partCount } from "./requests.js";

export interface CacheSettings {
  readonly scopeBudgetBytes: number;
  readonly presignTtlSeconds: number;
  readonly partSizeBytes: number;
}

/** What the service reports for metrics (the handler emits them). */
export type CacheEvent =
  | { readonly kind: "hit" | "miss"; readonly scope: string; readonly protocol: BuildCacheProtocol; readonly bytes: number }
  | { readonly kind: "written"; readonly scope: string; readonly protocol: BuildCacheProtocol; readonly bytes: number };

export interface CacheDeps {
  readonly index: IndexStore;
  readonly blobs: BlobStore;
  readonly settings: CacheSettings;
  readonly now: () => Date;
  readonly record?: (event: CacheEvent) => void;
  /** Upload tokens; 24 random bytes in hex unless a test fixes them. */
  readonly newToken?: () => string;
}

export type Allowed = Extract<CallerAccess, { allowed: true }>;

/** A request answered with an error status (409 conflict, 422 bad upload). */
export class Refusal extends Error {
  constructor(
    readonly statusCode: 409 | 422,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Lookup order (GitHub's): per readable branch (own, base, default), the exact key, then each restore
 * key as a prefix (newest entry first). Entries of another version never match.
 */
export async function lookup(request: LookupRequest, access: Allowed, deps: CacheDeps): Promise<LookupResponse> {
  for (const ref of access.read) {
    const found = await findOnBranch(request, ref, access.scope, deps);
    if (found === undefined) continue;
    // Best effort: a lost touch only makes the entry older in the eviction order.
    await deps.index.touchEntry(found, deps.now()).catch(() => undefined);
    deps.record?.({ kind: "hit", scope: access.scope, protocol: request.protocol, bytes: found.size });
    const url = await deps.blobs.downloadUrl(blobObjectKey(access.scope, found.digest), deps.settings.presignTtlSeconds);
    const own = access.write !== undefined && sameBranch(access.write, found);
    return { hit: true, key: found.key, version: found.version, size: found.size, digest: found.digest, url, ...(own ? {} : { fromBranch: found.branch }) };
  }
  deps.record?.({ kind: "miss", scope: access.scope, protocol: request.protocol, bytes: 0 });
  return { hit: false };
}

async function findOnBranch(request: LookupRequest, ref: BranchRef, scope: string, deps: CacheDeps): Promise<IndexEntry | undefined> {
  const [exact, ...restoreKeys] = request.keys;
  if (exact !== undefined) {
    const entry = await deps.index.getEntry(scope, ref, request.version, exact);
    if (entry !== undefined) return entry;
  }
  for (const prefix of restoreKeys) {
    const entry = await deps.index.newestWithPrefix(scope, ref, request.version, prefix);
    if (entry !== undefined) return entry;
  }
  return undefined;
}

function sameBranch(a: BranchRef, b: BranchRef): boolean {
  return a.repository.toLowerCase() === b.repository.toLowerCase() && a.branch === b.branch;
}

/**
 * Starts a save on the caller's own branch. Refused (in the body) when the caller may not write, the
 * blob alone exceeds the scope's budget, or the entry exists. When the scope already stores the bytes
 * nothing is uploaded; otherwise the agent gets presigned part URLs on a staging key.
 */
export async function reserve(request: ReserveRequest, access: Allowed, instanceId: string, deps: CacheDeps): Promise<ReserveResponse> {
  const branch = access.write;
  if (branch === undefined) return { upload: false, refused: "read-only: the runner's job and branch are not known (warm runner, or its job has not started)" };
  if (request.size > deps.settings.scopeBudgetBytes) return { upload: false, refused: `larger than the scope's budget (${deps.settings.scopeBudgetBytes} bytes)` };
  if ((await deps.index.getEntry(access.scope, branch, request.version, request.key)) !== undefined) return { upload: false, refused: "an entry with this key and version exists on this branch" };
  const token = (deps.newToken ?? (() => randomBytes(24).toString("hex")))();
  const expiresAt = Math.floor(deps.now().getTime() / 1000) + deps.settings.presignTtlSeconds;
  const base = { ...branch, scope: access.scope, token, instanceId, protocol: request.protocol, version: request.version, key: request.key, digest: request.digest, size: request.size, expiresAt };
  const blob = await deps.index.getBlob(access.scope, request.digest);
  if (blob !== undefined && blob.stored && blob.deletingSince === undefined && blob.size === request.size) {
    await deps.index.putReservation({ ...base, partCount: 0 });
    return { upload: false, uploadToken: token };
  }
  const count = partCount(request.size, deps.settings.partSizeBytes);
  const staging = stagingObjectKey(access.scope, token);
  const uploadId = await deps.blobs.startUpload(staging);
  await deps.index.putReservation({ ...base, uploadId, partCount: count });
  return { upload: true, uploadToken: token, partSize: deps.settings.partSizeBytes, partUrls: await deps.blobs.partUrls(staging, uploadId, count, deps.settings.presignTtlSeconds) };
}

/**
 * Finishes a save: the blob is referenced first (so the sweep keeps it), a new upload is completed, its
 * SHA-256 recomputed from S3 and, when it matches, copied to the scope's content key; only then is the
 * index entry written. A crash anywhere before that write leaves no entry (docs/build-cache.md).
 */
export async function commit(request: CommitRequest, access: Allowed, instanceId: string, deps: CacheDeps): Promise<CommitResponse> {
  const reservation = await deps.index.getReservation(access.scope, request.uploadToken);
  const nowSeconds = deps.now().getTime() / 1000;
  if (reservation === undefined || reservation.expiresAt < nowSeconds || reservation.instanceId !== instanceId) {
    throw new Refusal(409, "unknown or expired upload token");
  }
  const referenced = await deps.index.referenceBlob(access.scope, reservation.digest, reservation.size, deps.now());
  if (!referenced.ok) throw new Refusal(409, "the blob is being evicted; save again");
  if (reservation.uploadId === undefined) {
    if (!referenced.blob.stored) throw new Refusal(409, "the blob is not stored any more; save again");
  } else {
    await storeUpload(reservation, reservation.uploadId, request.partETags, deps);
  }
  const now = deps.now().toISOString();
  const written = await deps.index.putEntry({
    scope: access.scope,
    repository: reservation.repository,
    branch: reservation.branch,
    version: reservation.version,
    key: reservation.key,
    protocol: reservation.protocol,
    digest: reservation.digest,
    size: reservation.size,
    created: now,
    lastAccess: now,
  });
  await deps.index.deleteReservation(access.scope, reservation.token);
  if (!written) return { committed: false, reason: "an entry with this key and version exists on this branch" };
  deps.record?.({ kind: "written", scope: access.scope, protocol: reservation.protocol, bytes: reservation.size });
  return { committed: true };
}

async function storeUpload(reservation: Reservation, uploadId: string, partETags: readonly string[], deps: CacheDeps): Promise<void> {
  const staging = stagingObjectKey(reservation.scope, reservation.token);
  const discard = async (): Promise<void> => {
    await deps.index.deleteReservation(reservation.scope, reservation.token);
    await deps.blobs.delete(staging);
  };
  if (partETags.length !== reservation.partCount || !(await deps.blobs.completeUpload(staging, uploadId, partETags))) {
    await deps.blobs.abortUpload(staging, uploadId).catch(() => undefined);
    await deps.index.deleteReservation(reservation.scope, reservation.token);
    throw new Refusal(422, "the uploaded parts do not match the reservation");
  }
  const uploaded = await deps.blobs.digestOf(staging);
  if (uploaded === undefined || uploaded.sha256 !== reservation.digest || uploaded.size !== reservation.size) {
    await discard();
    throw new Refusal(422, "digest mismatch: the uploaded bytes do not hash to the reserved SHA-256");
  }
  await deps.blobs.copy(staging, blobObjectKey(reservation.scope, reservation.digest));
  await deps.index.markBlobStored(reservation.scope, reservation.digest);
  await deps.blobs.delete(staging);
}
