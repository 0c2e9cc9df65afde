import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientEnvironment } from "../../cache-agent/index.js";
import { startCacheAgentWorld, type CacheAgentWorld } from "../helpers/cache-agent-world.js";
import { REPO_ROOT } from "../helpers/paths.js";

// The real turbo 2.11.13 binary in a two-package npm workspace, with the agent as its remote cache
// (TURBO_API/TURBO_TOKEN/TURBO_TEAM as the bootstrap exports them). Its local cache is removed between runs,
// so a second run can only be served by the agent.

const run = promisify(execFile);
const TURBO = join(REPO_ROOT, "node_modules", ".bin", "turbo");
let world: CacheAgentWorld;
let workspace: string;

async function turboBuild(): Promise<string> {
  const env = { ...process.env, ...clientEnvironment(world.agent.url, ["turborepo"]), TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1", TURBO_NO_UPDATE_NOTIFIER: "1", NO_COLOR: "1" };
  const { stdout } = await run(TURBO, ["run", "build", "--no-daemon"], { cwd: workspace, env, timeout: 60_000 });
  return stdout;
}

function forgetLocalState(): void {
  for (const path of [".turbo", "packages/a/dist", "packages/b/dist", "packages/a/.turbo", "packages/b/.turbo"]) rmSync(join(workspace, path), { recursive: true, force: true });
}

beforeAll(async () => {
  world = await startCacheAgentWorld({ agent: { protocols: ["turborepo"] } });
  workspace = mkdtempSync(join(tmpdir(), "turbo-workspace-"));
  cpSync(join(REPO_ROOT, "test", "fixtures", "cache-agent", "turbo-workspace"), workspace, { recursive: true });
});

afterAll(async () => {
  await world?.close();
  rmSync(workspace, { recursive: true, force: true });
});

describe("turbo with the agent as its remote cache", () => {
  it("runs every task the first time and uploads each to the agent", async () => {
    const out = await turboBuild();
    expect(out).toMatch(/Remote caching enabled/);
    expect(out).toMatch(/Cached:\s+0 cached, 2 total/);
    expect(readFileSync(join(workspace, "runs.log"), "utf8").split("\n").filter(Boolean).sort()).toEqual(["a", "b"]);
    expect(world.fn.entries.filter((e) => e.protocol === "turborepo")).toHaveLength(2);
  });

  it("replays every task from the agent the second time, with turbo's local cache gone", async () => {
    forgetLocalState();
    const out = await turboBuild();
    expect(out).toMatch(/Cached:\s+2 cached, 2 total/);
    expect(out).toMatch(/FULL TURBO/);
    // No task ran again: only the first run's two lines.
    expect(readFileSync(join(workspace, "runs.log"), "utf8").split("\n").filter(Boolean)).toHaveLength(2);
    expect(readFileSync(join(workspace, "packages", "a", "dist", "out.txt"), "utf8")).toBe("built a\n");
    expect(existsSync(join(workspace, "packages", "b", "dist", "out.txt"))).toBe(true);
  });
});
