import { execFileSync, spawnSync } from "node:child_process";
import { appendFileSync, cpSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { discoverRepo } from "../../tools/affected/discover.js";
import { REPO_ROOT, scratchDir } from "../helpers/paths.js";
import { runAction } from "../actions/action-run.js";

// Three environment roots share modules/shared (which calls modules/base and pins functions/'s bundle);
// bootstrap/ is a root of its own; cdktf/ is an app with two stacks.
const FIXTURE = join(REPO_ROOT, "test", "fixtures", "affected", "repo");
const BIN = join(REPO_ROOT, "actions", "affected", "dist", "index.js");
const PIN = "functions=modules/shared";

function bin(args: string[], cwd = FIXTURE) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", env: { PATH: process.env.PATH ?? "" } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
const affectedBy = (files: string[]) => {
  const result = bin(["--files", files.join(","), "--pin", PIN]);
  expect(result.status, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { include: Array<{ root: string; stack: string }> }).include.map((t) => (t.root === t.stack ? t.root : `${t.root}:${t.stack}`));
};

describe("discoverRepo on the fixture repository", () => {
  it("finds the Terraform directories, their local module calls (commented-out calls and registry sources left out) and the CDKTF app", () => {
    const graph = discoverRepo(FIXTURE);
    expect(graph.terraform.map((t) => [t.dir, t.modules])).toEqual([
      ["bootstrap", []],
      ["envs/dev", ["modules/shared"]],
      ["envs/prod", ["modules/shared"]],
      ["envs/sandbox", ["modules/shared"]],
      ["modules/base", []],
      ["modules/shared", ["modules/base"]],
    ]);
    expect(graph.cdktf).toEqual([{ dir: "cdktf", inputs: ["cdktf/main.ts", "cdktf/stacks/runner-stack.ts", "cdktf/stacks/tags.ts"], stacks: ["ci-dev", "ci-prod"] }]);
  });
});

describe("self-runners-affected (the committed bundle) on sample changes", () => {
  it("plans the three environments when the shared module, the module it calls, or a pinned Lambda source changes", () => {
    const envs = ["envs/dev", "envs/prod", "envs/sandbox"];
    expect(affectedBy(["modules/shared/main.tf"])).toEqual(envs);
    expect(affectedBy(["modules/base/main.tf"])).toEqual(envs);
    expect(affectedBy(["functions/scale/handler.ts"])).toEqual(envs);
  });

  it("plans one root for its own files, sub-folders included", () => {
    expect(affectedBy(["envs/prod/templates/user-data.sh"])).toEqual(["envs/prod"]);
    expect(affectedBy(["bootstrap/main.tf"])).toEqual(["bootstrap"]);
  });

  it("plans every stack of the CDKTF app when a file it imports changes, and nothing for a file it does not import", () => {
    expect(affectedBy(["cdktf/stacks/tags.ts"])).toEqual(["cdktf:ci-dev", "cdktf:ci-prod"]);
    expect(affectedBy(["cdktf/README.md", "docs/anything.md"])).toEqual([]);
  });

  it("prints the summary instead of the matrix with --summary", () => {
    const result = bin(["--files", "modules/base/main.tf", "--summary"]);
    expect(result.stdout).toContain("### Affected: 3 of 6 roots and stacks (1 changed file)");
    expect(result.stdout).toContain("| `envs/dev` | calls modules/base (modules/base/main.tf) |");
  });

  it("fails with its usage when given neither --base nor --files, or a malformed pin", () => {
    for (const args of [[], ["--files", "a", "--pin", "functions"], ["--nope"]]) {
      const result = bin(args);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain("usage: self-runners-affected");
    }
  });
});

describe("self-runners-affected on a git history (--base/--head)", () => {
  let repo: string;
  const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, encoding: "utf8" });
  // Whatever the machine's git configuration says about identity and signing.
  const commit = (message: string) => git("-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false", "commit", "-q", "-m", message);

  beforeAll(() => {
    repo = join(scratchDir("affected-git"), "repo");
    cpSync(FIXTURE, repo, { recursive: true });
    git("init", "-q", "-b", "main");
    git("add", "-A");
    commit("fixture");
    git("checkout", "-q", "-b", "change");
    appendFileSync(join(repo, "bootstrap", "main.tf"), "\n# touched\n");
    // A file moved from one root to another counts for both.
    renameSync(join(repo, "envs", "prod", "templates", "user-data.sh"), join(repo, "envs", "sandbox", "user-data.sh"));
    git("add", "-A");
    commit("change");
    // A later commit on main must not count: base...head diffs from where the branch left main.
    git("checkout", "-q", "main");
    writeFileSync(join(repo, "modules", "base", "extra.tf"), "# on main only\n");
    git("add", "-A");
    commit("main moves on");
    git("checkout", "-q", "change");
  });

  it("plans the roots the branch changed since it left the base, a moved file counting for both roots", () => {
    const result = bin(["--base", "main", "--head", "HEAD"], repo);
    expect(result.status, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as { include: Array<{ root: string }> }).include.map((t) => t.root)).toEqual(["bootstrap", "envs/prod", "envs/sandbox"]);
  });

  it("runs as an Action: inputs in, matrix, count and summary out", async () => {
    const run = await runAction("affected", { base: "main", head: "HEAD", pins: `${PIN}\n`, "working-directory": repo });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(JSON.parse(run.outputs.matrix!)).toEqual({
      include: [
        { root: "bootstrap", stack: "bootstrap", kind: "terraform" },
        { root: "envs/prod", stack: "envs/prod", kind: "terraform" },
        { root: "envs/sandbox", stack: "envs/sandbox", kind: "terraform" },
      ],
    });
    expect(run.outputs.count).toBe("3");
    expect(run.summary).toContain("| `envs/sandbox` | changed: envs/sandbox/user-data.sh |");
  });

  it("fails as an Action with an error annotation when the base is unknown", async () => {
    const run = await runAction("affected", { base: "no-such-ref", "working-directory": repo });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^::error::.*no-such-ref/m);
  });
});
