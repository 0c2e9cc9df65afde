import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INPUTS, OUTPUTS } from "../../actions/cache/src/io.js";
import { ACTIONS_CACHE_AGENT_URL_VAR } from "../../contracts/actions-cache.js";
import { startCacheAgentWorld, type CacheAgentWorld } from "../helpers/cache-agent-world.js";
import { REPO_ROOT, scratchDir } from "../helpers/paths.js";
import { parseOutputFile, runAction, type ActionRun } from "./action-run.js";

// The committed bundle of actions/cache (the drop-in actions/cache) run as the runner runs it, main step
// then post step with the state the main step left, against the agent (signed loopback function URL,
// fake function, s3rver). ACTIONS_RESULTS_URL is an unreachable "GitHub" each time, as on a runner the
// redirect did not patch: every hit and save below went through the agent.

let world: CacheAgentWorld;
let root: string;
const GITHUB_RESULTS = "http://127.0.0.1:9/";

beforeAll(async () => {
  world = await startCacheAgentWorld();
  root = scratchDir("action-cache");
});

afterAll(async () => {
  await world?.close();
});

/** A fresh workspace (an ephemeral runner's checkout) with `deps/` holding `files`. */
function workspace(files: Record<string, string> = {}): string {
  const dir = join(root, `ws-${Math.random().toString(36).slice(2)}`);
  mkdirSync(join(dir, "deps"), { recursive: true });
  mkdirSync(join(dir, "temp"));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, "deps", name), content);
  return dir;
}

function runnerEnv(ws: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    GITHUB_WORKSPACE: ws,
    RUNNER_TEMP: join(ws, "temp"),
    GITHUB_REF: "refs/heads/main",
    GITHUB_SERVER_URL: "https://github.com",
    ACTIONS_RUNTIME_TOKEN: "runtime-token-not-checked",
    ACTIONS_RESULTS_URL: GITHUB_RESULTS,
    // As the runner sets it on github.com (the actions_uses_cache_service_v2 flag).
    ACTIONS_CACHE_SERVICE_V2: "True",
    [ACTIONS_CACHE_AGENT_URL_VAR]: `${world.agent.url}/`,
    ...extra,
  };
}

/** The main step, then the post step with STATE_* from the main step's GITHUB_STATE, as the runner does. */
async function mainThenPost(ws: string, inputs: Record<string, string>, extra: Record<string, string> = {}): Promise<{ main: ActionRun; post: ActionRun }> {
  const stateFile = join(ws, "temp", "state");
  writeFileSync(stateFile, "");
  const main = await runAction("cache", inputs, runnerEnv(ws, { GITHUB_STATE: stateFile, ...extra }));
  const state = Object.fromEntries(Object.entries(parseOutputFile(readFileSync(stateFile, "utf8"))).map(([name, value]) => [`STATE_${name}`, value]));
  const post = main.status === 0 ? await runAction("cache", inputs, runnerEnv(ws, { ...state, ...extra })) : main;
  return { main, post };
}

describe("actions/cache's action.yml", () => {
  const text = readFileSync(join(REPO_ROOT, "actions", "cache", "action.yml"), "utf8");
  const section = (name: string) => [...(text.split(`\n${name}:\n`)[1] ?? "").split(/\n(?=\S)/)[0]!.matchAll(/^ {2}([\w-]+):/gm)].map((m) => m[1]);

  it("declares the inputs the code reads (actions/cache's, without the deprecated save-always) and the outputs it sets", () => {
    expect(section("inputs")).toEqual(Object.values(INPUTS));
    expect(section("outputs")).toEqual(Object.values(OUTPUTS));
  });

  it("runs one bundle as main and post step, the post step only after success (as actions/cache)", () => {
    expect(text).toContain("runs:\n  using: node24\n  main: dist/index.js\n  post: dist/index.js\n  post-if: success()\n");
  });
});

