import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as cache from "@actions/cache";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { clientEnvironment } from "../../cache-agent/index.js";
import { startCacheAgentWorld, type CacheAgentWorld } from "../helpers/cache-agent-world.js";

// The real @actions/cache 6.3.0 on GitHub Enterprise Server, where it speaks the legacy cache service (v1,
// ACTIONS_CACHE_URL) whatever ACTIONS_CACHE_SERVICE_V2 says, against the agent.

let world: CacheAgentWorld;
let work: string;

beforeAll(async () => {
  world = await startCacheAgentWorld();
  work = await mkdtemp(join(tmpdir(), "actions-cache-v1-"));
  mkdirSync(join(work, "runner-temp"));
  const env = { ...clientEnvironment(world.agent.url, ["actions"]), ACTIONS_RUNTIME_TOKEN: "runtime-token-not-checked", RUNNER_TEMP: join(work, "runner-temp"), GITHUB_SERVER_URL: "https://ghes.example.com" };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await world?.close();
  rmSync(work, { recursive: true, force: true });
});

describe("@actions/cache v1 (GitHub Enterprise Server) against the agent", () => {
  it("saves a 40 MB archive in parallel chunks and restores it by a restore key", async () => {
    const dir = join(work, "deps");
    mkdirSync(dir);
    // 40 MB of random bytes: two 32 MB PATCH chunks, uploaded in parallel.
    const bytes = randomBytes(40 * 1024 * 1024);
    writeFileSync(join(dir, "blob.bin"), bytes);
    expect(await cache.saveCache([dir], "deps-ghes-1")).toBeGreaterThan(0);
    expect(world.fn.entries.at(-1)?.size).toBeGreaterThan(40 * 1024 * 1024);
    rmSync(dir, { recursive: true });

    expect(await cache.restoreCache([dir], "deps-ghes-2", ["deps-ghes-"])).toBe("deps-ghes-1");
    expect(readFileSync(join(dir, "blob.bin")).equals(bytes)).toBe(true);
  });

  it("misses, and refuses a second save of a key", async () => {
    const dir = join(work, "small");
    mkdirSync(dir);
    writeFileSync(join(dir, "a.txt"), "first");
    expect(await cache.restoreCache([dir], "small-key")).toBeUndefined();
    expect(await cache.saveCache([dir], "small-key")).toBeGreaterThan(0);
    writeFileSync(join(dir, "a.txt"), "second");
    expect(await cache.saveCache([dir], "small-key")).toBe(-1);
    rmSync(dir, { recursive: true });
    expect(await cache.restoreCache([dir], "small-key")).toBe("small-key");
    expect(readFileSync(join(dir, "a.txt"), "utf8")).toBe("first");
  });
});
