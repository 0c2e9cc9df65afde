/**
 * What the sweep removes from one scope (pure): entries past retention, then the least recently used
 * until the bytes the remaining entries reference (each blob counted once) fit the budget; and the
 * blobs no remaining entry references, once their last reference is older than the upload grace.
 */
import type { BlobRecord, IndexEntry } from "../build-cache/ports.js";

export interface SweepLimits {
  readonly budgetBytes: number;
  readonly retentionDays: number;
  readonly uploadGraceSeconds: number;
}

export interface ScopePlan {
  readonly evict: readonly IndexEntry[];
  /** Candidates only: each is re-checked against the index before its bytes go (sweep.ts). */
  readonly deleteBlobs: readonly BlobRecord[];
  /** Bytes referenced after the evictions. */
  readonly keptBytes: number;
}

function referencedBytes(entries: Iterable<IndexEntry>): number {
  const sizes = new Map<string, number>();
  for (const entry of entries) sizes.set(entry.digest, entry.size);
  let total = 0;
  for (const size of sizes.values()) total += size;
  return total;
}

export function planScope(entries: readonly IndexEntry[], blobs: readonly BlobRecord[], limits: SweepLimits, now: Date): ScopePlan {
  const retainedSince = new Date(now.getTime() - limits.retentionDays * 86_400_000).toISOString();
  // Oldest access first; ties by creation, then key, so a run is deterministic.
  const byAge = [...entries].sort((a, b) => a.lastAccess.localeCompare(b.lastAccess) || a.created.localeCompare(b.created) || a.key.localeCompare(b.key));
  const evict = byAge.filter((entry) => entry.lastAccess < retainedSince);
  const kept = byAge.filter((entry) => entry.lastAccess >= retainedSince);
  while (kept.length > 0 && referencedBytes(kept) > limits.budgetBytes) evict.push(kept.shift() as IndexEntry);
  const stillReferenced = new Set(kept.map((entry) => entry.digest));
  const graceCutoff = new Date(now.getTime() - limits.uploadGraceSeconds * 1000).toISOString();
  const deleteBlobs = blobs.filter((blob) => !stillReferenced.has(blob.digest) && blob.lastReferenced < graceCutoff && blob.deletingSince === undefined);
  return { evict, deleteBlobs, keptBytes: referencedBytes(kept) };
}
