/**
 * The fixture monorepo (test/fixtures/monorepo: five packages, build and test tasks) driven by the real
 * `turbo` binary the way ephemeral runners see it: every run is a fresh clone with no local cache, so
 * whatever turbo does not execute came from the remote cache. Shared by the monorepo test and the
 * build-cache benchmark.
 */
import { spawn, spawnSync } from "node:child_process";
import { cpSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, scratchDir } from "./paths.js";

export const MONOREPO_FIXTURE = join(REPO_ROOT, "test", "fixtures", "monorepo");
export const TURBO_BIN = join(REPO_ROOT, "node_modules", "turbo", "bin", "turbo");
/** The fixture's packages, in dependency order. */
export const MONOREPO_PACKAGES = ["utils", "config", "core", "api", "web"] as const;

const GIT_IDENTITY = ["-c", "user.email=fixture@example.com", "-c", "user.name=fixture"];

function git(cwd: string, ...args: string[]): string {
  const result = spawnSync("git", [...GIT_IDENTITY, ...args], { cwd, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`git ${args.join(" ")} failed in ${cwd}: ${result.stderr}`);
  return result.stdout.trim();
}

/** A git repository holding the fixture on `main`: the "GitHub" every run clones. */
export function createOrigin(): string {
  const origin = scratchDir("monorepo-origin");
  cpSync(MONOREPO_FIXTURE, origin, { recursive: true });
  git(origin, "init", "-q", "-b", "main");
  git(origin, "add", "-A");
  git(origin, "commit", "-q", "-m", "fixture");
  return origin;
}

/** Commits a change to one package's source on `branch` (created from main), as a pull request would. */
export function changePackage(origin: string, pkg: (typeof MONOREPO_PACKAGES)[number], branch: string): void {
  git(origin, "checkout", "-q", "-B", branch, "main");
  const file = join(origin, "packages", pkg, "src", "index.js");
  writeFileSync(file, `${readFileSync(file, "utf8")}export const changed = ${JSON.stringify(branch)};\n`);
  git(origin, "commit", "-q", "-am", `change ${pkg}`);
  git(origin, "checkout", "-q", "main");
}

/** A fresh clone of `ref` (an ephemeral runner's checkout, with history for --affected). */
export function freshCheckout(origin: string, ref: string): string {
  const dir = scratchDir("monorepo-run");
  git(dir, "clone", "-q", "--no-local", origin, ".");
  git(dir, "checkout", "-q", ref);
  if (ref !== "main") git(dir, "branch", "-q", "-f", "main", "origin/main");
  return dir;
}

export interface TurboRun {
  readonly status: number;
  readonly output: string;
  readonly tasks: number;
  /** Tasks turbo ran (cache MISS). */
  readonly executed: readonly string[];
  /** Tasks restored from the cache (HIT). */
  readonly cached: readonly string[];
  readonly wallMs: number;
}

interface RunSummary {
  readonly tasks: readonly { readonly taskId: string; readonly cache: { readonly status: "HIT" | "MISS" } }[];
}

/**
 * `turbo run <args> --summarize` in `dir` with the remote cache at `api` (the agent's loopback URL),
 * asynchronously (the agent may serve from this process). Local cache off: a runner starts empty.
 */
export async function runTurbo(dir: string, args: readonly string[], remote: { api: string; token: string; team: string }, env: NodeJS.ProcessEnv = {}): Promise<TurboRun> {
  const started = performance.now();
  const child = spawn(TURBO_BIN, ["run", ...args, "--summarize", "--cache=remote:rw", "--output-logs=errors-only"], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      TURBO_API: remote.api,
      TURBO_TOKEN: remote.token,
      TURBO_TEAM: remote.team,
      TURBO_TELEMETRY_DISABLED: "1",
      TURBO_NO_UPDATE_NOTIFIER: "1",
      DO_NOT_TRACK: "1",
      ...env,
    },
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const status = await new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? 1)));
  const wallMs = performance.now() - started;
  const runs = join(dir, ".turbo", "runs");
  const summaryFile = readdirSync(runs).find((file) => file.endsWith(".json"));
  if (!summaryFile) throw new Error(`turbo wrote no run summary (status ${status}): ${output}`);
  const summary = JSON.parse(readFileSync(join(runs, summaryFile), "utf8")) as RunSummary;
  const ids = (status: "HIT" | "MISS") => summary.tasks.filter((task) => task.cache.status === status).map((task) => task.taskId).sort();
  return { status, output, tasks: summary.tasks.length, executed: ids("MISS"), cached: ids("HIT"), wallMs };
}

export interface MonorepoSequence {
  readonly first: TurboRun;
  readonly unchanged: TurboRun;
  readonly changedAll: TurboRun;
  readonly changedAffected: TurboRun;
  /** The checkout of the unchanged run (everything restored from the cache). */
  readonly unchangedDir: string;
}

/** The package the third run changes: mid-graph, so its dependents rebuild and its dependency does not. */
export const CHANGED_PACKAGE = "core";

/**
 * The measured sequence: a first run on main, a second with no change, then one package changed on a
 * branch, built in full and with `--affected` (against main). Each run is a fresh checkout.
 */
export async function runMonorepoSequence(remote: { api: string; token: string; team: string }): Promise<MonorepoSequence> {
  const origin = createOrigin();
  // Two branches with different changes to the same package, so neither run restores the other's outputs.
  changePackage(origin, CHANGED_PACKAGE, "change-all");
  changePackage(origin, CHANGED_PACKAGE, "change-affected");
  const tasks = ["build", "test"];
  const first = await runTurbo(freshCheckout(origin, "main"), tasks, remote);
  const unchangedDir = freshCheckout(origin, "main");
  const unchanged = await runTurbo(unchangedDir, tasks, remote);
  const changedAll = await runTurbo(freshCheckout(origin, "change-all"), tasks, remote);
  const changedAffected = await runTurbo(freshCheckout(origin, "change-affected"), [...tasks, "--affected"], remote, { TURBO_SCM_BASE: "main" });
  return { first, unchanged, changedAll, changedAffected, unchangedDir };
}
