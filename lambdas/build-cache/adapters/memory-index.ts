/** The cache index in memory, with the DynamoDB store's semantics (tests, and the contract suite). */
import { blobSortKey, entrySortKey, entrySortKeyPrefix, reservationSortKey, scopePartition } from "../keys.js";
import type { BlobRecord, IndexEntry, IndexStore, Reservation, SweepIndex } from "../ports.js";

type Item = { readonly type: "entry"; readonly value: IndexEntry } | { readonly type: "blob"; readonly value: BlobRecord } | { readonly type: "reservation"; readonly value: Reservation };

export function memoryIndex(): IndexStore & SweepIndex & { readonly items: Map<string, Item> } {
  const items = new Map<string, Item>();
  const id = (scope: string, sortKey: string): string => `${scopePartition(scope)}|${sortKey}`;
  const entryId = (entry: IndexEntry): string => id(entry.scope, entrySortKey(entry, entry.version, entry.key));
  const entryAt = (key: string): IndexEntry | undefined => {
    const item = items.get(key);
    return item?.type === "entry" ? item.value : undefined;
  };
  const blobAt = (scope: string, digest: string): BlobRecord | undefined => {
    const item = items.get(id(scope, blobSortKey(digest)));
    return item?.type === "blob" ? item.value : undefined;
  };
  const setBlob = (value: BlobRecord): void => void items.set(id(value.scope, blobSortKey(value.digest)), { type: "blob", value });
  return {
    items,
    async getEntry(scope, ref, version, key) {
      return entryAt(id(scope, entrySortKey(ref, version, key)));
    },
    async newestWithPrefix(scope, ref, version, prefix) {
      const start = id(scope, entrySortKeyPrefix(ref, version, prefix));
      let newest: IndexEntry | undefined;
      for (const [key, item] of items) {
        if (item.type !== "entry" || !key.startsWith(start)) continue;
        if (newest === undefined || item.value.created > newest.created) newest = item.value;
      }
      return newest;
    },
    async touchEntry(entry, now) {
      const current = entryAt(entryId(entry));
      if (current !== undefined) items.set(entryId(entry), { type: "entry", value: { ...current, lastAccess: now.toISOString() } });
    },
    async putEntry(entry) {
      if (items.has(entryId(entry))) return false;
      items.set(entryId(entry), { type: "entry", value: entry });
      return true;
    },
    async getBlob(scope, digest) {
      return blobAt(scope, digest);
    },
    async referenceBlob(scope, digest, size, now) {
      const current = blobAt(scope, digest);
      if (current?.deletingSince !== undefined) return { ok: false, reason: "deleting" };
      const blob = { scope, digest, size, stored: current?.stored ?? false, lastReferenced: now.toISOString() };
      setBlob(blob);
      return { ok: true, blob };
    },
    async markBlobStored(scope, digest) {
      const current = blobAt(scope, digest);
      if (current !== undefined) setBlob({ ...current, stored: true });
    },
    async putReservation(reservation) {
      items.set(id(reservation.scope, reservationSortKey(reservation.token)), { type: "reservation", value: reservation });
    },
    async getReservation(scope, token) {
      const item = items.get(id(scope, reservationSortKey(token)));
      return item?.type === "reservation" ? item.value : undefined;
    },
    async deleteReservation(scope, token) {
      items.delete(id(scope, reservationSortKey(token)));
    },
    async scopes() {
      const found = new Map<string, { entries: IndexEntry[]; blobs: BlobRecord[] }>();
      for (const item of items.values()) {
        if (item.type === "reservation") continue;
        const group = found.get(item.value.scope) ?? { entries: [], blobs: [] };
        found.set(item.value.scope, group);
        if (item.type === "entry") group.entries.push(item.value);
        else group.blobs.push(item.value);
      }
      return found;
    },
    async evictEntry(entry) {
      const current = entryAt(entryId(entry));
      if (current === undefined || current.lastAccess !== entry.lastAccess || current.digest !== entry.digest) return false;
      items.delete(entryId(entry));
      return true;
    },
    async isReferenced(scope, digest) {
      for (const item of items.values()) if (item.type === "entry" && item.value.scope === scope && item.value.digest === digest) return true;
      return false;
    },
    async startBlobDeletion(blob, cutoff, now) {
      const current = blobAt(blob.scope, blob.digest);
      if (current === undefined || current.deletingSince !== undefined || current.lastReferenced >= cutoff.toISOString()) return false;
      setBlob({ ...current, deletingSince: now.toISOString() });
      return true;
    },
    async cancelBlobDeletion(blob, since) {
      const current = blobAt(blob.scope, blob.digest);
      if (current?.deletingSince !== since.toISOString()) return;
      const { deletingSince: _dropped, ...rest } = current;
      setBlob(rest);
    },
    async finishBlobDeletion(blob, since) {
      if (blobAt(blob.scope, blob.digest)?.deletingSince === since.toISOString()) items.delete(id(blob.scope, blobSortKey(blob.digest)));
    },
  };
}
