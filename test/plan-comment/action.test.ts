import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ACTION_BUNDLE, bundle } from "../../scripts/build-plan-comment.js";
import { markerFor } from "../../tools/plan-comment/render.js";
import { REPO_ROOT, scratchDir } from "../helpers/paths.js";
import { planFixture, type PlanCase } from "./fixtures.js";
import { BOT, OWNER, PR, PullRequestComments, REPO } from "./github-double.js";

// Async, so the loopback double in this process keeps answering while the child runs.
const run = promisify(execFile);

/** A stack directory as the plan step writes it: tfplan.json, plan.txt, plan.exitcode. */
function stackDir(root: string, name: PlanCase): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const fixture = planFixture(name);
  if (fixture.json !== undefined) writeFileSync(join(dir, "tfplan.json"), fixture.json);
  writeFileSync(join(dir, "plan.txt"), fixture.text);
  writeFileSync(join(dir, "plan.exitcode"), `${fixture.exitCode}\n`);
  return dir;
}

async function runAction(env: Record<string, string>): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, [join(REPO_ROOT, ACTION_BUNDLE)], { env: { PATH: process.env.PATH ?? "", ...env } });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? "" };
  }
}

describe("actions/plan-comment", () => {
  it("commits dist/index.js exactly as esbuild bundles it now (run npm run build:plan-comment)", async () => {
    expect(readFileSync(join(REPO_ROOT, ACTION_BUNDLE), "utf8")).toBe(await bundle("tools/plan-comment/action-main.ts"));
  });

  it("declares a node20 JavaScript action running dist/index.js, with the inputs the entry reads", () => {
    const yml = readFileSync(join(REPO_ROOT, "actions", "plan-comment", "action.yml"), "utf8");
    expect(yml).toMatch(/runs:\n {2}using: node20\n {2}main: dist\/index\.js\n/);
    const declared = [...yml.matchAll(/^ {2}([a-z-]+):\n {4}description:/gm)].map((match) => match[1]);
    const read = [...readFileSync(join(REPO_ROOT, "tools", "plan-comment", "action.ts"), "utf8").matchAll(/\["([a-z-]+)", "--|(?:lines|input)\(env, "([a-z-]+)"\)/g)].map((m) => m[1] ?? m[2]);
    expect(new Set(read)).toEqual(new Set(declared.filter((name) => name !== "comment-urls")));
  });

  describe("run with INPUT_* variables against the GitHub double", () => {
    let double: PullRequestComments;
    let env: Record<string, string>;
    let dir: string;

    beforeEach(async () => {
      double = new PullRequestComments();
      const apiUrl = await double.github.start();
      dir = scratchDir("plan-comment-action");
      const event = join(dir, "event.json");
      writeFileSync(event, JSON.stringify({ action: "synchronize", pull_request: { number: PR } }));
      env = {
        GITHUB_API_URL: apiUrl,
        GITHUB_SERVER_URL: "https://github.com",
        GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
        GITHUB_RUN_ID: "4242",
        GITHUB_EVENT_PATH: event,
        GITHUB_OUTPUT: join(dir, "output"),
        "INPUT_GITHUB-TOKEN": "ghs_actiontoken",
        "INPUT_COMMENT-AUTHOR": BOT,
        "INPUT_COMMENT-ON-NO-CHANGES": "false",
        INPUT_MASK: "\\b\\d{12}\\b\n",
        INPUT_STACKS: `dev=${stackDir(dir, "destroy-many")}\nprod=${stackDir(dir, "module-failed")}\nstaging=${stackDir(dir, "no-op")}\n`,
      };
    });
    afterEach(async () => {
      await double.github.stop();
    });

    it("comments once per stack with changes or errors, and updates those comments on the next run", async () => {
      double.add("a reviewer's note", "octocat");
      const first = await runAction(env);
      expect(first.code, first.stdout).toBe(0);
      const ours = () => double.comments.filter((comment) => comment.login === BOT);
      expect(ours().map((comment) => comment.body.split("\n")[0])).toEqual([markerFor("dev"), markerFor("prod")]);
      expect(ours()[0]!.body).toContain("**37 to destroy**");
      expect(ours()[1]!.body).toContain("Error: reading STS Caller Identity");
      expect(first.stdout).toContain("staging: no changes, no comment yet: none created");

      const second = await runAction(env);
      expect(second.code, second.stdout).toBe(0);
      expect(ours()).toHaveLength(2);
      expect(double.comments).toHaveLength(3);
      expect(double.comments[0]!.body).toBe("a reviewer's note");
      const patches = double.writes().filter((call) => call.startsWith("PATCH"));
      expect(patches).toHaveLength(2);
      const outputs = readFileSync(env.GITHUB_OUTPUT!, "utf8").trim().split("\n");
      expect(outputs.at(-1)).toBe(`comment-urls=${JSON.stringify(ours().map((c) => `https://github.com/${OWNER}/${REPO}/pull/${PR}#issuecomment-${c.id}`))}`);
    });

    it("fails with an error annotation when the token may not comment (403)", async () => {
      double.fail(`POST /repos/${OWNER}/${REPO}/issues/${PR}/comments`, 403, "Resource not accessible by integration");
      const result = await runAction(env);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/::error title=plan-comment::GitHub refused \(403\) to comment on acme\/infra#7/);
    });
  });
});

describe("the plan-comment bin", () => {
  const tsx = join(REPO_ROOT, "node_modules", ".bin", "tsx");
  const cli = join(REPO_ROOT, "tools", "plan-comment", "cli.ts");

  it("prints the comment of a saved plan with --dry-run", async () => {
    const dir = scratchDir("plan-comment-cli");
    const { stdout } = await run(tsx, [cli, "--dry-run", "--stack", `update=${stackDir(dir, "update")}`], { env: { PATH: process.env.PATH ?? "" } });
    expect(stdout).toContain(markerFor("update"));
    expect(stdout).toContain("**Plan:** 0 to add, 1 to change, 0 to destroy.");
  });

  it("fails with its usage (exit 2) when no stack is given", async () => {
    const failure = await run(tsx, [cli], { env: { PATH: process.env.PATH ?? "" } }).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 2 });
    expect((failure as { stderr: string }).stderr).toContain("give at least one --stack NAME=DIR");
  });
});
