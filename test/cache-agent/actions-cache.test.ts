import { createHash, randomBytes } from "node:crypto";
import { createReadStream, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as cache from "@actions/cache";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { clientEnvironment, startCacheAgent, type CacheBackend } from "../../cache-agent/index.js";
import { startCacheAgentWorld, type CacheAgentWorld } from "../helpers/cache-agent-world.js";

// The real @actions/cache 6.3.0 (cache service v2, what actions/cache@v4+ runs) saving to and restoring
// from the agent, which stores through the signed function URL and the fake function into s3rver.

let world: CacheAgentWorld;
let work: string;

/** Sets each variable for this file's tests (vitest restores them at vi.unstubAllEnvs). */
function stubEnv(values: Record<string, string>): void {
  for (const [name, value] of Object.entries(values)) vi.stubEnv(name, value);
}

async function writeTree(dir: string, files: Record<string, string>): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
}

beforeAll(async () => {
  world = await startCacheAgentWorld();
  work = await mkdtemp(join(tmpdir(), "actions-cache-"));
  // @actions/cache reads its service from the environment; vi.unstubAllEnvs puts the old values back.
  stubEnv({
    ...clientEnvironment(world.agent.url, ["actions"]),
    ACTIONS_RUNTIME_TOKEN: "runtime-token-not-checked",
    RUNNER_TEMP: join(work, "runner-temp"),
    GITHUB_SERVER_URL: "https://github.com",
  });
  mkdirSync(join(work, "runner-temp"));
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await world?.close();
  rmSync(work, { recursive: true, force: true });
});

