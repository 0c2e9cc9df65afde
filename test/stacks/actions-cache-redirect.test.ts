import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  ACTIONS_CACHE_AGENT_URL_VAR,
  ACTIONS_CACHE_REDIRECT_CHECKED_RUNNERS,
  ACTIONS_CACHE_SERVICE_V2_VAR,
  ACTIONS_CACHE_URL_RENAMED,
  ACTIONS_CACHE_URL_VAR,
  ACTIONS_RESULTS_URL_RENAMED,
  ACTIONS_RESULTS_URL_VAR,
  RUNNER_WORKER_ASSEMBLY,
} from "../../contracts/actions-cache.js";
import { MINIMUM_RUNNER_VERSION } from "../../contracts/runner-binaries.js";
import { templatePath } from "../../stacks/templates/template-file.js";
import { REPO_ROOT, scratchDir } from "../helpers/paths.js";
import { shellcheck } from "../helpers/shellcheck.js";

// The redirect fragment run under bash on fixture runner directories. The assembly is a fixture of
// the part that matters: a .NET user-string heap entry is a length byte, the UTF-16LE characters and
// one flag byte, between other literals and arbitrary bytes (including NUL and newline bytes).

const SCRIPT = templatePath("actions-cache-redirect.sh");
const AGENT = "http://127.0.0.1:41230";

const userString = (text: string) => Buffer.concat([Buffer.from([text.length * 2 + 1]), Buffer.from(text, "utf16le"), Buffer.from([0])]);
const noise = (length: number) => Buffer.from(Array.from({ length }, (_, i) => (i * 37 + 11) % 256));

/** A worker assembly with `count` ACTIONS_RESULTS_URL literals beside the other ACTIONS_* ones the runner sets. */
function assembly(count: number, name = ACTIONS_RESULTS_URL_VAR): Buffer {
  const parts = [noise(4096), userString("ACTIONS_RUNTIME_URL"), userString(ACTIONS_CACHE_URL_VAR), userString("ResultsServiceUrl")];
  for (let i = 0; i < count; i += 1) parts.push(noise(257), userString(name));
  parts.push(userString(ACTIONS_CACHE_SERVICE_V2_VAR), noise(2048));
  return Buffer.concat(parts);
}

function runnerDir(dll: Buffer | undefined, env = ""): string {
  const dir = scratchDir("actions-cache-redirect");
  mkdirSync(join(dir, "bin"));
  if (dll) writeFileSync(join(dir, RUNNER_WORKER_ASSEMBLY), dll);
  if (dll) chmodSync(join(dir, RUNNER_WORKER_ASSEMBLY), 0o744);
  if (env) writeFileSync(join(dir, ".env"), env);
  return dir;
}

/** As a bootstrap runs it: sourced under set -euo pipefail, then called. */
function redirect(dir: string, url = AGENT, ...apiUrl: string[]) {
  const result = spawnSync("bash", ["-c", `set -euo pipefail; source '${SCRIPT}'; actions_cache_redirect "$@"`, "redirect", dir, url, ...apiUrl], { encoding: "utf8" });
  return { status: result.status, stdout: result.stdout.trim(), stderr: result.stderr };
}

const envOf = (dir: string) => readFileSync(join(dir, ".env"), "utf8");
const dllOf = (dir: string) => readFileSync(join(dir, RUNNER_WORKER_ASSEMBLY));

