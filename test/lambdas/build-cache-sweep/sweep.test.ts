import { beforeEach, describe, expect, it } from "vitest";
import { blobObjectKey } from "../../../lambdas/build-cache/keys.js";
import type { IndexEntry, IndexStore, SweepIndex } from "../../../lambdas/build-cache/ports.js";
import { planScope } from "../../../lambdas/build-cache-sweep/plan.js";
import { sweep } from "../../../lambdas/build-cache-sweep/sweep.js";
import type { SweepDeps } from "../../../lambdas/build-cache-sweep/sweep.js";
import { memoryBlobs } from "../../helpers/build-cache.js";
import { indexStores } from "../../helpers/index-stores.js";

const NOW = new Date("2026-12-07T12:00:00.000Z");
const hoursAgo = (hours: number): string => new Date(NOW.getTime() - hours * 3_600_000).toISOString();
const LIMITS = { budgetBytes: 100, retentionDays: 7, uploadGraceSeconds: 3600 };

function entry(key: string, digest: string, size: number, lastAccessHoursAgo: number, scope = "octo-org"): IndexEntry {
  const at = hoursAgo(lastAccessHoursAgo);
  return { scope, repository: "octo-org/app", branch: "main", version: "v1", key, protocol: "turborepo", digest: digest.repeat(64).slice(0, 64), size, created: at, lastAccess: at };
}

describe("planScope", () => {
  it("evicts past retention, then least recently used until the referenced bytes fit, counting a shared blob once", () => {
    const entries = [entry("old", "a", 10, 24 * 8), entry("lru", "b", 60, 5), entry("shared-1", "c", 50, 4), entry("shared-2", "c", 50, 1)];

    const plan = planScope(entries, [], LIMITS, NOW);

    expect(plan.evict.map((e) => e.key)).toEqual(["old", "lru"]);
    expect(plan.keptBytes).toBe(50);
  });

  it("deletes only blobs no kept entry references and last referenced before the grace period", () => {
    const digest = (c: string) => c.repeat(64);
    const blobs = [
      { scope: "octo-org", digest: digest("a"), size: 10, stored: true, lastReferenced: hoursAgo(2) },
      { scope: "octo-org", digest: digest("b"), size: 10, stored: true, lastReferenced: hoursAgo(0.5) },
      { scope: "octo-org", digest: digest("c"), size: 10, stored: true, lastReferenced: hoursAgo(2) },
    ];

    const plan = planScope([entry("keeps-c", "c", 10, 1)], blobs, LIMITS, NOW);

    expect(plan.deleteBlobs.map((blob) => blob.digest)).toEqual([digest("a")]);
  });
});

const stores = indexStores("sweep-index");

describe.each(stores)("sweep over the $name index", ({ make }) => {
  let index: IndexStore & SweepIndex;
  let blobs: ReturnType<typeof memoryBlobs>;
  let deps: SweepDeps;
  const evicted: string[] = [];

  /** Commits an entry as the function does: reference the blob, store it, write the entry. */
  async function seed(e: IndexEntry, referencedHoursAgo: number): Promise<void> {
    await index.referenceBlob(e.scope, e.digest, e.size, new Date(hoursAgo(referencedHoursAgo)));
    await index.markBlobStored(e.scope, e.digest);
    blobs.objects.set(blobObjectKey(e.scope, e.digest), Buffer.alloc(e.size));
    await index.putEntry(e);
  }

  beforeEach(async () => {
    index = await make();
    blobs = memoryBlobs();
    evicted.length = 0;
    deps = { index, blobs, limits: LIMITS, now: () => NOW, evicted: (scope, protocol) => evicted.push(`${scope}/${protocol}`) };
  });

  it("evicts the least recently used entry over budget and deletes its blob, never one another entry references", async () => {
    await seed(entry("lru", "a", 60, 30), 30);
    await seed(entry("shares-b-old", "b", 50, 20), 20);
    await seed(entry("shares-b-new", "b", 50, 2), 20);

    const summary = await sweep(deps);

    expect(summary).toEqual({ scopes: 1, evicted: 1, blobsDeleted: 1 });
    expect(evicted).toEqual(["octo-org/turborepo"]);
    expect(blobs.objects.has(blobObjectKey("octo-org", "a".repeat(64)))).toBe(false);
    expect(blobs.objects.has(blobObjectKey("octo-org", "b".repeat(64)))).toBe(true);
    expect(((await index.scopes()).get("octo-org")?.entries ?? []).map((e) => e.key).sort()).toEqual(["shares-b-new", "shares-b-old"]);
  });

  it("keeps a referenced blob when an entry committed after the plan still points at it", async () => {
    await seed(entry("only", "a", 10, 24 * 9), 24 * 9);
    const raced = entry("raced", "a", 10, 0);
    // The plan sees "only" past retention, so blob a unreferenced; an entry for a lands before the deletion.
    const planned = index.scopes.bind(index);
    index.scopes = async () => {
      const snapshot = await planned();
      await index.putEntry(raced);
      return snapshot;
    };

    await sweep(deps);

    expect(blobs.objects.has(blobObjectKey("octo-org", "a".repeat(64)))).toBe(true);
    expect(await index.getBlob("octo-org", "a".repeat(64))).not.toHaveProperty("deletingSince");
  });

  it("never deletes a blob younger than the upload grace (a commit in progress)", async () => {
    await index.referenceBlob("octo-org", "c".repeat(64), 10, new Date(hoursAgo(0.25)));

    expect(await sweep(deps)).toMatchObject({ blobsDeleted: 0 });
    expect(await index.getBlob("octo-org", "c".repeat(64))).toBeDefined();
  });

  it("makes a commit that references a blob being deleted fail, so it never points at deleted bytes", async () => {
    await seed(entry("gone", "d", 10, 24 * 9), 24 * 9);
    const deleteObject = blobs.delete.bind(blobs);
    let during: Awaited<ReturnType<IndexStore["referenceBlob"]>> | undefined;
    deps = { ...deps, blobs: { delete: async (key) => {
      during = await index.referenceBlob("octo-org", "d".repeat(64), 10, NOW);
      await deleteObject(key);
    } } };

    await sweep(deps);

    expect(during).toEqual({ ok: false, reason: "deleting" });
    expect(await index.getBlob("octo-org", "d".repeat(64))).toBeUndefined();
  });
});
