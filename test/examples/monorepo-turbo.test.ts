import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientEnvironment } from "../../cache-agent/index.js";
import { startCacheAgentWorld, type CacheAgentWorld } from "../helpers/cache-agent-world.js";
import { CHANGED_PACKAGE, MONOREPO_PACKAGES, runMonorepoSequence, type MonorepoSequence } from "../helpers/monorepo.js";

// The fixture monorepo (test/fixtures/monorepo) built by the real turbo 2.11.13 against the agent's
// Turborepo remote cache (signed loopback function URL, fake function, s3rver), each run in a fresh
// clone with no local cache, as on ephemeral runners: the sequence docs/monorepo.md measures.

let world: CacheAgentWorld;
let runs: MonorepoSequence;
const tasks = (packages: readonly string[], names = ["build", "test"]) => packages.flatMap((p) => names.map((t) => `@fixture/${p}#${t}`)).sort();
/** The changed package and its dependents (core: api and web use it). */
const AFFECTED = [CHANGED_PACKAGE, "api", "web"];

beforeAll(async () => {
  world = await startCacheAgentWorld({ agent: { protocols: ["turborepo"] } });
  const env = clientEnvironment(world.agent.url, ["turborepo"]);
  runs = await runMonorepoSequence({ api: env.TURBO_API!, token: env.TURBO_TOKEN!, team: env.TURBO_TEAM! });
}, 240_000);

afterAll(async () => {
  await world?.close();
});

describe("turbo against the agent on the fixture monorepo", () => {
  it("runs every task on the first run and stores each in the remote cache", () => {
    expect(runs.first.status, runs.first.output).toBe(0);
    expect(runs.first.executed).toEqual(tasks(MONOREPO_PACKAGES));
    expect(runs.first.cached).toEqual([]);
  });

  it("runs no task on a fresh checkout of the same commit: all ten restored from the agent", () => {
    expect(runs.unchanged.status, runs.unchanged.output).toBe(0);
    expect(runs.unchanged.executed).toEqual([]);
    expect(runs.unchanged.cached).toEqual(tasks(MONOREPO_PACKAGES));
  });

  it("with one package changed, runs only that package's and its dependents' tasks", () => {
    expect(runs.changedAll.status, runs.changedAll.output).toBe(0);
    expect(runs.changedAll.executed).toEqual(tasks(AFFECTED));
    expect(runs.changedAll.cached).toEqual(tasks(MONOREPO_PACKAGES.filter((p) => !AFFECTED.includes(p))));
  });

  it("with --affected, schedules no test of an unaffected package; the builds the affected ones depend on come from the cache", () => {
    expect(runs.changedAffected.status, runs.changedAffected.output).toBe(0);
    expect(runs.changedAffected.executed).toEqual(tasks(AFFECTED));
    // core needs utils' build, api needs config's: restored, not run; their tests are not scheduled.
    expect(runs.changedAffected.cached).toEqual(["@fixture/config#build", "@fixture/utils#build"]);
    expect(runs.changedAffected.tasks).toBe(8);
  });

  it("restored the cached outputs into the checkout (dist/ of a package it did not build)", () => {
    expect(existsSync(join(runs.unchangedDir, "packages", "utils", "dist", "index.js"))).toBe(true);
  });
});
