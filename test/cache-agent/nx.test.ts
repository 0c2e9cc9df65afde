import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientEnvironment } from "../../cache-agent/index.js";
import { startCacheAgentWorld, type CacheAgentWorld } from "../helpers/cache-agent-world.js";
import { REPO_ROOT } from "../helpers/paths.js";

// The real nx 24.0.7 (its Rust HTTP remote cache client) in a two-project npm workspace, with the agent as
// its self-hosted remote cache (NX_SELF_HOSTED_REMOTE_CACHE_SERVER/_ACCESS_TOKEN). Offline: no Nx Cloud, no
// daemon. Its local cache (.nx) is removed between runs, so a second run can only be served by the agent.

const run = promisify(execFile);
let world: CacheAgentWorld;
let workspace: string;

async function nxBuild(): Promise<string> {
  const env = { ...process.env, ...clientEnvironment(world.agent.url, ["nx"]), NX_DAEMON: "false", NX_NO_CLOUD: "true", NX_TUI: "false", CI: "true", NO_COLOR: "1", FORCE_COLOR: "0" };
  const { stdout } = await run(join(workspace, "node_modules", ".bin", "nx"), ["run-many", "-t", "build"], { cwd: workspace, env, timeout: 90_000 });
  return stdout;
}

const runsLogged = () => readFileSync(join(workspace, "runs.log"), "utf8").split("\n").filter(Boolean);

beforeAll(async () => {
  world = await startCacheAgentWorld({ agent: { protocols: ["nx"] } });
  workspace = mkdtempSync(join(tmpdir(), "nx-workspace-"));
  cpSync(join(REPO_ROOT, "test", "fixtures", "cache-agent", "nx-workspace"), workspace, { recursive: true });
  symlinkSync(join(REPO_ROOT, "node_modules"), join(workspace, "node_modules"));
});

afterAll(async () => {
  await world?.close();
  rmSync(workspace, { recursive: true, force: true });
});

describe("nx with the agent as its self-hosted remote cache", () => {
  it("runs both builds the first time and stores each in the agent", async () => {
    await nxBuild();
    expect(runsLogged().sort()).toEqual(["a", "b"]);
    expect(world.fn.entries.filter((e) => e.protocol === "nx")).toHaveLength(2);
  });

  it("restores both builds from the agent the second time, with the local cache gone", async () => {
    for (const path of [".nx", "packages/a/dist", "packages/b/dist"]) rmSync(join(workspace, path), { recursive: true, force: true });
    const out = await nxBuild();
    expect(out).toMatch(/remote cache/);
    expect(runsLogged()).toHaveLength(2);
    expect(readFileSync(join(workspace, "packages", "b", "dist", "out.txt"), "utf8")).toBe("built b\n");
  });
});
