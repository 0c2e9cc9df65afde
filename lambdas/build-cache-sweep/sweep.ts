/**
 * One sweep over every scope: evict what the plan says (each eviction conditional on the entry not being
 * read since), then delete unreferenced blobs with the index's deletion protocol:
 *   1. mark the blob record as deleting, only if its last reference is older than the grace period
 *      (a commit touches it before relying on the blob, so a commit in progress makes this fail);
 *   2. re-check with a consistent read that no entry references the digest (else unmark);
 *   3. delete the object, then the record. A commit meanwhile finds the mark and refuses (409).
 */
import { blobObjectKey } from "../build-cache/keys.js";
import type { BlobStore, SweepIndex } from "../build-cache/ports.js";
import { planScope } from "./plan.js";
import type { SweepLimits } from "./plan.js";

export interface SweepDeps {
  readonly index: SweepIndex;
  readonly blobs: Pick<BlobStore, "delete">;
  readonly limits: SweepLimits;
  readonly now: () => Date;
  readonly evicted?: (scope: string, protocol: string) => void;
  readonly blobDeleted?: (scope: string) => void;
}

export interface SweepSummary {
  readonly scopes: number;
  readonly evicted: number;
  readonly blobsDeleted: number;
}

export async function sweep(deps: SweepDeps): Promise<SweepSummary> {
  const scopes = await deps.index.scopes();
  let evicted = 0;
  let blobsDeleted = 0;
  for (const [scope, { entries, blobs }] of scopes) {
    const plan = planScope(entries, blobs, deps.limits, deps.now());
    for (const entry of plan.evict) {
      if (!(await deps.index.evictEntry(entry))) continue;
      evicted += 1;
      deps.evicted?.(scope, entry.protocol);
    }
    const cutoff = new Date(deps.now().getTime() - deps.limits.uploadGraceSeconds * 1000);
    for (const blob of plan.deleteBlobs) {
      const since = deps.now();
      if (!(await deps.index.startBlobDeletion(blob, cutoff, since))) continue;
      if (await deps.index.isReferenced(scope, blob.digest)) {
        await deps.index.cancelBlobDeletion(blob, since);
        continue;
      }
      await deps.blobs.delete(blobObjectKey(scope, blob.digest));
      await deps.index.finishBlobDeletion(blob, since);
      blobsDeleted += 1;
      deps.blobDeleted?.(scope);
    }
  }
  return { scopes: scopes.size, evicted, blobsDeleted };
}