describe("@actions/cache v2 against the agent", () => {
  it("saves a directory and restores it by its exact key", async () => {
    const dir = join(work, "deps");
    await writeTree(dir, { "a.txt": "alpha", "b.txt": "beta" });
    expect(await cache.saveCache([dir], "deps-linux-1111")).toBeGreaterThan(0);
    rmSync(dir, { recursive: true });

    expect(await cache.restoreCache([dir], "deps-linux-1111")).toBe("deps-linux-1111");
    expect(readFileSync(join(dir, "a.txt"), "utf8")).toBe("alpha");
    expect(readFileSync(join(dir, "b.txt"), "utf8")).toBe("beta");
  });

  it("restores the newest entry matching a restore key when the key misses", async () => {
    const dir = join(work, "node");
    await writeTree(dir, { "v.txt": "older" });
    expect(await cache.saveCache([dir], "node-linux-aaaa")).toBeGreaterThan(0);
    await writeTree(dir, { "v.txt": "newer" });
    expect(await cache.saveCache([dir], "node-linux-bbbb")).toBeGreaterThan(0);
    rmSync(dir, { recursive: true });

    expect(await cache.restoreCache([dir], "node-linux-cccc", ["node-windows-", "node-linux-"])).toBe("node-linux-bbbb");
    expect(readFileSync(join(dir, "v.txt"), "utf8")).toBe("newer");
  });

  it("misses when no key or restore key matches", async () => {
    const dir = join(work, "nothing");
    expect(await cache.restoreCache([dir], "absent-key", ["absent-"])).toBeUndefined();
  });

  it("misses an entry saved with another version (other paths)", async () => {
    const dir = join(work, "versioned");
    await writeTree(dir, { "x.txt": "x" });
    expect(await cache.saveCache([dir], "versioned-key")).toBeGreaterThan(0);

    expect(await cache.restoreCache([dir, join(work, "other-path")], "versioned-key")).toBeUndefined();
    expect(await cache.restoreCache([dir], "versioned-key")).toBe("versioned-key");
  });

  it("refuses a second save of the same key, as GitHub's service does", async () => {
    const dir = join(work, "immutable");
    await writeTree(dir, { "x.txt": "first" });
    expect(await cache.saveCache([dir], "immutable-key")).toBeGreaterThan(0);
    await writeTree(dir, { "x.txt": "second" });
    expect(await cache.saveCache([dir], "immutable-key")).toBe(-1);
    rmSync(dir, { recursive: true });

    await cache.restoreCache([dir], "immutable-key");
    expect(readFileSync(join(dir, "x.txt"), "utf8")).toBe("first");
  });

  it("answers a miss and a failed save, once each and without retries, when the cache function fails", async () => {
    const failing: CacheBackend = {
      lookup: () => Promise.reject(new Error("function URL unreachable")),
      reserve: () => Promise.reject(new Error("function URL unreachable")),
      commit: () => Promise.reject(new Error("function URL unreachable")),
    };
    const broken = await startCacheAgent({ backend: failing, port: 0, protocols: ["actions"] });
    const resultsUrl = process.env.ACTIONS_RESULTS_URL;
    process.env.ACTIONS_RESULTS_URL = `${broken.url}/`;
    try {
      const dir = join(work, "unavailable");
      await writeTree(dir, { "x.txt": "x" });
      expect(await cache.restoreCache([dir], "unavailable-key")).toBeUndefined();
      expect(await cache.saveCache([dir], "unavailable-key")).toBe(-1);
      // One lookup for the restore, one for the save's immutability check: the toolkit retried neither.
      expect(broken.stats.lookups).toBe(2);
    } finally {
      process.env.ACTIONS_RESULTS_URL = resultsUrl;
      await broken.close();
    }
  });

  it("saves and restores a 200 MB cache through Put Block / Put Block List and ranged reads", async () => {
    const dir = join(work, "big");
    mkdirSync(dir);
    // Random bytes: zstd cannot shrink them, so the archive is ~200 MB too.
    const digests: string[] = [];
    for (let i = 0; i < 4; i++) {
      const bytes = randomBytes(50 * 1024 * 1024);
      digests.push(createHash("sha256").update(bytes).digest("hex"));
      writeFileSync(join(dir, `blob-${i}.bin`), bytes);
    }
    const before = { ...world.agent.stats };
    const fnBefore = { ...world.fn.calls };

    const saveStarted = performance.now();
    expect(await cache.saveCache([dir], "big-200mb")).toBeGreaterThan(0);
    const saveSeconds = (performance.now() - saveStarted) / 1000;
    const saveRequests = world.fn.calls.lookup - fnBefore.lookup + world.fn.calls.reserve - fnBefore.reserve + world.fn.calls.commit - fnBefore.commit;
    const saveParts = world.agent.stats.s3Requests - before.s3Requests;
    const archiveBytes = world.agent.stats.bytesUploaded - before.bytesUploaded;
    expect(archiveBytes).toBeGreaterThan(200 * 1024 * 1024);
    rmSync(dir, { recursive: true });

    const lookupsBefore = world.fn.calls.lookup;
    const s3Before = world.agent.stats.s3Requests;
    const restoreStarted = performance.now();
    expect(await cache.restoreCache([dir], "big-200mb")).toBe("big-200mb");
    const restoreSeconds = (performance.now() - restoreStarted) / 1000;
    for (let i = 0; i < 4; i++) {
      const hash = createHash("sha256");
      for await (const chunk of createReadStream(join(dir, `blob-${i}.bin`))) hash.update(chunk as Buffer);
      expect(hash.digest("hex")).toBe(digests[i]);
    }
    const functionRequests = world.fn.calls.lookup - lookupsBefore;
    const s3Requests = world.agent.stats.s3Requests - s3Before;
    // One summary line: the figures the issue asks for (tests assert behaviour, not speed).
    const mb = archiveBytes / 1024 / 1024;
    console.log(
      `200 MB cache via loopback: archive ${mb.toFixed(0)} MiB; save ${saveSeconds.toFixed(1)} s (${(mb / saveSeconds).toFixed(0)} MiB/s, ${saveRequests} function requests, ${saveParts} part PUTs); ` +
        `restore ${restoreSeconds.toFixed(1)} s (${(mb / restoreSeconds).toFixed(0)} MiB/s), requests per restore: ${functionRequests} to the function + ${s3Requests} ranged GETs to S3`,
    );
    expect(saveRequests).toBe(3); // lookup (immutability), reserve, commit
    expect(functionRequests).toBe(1);
  });
});