describe("actions/cache (the drop-in action) against the agent", () => {
  it("misses on an empty cache, then its post step saves the paths under the key", async () => {
    const ws = workspace({ "lib.txt": "v1" });
    const { main, post } = await mainThenPost(ws, { path: "deps", key: "deps-linux-aaa" });
    expect(main.status, main.stdout).toBe(0);
    expect(main.stdout).toContain(`Cache service: the runner's cache agent at ${world.agent.url}/`);
    expect(main.stdout).toContain("Cache not found for input keys: deps-linux-aaa");
    // actions/cache leaves cache-hit unset on a miss (actions/cache#1466).
    expect(main.outputs).toEqual({ "cache-primary-key": "deps-linux-aaa" });
    expect(post.status, post.stdout).toBe(0);
    expect(post.stdout).toContain("Cache saved with key: deps-linux-aaa");
    expect(world.fn.entries.map((e) => e.key)).toContain("deps-linux-aaa");
  });

  it("restores an exact key into a fresh workspace, reports a hit, and saves nothing afterwards", async () => {
    const ws = workspace();
    const saves = world.agent.stats.saves;
    const { main, post } = await mainThenPost(ws, { path: "deps", key: "deps-linux-aaa" });
    expect(main.outputs).toEqual({ "cache-primary-key": "deps-linux-aaa", "cache-matched-key": "deps-linux-aaa", "cache-hit": "true" });
    expect(readFileSync(join(ws, "deps", "lib.txt"), "utf8")).toBe("v1");
    expect(post.stdout).toContain("Cache hit occurred on the primary key deps-linux-aaa, not saving cache.");
    expect(world.agent.stats.saves).toBe(saves);
  });

  it("restores the newest restore-keys match with cache-hit false, then saves the new key", async () => {
    const ws = workspace();
    const { main, post } = await mainThenPost(ws, { path: "deps", key: "deps-linux-bbb", "restore-keys": "deps-windows-\ndeps-linux-" });
    expect(main.outputs).toEqual({ "cache-primary-key": "deps-linux-bbb", "cache-matched-key": "deps-linux-aaa", "cache-hit": "false" });
    expect(readFileSync(join(ws, "deps", "lib.txt"), "utf8")).toBe("v1");
    expect(post.stdout).toContain("Cache saved with key: deps-linux-bbb");
  });

  it("answers lookup-only without restoring the files", async () => {
    const ws = workspace();
    const { main } = await mainThenPost(ws, { path: "deps", key: "deps-linux-aaa", "lookup-only": "true" });
    expect(main.outputs["cache-hit"]).toBe("true");
    expect(main.stdout).toContain("Cache found and can be restored from key: deps-linux-aaa");
    expect(existsSync(join(ws, "deps", "lib.txt"))).toBe(false);
  });

  it("does not match an entry saved for other paths (another version), as actions/cache", async () => {
    const ws = workspace();
    mkdirSync(join(ws, "other"));
    const { main } = await mainThenPost(ws, { path: "other", key: "deps-linux-aaa" });
    expect(main.outputs).toEqual({ "cache-primary-key": "deps-linux-aaa" });
  });

  it("fails the step on a miss when fail-on-cache-miss is set", async () => {
    const ws = workspace();
    const { main } = await mainThenPost(ws, { path: "deps", key: "deps-linux-none", "fail-on-cache-miss": "true" });
    expect(main.status).toBe(1);
    expect(main.stdout).toContain("::error::Failed to restore cache entry. Exiting as fail-on-cache-miss is set. Input key: deps-linux-none");
  });

  it("uses the agent's v1 service on GitHub Enterprise Server, where the client speaks only v1", async () => {
    const ghes = { GITHUB_SERVER_URL: "https://github.example.com", ACTIONS_CACHE_URL: GITHUB_RESULTS };
    const saving = await mainThenPost(workspace({ "lib.txt": "ghes" }), { path: "deps", key: "deps-ghes-1" }, ghes);
    expect(saving.post.stdout).toContain("Cache saved with key: deps-ghes-1");
    const ws = workspace();
    const { main } = await mainThenPost(ws, { path: "deps", key: "deps-ghes-1" }, ghes);
    expect(main.outputs["cache-hit"]).toBe("true");
    expect(readFileSync(join(ws, "deps", "lib.txt"), "utf8")).toBe("ghes");
  });

  it("is plain actions/cache where no agent is recorded: GitHub's cache service, not the agent", async () => {
    const ws = workspace({ "lib.txt": "elsewhere" });
    const lookups = world.agent.stats.lookups;
    const { main } = await mainThenPost(ws, { path: "deps", key: "deps-linux-aaa" }, { [ACTIONS_CACHE_AGENT_URL_VAR]: "" });
    expect(main.stdout).not.toContain("runner's cache agent");
    expect(world.agent.stats.lookups).toBe(lookups);
    // The unreachable "GitHub" makes the restore a warning and a miss, never a failed step (actions/cache's behaviour).
    expect(main.status).toBe(0);
    expect(main.outputs).toEqual({ "cache-primary-key": "deps-linux-aaa" });
    expect(main.stdout).toContain("::warning::Failed to restore");
  });

  it("skips caching with a warning where there is no cache service at all", async () => {
    const ws = workspace();
    const { main } = await mainThenPost(ws, { path: "deps", key: "k" }, { [ACTIONS_CACHE_AGENT_URL_VAR]: "", ACTIONS_RESULTS_URL: "" });
    expect(main.status).toBe(0);
    expect(main.outputs).toEqual({ "cache-hit": "false" });
    expect(main.stdout).toContain("::warning::The cache service is not available");
  });
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});
