import { beforeEach, describe, expect, it } from "vitest";
import { callerAccess } from "../../../lambdas/build-cache/caller.js";
import { blobObjectKey } from "../../../lambdas/build-cache/keys.js";
import type { IndexStore, SweepIndex } from "../../../lambdas/build-cache/ports.js";
import { Refusal, commit, lookup, reserve } from "../../../lambdas/build-cache/service.js";
import type { Allowed, CacheDeps, CacheEvent } from "../../../lambdas/build-cache/service.js";
import { memoryBlobs, ranJobCaller, sha256Hex } from "../../helpers/build-cache.js";
import { indexStores } from "../../helpers/index-stores.js";

// The service over both index stores (the contract suite of the index port): memory and DynamoDB (dynalite).

const INSTANCE = "i-0aaaaaaaaaaaaaaa1";
const VERSION = "v1";
const stores = indexStores("cache-index");

function allowed(facts: ReturnType<typeof ranJobCaller>): Allowed {
  const access = callerAccess(facts);
  if (!access.allowed) throw new Error("not allowed");
  return access;
}

describe.each(stores)("build cache service over the $name index", ({ make }) => {
  let index: IndexStore & SweepIndex;
  let blobs: ReturnType<typeof memoryBlobs>;
  let events: CacheEvent[];
  let clock: number;
  let deps: CacheDeps;

  beforeEach(async () => {
    index = await make();
    blobs = memoryBlobs();
    events = [];
    clock = Date.parse("2026-12-01T10:00:00.000Z");
    deps = {
      index,
      blobs,
      settings: { scopeBudgetBytes: 1_000_000, presignTtlSeconds: 900, partSizeBytes: 8 },
      now: () => new Date(clock),
      record: (event) => events.push(event),
    };
  });

  /** Reserve, upload and commit `bytes` under `key` as `access`; returns the commit answer. */
  async function save(access: Allowed, key: string, bytes: Buffer, options: { digest?: string; instance?: string } = {}) {
    clock += 1000;
    const reserved = await reserve({ protocol: "actions", key, version: VERSION, digest: options.digest ?? sha256Hex(bytes), size: bytes.length }, access, options.instance ?? INSTANCE, deps);
    if ("refused" in reserved) return reserved;
    const tags = reserved.upload ? reserved.partUrls.map((url, index) => blobs.putPart(url, bytes.subarray(index * reserved.partSize, (index + 1) * reserved.partSize))) : [];
    return commit({ uploadToken: reserved.uploadToken, partETags: tags }, access, options.instance ?? INSTANCE, deps);
  }

  const restore = (access: Allowed, keys: string[], version = VERSION) => lookup({ protocol: "actions", keys, version }, access, deps);

  it("restores an exact key from the own branch, with the blob under the scope's content key", async () => {
    const feature = allowed(ranJobCaller("octo-org", "octo-org/app", "feature/a"));
    const bytes = Buffer.from("node_modules tarball, 3 parts");
    await expect(save(feature, "npm-abc", bytes)).resolves.toEqual({ committed: true });

    const hit = await restore(feature, ["npm-abc"]);

    expect(hit).toMatchObject({ hit: true, key: "npm-abc", size: bytes.length, digest: sha256Hex(bytes), url: `mem://blob/${blobObjectKey("octo-org", sha256Hex(bytes))}` });
    expect(hit).not.toHaveProperty("fromBranch");
    expect(blobs.objects.get(blobObjectKey("octo-org", sha256Hex(bytes)))).toEqual(bytes);
    expect(events.map((event) => event.kind)).toEqual(["written", "hit"]);
  });

  it("falls back to the default branch and never to a sibling branch", async () => {
    const main = allowed(ranJobCaller("octo-org", "octo-org/app", "main"));
    const sibling = allowed(ranJobCaller("octo-org", "octo-org/app", "feature/b"));
    const feature = allowed(ranJobCaller("octo-org", "octo-org/app", "feature/a"));
    await save(sibling, "npm-abc", Buffer.from("sibling bytes"));
    expect(await restore(feature, ["npm-abc"])).toEqual({ hit: false });

    await save(main, "npm-abc", Buffer.from("main bytes"));

    expect(await restore(feature, ["npm-abc"])).toMatchObject({ hit: true, digest: sha256Hex("main bytes"), fromBranch: "main" });
    expect(await restore(sibling, ["npm-abc"])).toMatchObject({ hit: true, digest: sha256Hex("sibling bytes") });
  });

  it("matches restore keys as prefixes, newest first, and never another version", async () => {
    const feature = allowed(ranJobCaller("octo-org", "octo-org/app", "feature/a"));
    await save(feature, "npm-linux-111", Buffer.from("older"));
    await save(feature, "npm-linux-222", Buffer.from("newer"));

    expect(await restore(feature, ["npm-linux-333", "npm-linux-"])).toMatchObject({ hit: true, key: "npm-linux-222" });
    expect(await restore(feature, ["npm-linux-"])).toEqual({ hit: false });
    expect(await restore(feature, ["npm-linux-333", "npm-linux-"], "v2")).toEqual({ hit: false });
  });

  it("keeps scopes apart: the same key and branch in another scope neither hits nor is overwritten", async () => {
    const orgA = allowed(ranJobCaller("octo-a", "octo-a/app", "main"));
    const orgB = allowed(ranJobCaller("octo-b", "octo-b/app", "main"));
    await save(orgA, "turbo-1", Buffer.from("A's artifact"));

    expect(await restore(orgB, ["turbo-1"])).toEqual({ hit: false });
    await expect(save(orgB, "turbo-1", Buffer.from("B's artifact"))).resolves.toEqual({ committed: true });
    expect(await restore(orgA, ["turbo-1"])).toMatchObject({ digest: sha256Hex("A's artifact") });
  });

  it("stores the same bytes once per scope: a second save uploads nothing", async () => {
    const feature = allowed(ranJobCaller("octo-org", "octo-org/app", "feature/a"));
    await save(feature, "k1", Buffer.from("same bytes"));

    const reserved = await reserve({ protocol: "actions", key: "k2", version: VERSION, digest: sha256Hex("same bytes"), size: 10 }, feature, INSTANCE, deps);

    expect(reserved).toMatchObject({ upload: false });
    expect(reserved).toHaveProperty("uploadToken");
  });

  it("refuses a digest mismatch (422) and writes no entry", async () => {
    const feature = allowed(ranJobCaller("octo-org", "octo-org/app", "feature/a"));

    await expect(save(feature, "k1", Buffer.from("actual bytes"), { digest: sha256Hex("claimed bytes") })).rejects.toMatchObject({ statusCode: 422 });

    expect(await restore(feature, ["k1"])).toEqual({ hit: false });
    expect([...blobs.objects.keys()].filter((key) => key.startsWith("blobs/"))).toEqual([]);
  });

  it("refuses a commit of an unknown, foreign or expired token (409)", async () => {
    const feature = allowed(ranJobCaller("octo-org", "octo-org/app", "feature/a"));
    const other = allowed(ranJobCaller("octo-b", "octo-b/app", "feature/a"));
    const reserved = await reserve({ protocol: "actions", key: "k", version: VERSION, digest: sha256Hex("x"), size: 1 }, feature, INSTANCE, deps);
    if (!("uploadToken" in reserved)) throw new Error("refused");
    const tags = reserved.upload ? [blobs.putPart(reserved.partUrls[0] ?? "", Buffer.from("x"))] : [];

    await expect(commit({ uploadToken: "0".repeat(48), partETags: [] }, feature, INSTANCE, deps)).rejects.toBeInstanceOf(Refusal);
    await expect(commit({ uploadToken: reserved.uploadToken, partETags: tags }, other, INSTANCE, deps)).rejects.toMatchObject({ statusCode: 409 });
    await expect(commit({ uploadToken: reserved.uploadToken, partETags: tags }, feature, "i-0bbbbbbbbbbbbbbb1", deps)).rejects.toMatchObject({ statusCode: 409 });
    clock += 901_000;
    await expect(commit({ uploadToken: reserved.uploadToken, partETags: tags }, feature, INSTANCE, deps)).rejects.toMatchObject({ statusCode: 409 });
    expect(await restore(feature, ["k"])).toEqual({ hit: false });
  });

  it("leaves no visible entry when the saver stops between upload and commit", async () => {
    const feature = allowed(ranJobCaller("octo-org", "octo-org/app", "feature/a"));
    const bytes = Buffer.from("uploaded, never committed");
    const reserved = await reserve({ protocol: "actions", key: "k", version: VERSION, digest: sha256Hex(bytes), size: bytes.length }, feature, INSTANCE, deps);
    if (!("partUrls" in reserved)) throw new Error("expected an upload");
    reserved.partUrls.forEach((url, index) => blobs.putPart(url, bytes.subarray(index * 8, index * 8 + 8)));

    expect(await restore(feature, ["k"])).toEqual({ hit: false });
    expect((await index.scopes()).get("octo-org")?.entries ?? []).toEqual([]);
  });

  it("refuses writes to a read-only caller and blobs over the scope's budget, in the answer", async () => {
    const readOnly: Allowed = { allowed: true, scope: "octo-org/app", read: [{ repository: "octo-org/app", branch: "main" }] };
    const feature = allowed(ranJobCaller("octo-org", "octo-org/app", "feature/a"));

    expect(await reserve({ protocol: "actions", key: "k", version: VERSION, digest: sha256Hex("x"), size: 1 }, readOnly, INSTANCE, deps)).toMatchObject({ upload: false, refused: expect.stringContaining("read-only") });
    expect(await reserve({ protocol: "actions", key: "k", version: VERSION, digest: sha256Hex("x"), size: 1_000_001 }, feature, INSTANCE, deps)).toMatchObject({ upload: false, refused: expect.stringContaining("budget") });
  });

  it("keeps entries immutable: a second save of the same key is refused and the first stays", async () => {
    const feature = allowed(ranJobCaller("octo-org", "octo-org/app", "feature/a"));
    await save(feature, "k", Buffer.from("first"));

    expect(await save(feature, "k", Buffer.from("second"))).toMatchObject({ upload: false, refused: expect.stringContaining("exists") });
    expect(await restore(feature, ["k"])).toMatchObject({ digest: sha256Hex("first") });
  });
});