describe("the Actions cache redirect (stacks/templates/actions-cache-redirect.sh)", () => {
  it("passes shellcheck", () => {
    expect(shellcheck(readFileSync(SCRIPT, "utf8"))).toEqual({ status: 0, output: "" });
  });

  it("renames the one ACTIONS_RESULTS_URL literal in place and points .env at the agent", () => {
    const before = assembly(1);
    const dir = runnerDir(before, "LANG=C.UTF-8\n");
    const result = redirect(dir);
    expect(result).toEqual({ status: 0, stdout: `actions cache redirect: node actions use ${AGENT}/`, stderr: "" });
    const after = dllOf(dir);
    // Only the literal changed, and only its one letter (U -> O): the assembly keeps every offset.
    expect(after.length).toBe(before.length);
    expect(after).toEqual(Buffer.from(before.toString("latin1").replace(userString(ACTIONS_RESULTS_URL_VAR).toString("latin1"), userString(ACTIONS_RESULTS_URL_RENAMED).toString("latin1")), "latin1"));
    expect(statSync(join(dir, RUNNER_WORKER_ASSEMBLY)).mode & 0o777).toBe(0o744);
    expect(envOf(dir)).toBe(`LANG=C.UTF-8\n${ACTIONS_CACHE_AGENT_URL_VAR}=${AGENT}/\n${ACTIONS_RESULTS_URL_VAR}=${AGENT}/\n${ACTIONS_CACHE_SERVICE_V2_VAR}=true\n`);
    expect(readdirSync(join(dir, "bin"))).toEqual(["Runner.Worker.dll"]);
  });

  it("is idempotent: an already patched runner (a baked image) is redirected again without a second patch or duplicate .env lines", () => {
    const dir = runnerDir(assembly(1));
    expect(redirect(dir).status).toBe(0);
    const patched = dllOf(dir);
    expect(redirect(dir, `${AGENT}/`).status).toBe(0);
    expect(dllOf(dir)).toEqual(patched);
    expect(envOf(dir).split("\n").filter((line) => line.startsWith(`${ACTIONS_RESULTS_URL_VAR}=`))).toEqual([`${ACTIONS_RESULTS_URL_VAR}=${AGENT}/`]);
  });

  it("replaces a value of ACTIONS_RESULTS_URL a pool's job environment put in .env, and drops the v1 service's variable", () => {
    const dir = runnerDir(assembly(1), `${ACTIONS_RESULTS_URL_VAR}=https://elsewhere.example/\nFOO=bar\n${ACTIONS_CACHE_URL_VAR}=${AGENT}/\n`);
    expect(redirect(dir).status).toBe(0);
    expect(envOf(dir)).toBe(`FOO=bar\n${ACTIONS_CACHE_AGENT_URL_VAR}=${AGENT}/\n${ACTIONS_RESULTS_URL_VAR}=${AGENT}/\n${ACTIONS_CACHE_SERVICE_V2_VAR}=true\n`);
  });

  it.each([
    ["has no ACTIONS_RESULTS_URL literal (a runner that reads it elsewhere)", assembly(0), "ACTIONS_RESULTS_URL 0 times and ACTIONS_RESULTS_ORL 0 times"],
    ["has it twice (a layout this kit has not checked)", assembly(2), "ACTIONS_RESULTS_URL 2 times and ACTIONS_RESULTS_ORL 0 times"],
    ["has both names", Buffer.concat([assembly(1), userString(ACTIONS_RESULTS_URL_RENAMED)]), "ACTIONS_RESULTS_URL 1 times and ACTIONS_RESULTS_ORL 1 times"],
  ])("fails when the assembly %s: the runner is left as it is and jobs keep GitHub's cache", (_, dll, reason) => {
    // What the agent's --print-env put in .env before: its Actions lines would claim a redirect.
    const dir = runnerDir(dll, `${ACTIONS_CACHE_SERVICE_V2_VAR}=true\n${ACTIONS_CACHE_URL_VAR}=${AGENT}/\n${ACTIONS_RESULTS_URL_VAR}=${AGENT}/\nTURBO_API=${AGENT}\n`);
    const result = redirect(dir);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(reason);
    expect(dllOf(dir)).toEqual(dll);
    // The drop-in action still finds the agent; nothing claims the runner's own variable is redirected.
    expect(envOf(dir)).toBe(`TURBO_API=${AGENT}\n${ACTIONS_CACHE_AGENT_URL_VAR}=${AGENT}/\n`);
  });

  it("redirects for github.com's API URL, given with or without a trailing slash", () => {
    expect(redirect(runnerDir(assembly(1)), AGENT, "https://api.github.com").status).toBe(0);
    expect(redirect(runnerDir(assembly(1)), AGENT, "https://api.github.com/").status).toBe(0);
  });

  it("on GitHub Enterprise Server, renames ACTIONS_CACHE_URL instead (the client speaks cache v1 there) and leaves the results service alone", () => {
    const before = assembly(1);
    const dir = runnerDir(before, `${ACTIONS_CACHE_SERVICE_V2_VAR}=true\n${ACTIONS_RESULTS_URL_VAR}=${AGENT}/\n`);
    expect(redirect(dir, AGENT, "https://github.example.com/api/v3")).toMatchObject({ status: 0, stdout: `actions cache redirect: node actions use ${AGENT}/` });
    expect(dllOf(dir)).toEqual(Buffer.from(before.toString("latin1").replace(userString(ACTIONS_CACHE_URL_VAR).toString("latin1"), userString(ACTIONS_CACHE_URL_RENAMED).toString("latin1")), "latin1"));
    expect(envOf(dir)).toBe(`${ACTIONS_CACHE_AGENT_URL_VAR}=${AGENT}/\n${ACTIONS_CACHE_URL_VAR}=${AGENT}/\n`);
  });

  it("fails for GHE.com (the agent does not know the tenant's results service): the assembly stays as it is", () => {
    const dll = assembly(1);
    const dir = runnerDir(dll);
    const result = redirect(dir, AGENT, "https://api.octo.ghe.com");
    expect(result).toMatchObject({ status: 1, stdout: "actions cache redirect: https://api.octo.ghe.com is GHE.com; jobs use its cache" });
    expect(dllOf(dir)).toEqual(dll);
    expect(envOf(dir)).toBe(`${ACTIONS_CACHE_AGENT_URL_VAR}=${AGENT}/\n`);
  });

  it("fails when the runner has no worker assembly, writing only the agent URL", () => {
    const dir = runnerDir(undefined);
    const result = redirect(dir);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/no .*Runner\.Worker\.dll; jobs use GitHub's cache/);
    expect(envOf(dir)).toBe(`${ACTIONS_CACHE_AGENT_URL_VAR}=${AGENT}/\n`);
  });

  it("can be sourced by a bootstrap under set -euo pipefail without ending it when it refuses", () => {
    const dir = runnerDir(assembly(2));
    const script = `set -euo pipefail\nsource '${SCRIPT}'\nif actions_cache_redirect '${dir}' '${AGENT}'; then echo redirected; else echo kept; fi\necho still-running`;
    const result = spawnSync("bash", ["-c", script], { encoding: "utf8" });
    expect(result.status).toBe(0);
    expect(result.stdout.trim().split("\n").slice(-2)).toEqual(["kept", "still-running"]);
  });

  it("uses the contract's names", () => {
    const text = readFileSync(SCRIPT, "utf8");
    for (const name of [ACTIONS_CACHE_AGENT_URL_VAR, ACTIONS_RESULTS_URL_VAR, ACTIONS_RESULTS_URL_RENAMED, ACTIONS_CACHE_URL_VAR, ACTIONS_CACHE_URL_RENAMED, ACTIONS_CACHE_SERVICE_V2_VAR, RUNNER_WORKER_ASSEMBLY]) {
      expect(text).toContain(name);
    }
  });

  it("was checked from the oldest runner GitHub registers on, and the docs list every checked release", () => {
    // When MINIMUM_RUNNER_VERSION moves, the list (and the source check behind it) is revisited.
    expect(ACTIONS_CACHE_REDIRECT_CHECKED_RUNNERS[0]).toBe(MINIMUM_RUNNER_VERSION);
    const docs = readFileSync(join(REPO_ROOT, "docs", "build-cache-actions.md"), "utf8");
    for (const version of ACTIONS_CACHE_REDIRECT_CHECKED_RUNNERS) expect(docs).toContain(version);
  });
});
