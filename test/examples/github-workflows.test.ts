import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/paths.js";
import { shellcheck } from "../helpers/shellcheck.js";
import { parseYamlSubset } from "../helpers/yaml-subset.js";

// The example workflows of examples/github-workflows/, read with the block-YAML subset reader (no YAML
// library is installed) and checked offline: pinned actions, this repository's Actions and their inputs,
// job order, and shell steps bash can parse. GitHub itself is not reachable from the tests.

interface Step {
  readonly name?: string;
  readonly id?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, unknown>;
}
interface Job {
  readonly needs?: string;
  readonly if?: string;
  readonly environment?: { name: string };
  readonly strategy?: { matrix: unknown };
  readonly steps: Step[];
}
interface Workflow {
  readonly on: Record<string, unknown>;
  readonly permissions: Record<string, string>;
  readonly jobs: Record<string, Job>;
}
interface ActionYml {
  readonly inputs: Record<string, { required?: boolean; default?: unknown }>;
  readonly outputs: Record<string, unknown>;
  readonly runs: { using: string; main: string };
}

const DIR = join(REPO_ROOT, "examples", "github-workflows");
const FILES = ["deploy.yml", "drift.yml", "monorepo-affected.yml", "pull-request.yml"];
const workflows = Object.fromEntries(FILES.map((file) => [file, parseYamlSubset(readFileSync(join(DIR, file), "utf8")) as Workflow]));
const stepsOf = (file: string) => Object.values(workflows[file]!.jobs).flatMap((job) => job.steps);
const allSteps = FILES.flatMap(stepsOf);
/** This repository's Actions, as users reference them from their copy (`your-org/self-runners/actions/<name>@v1`). */
const OWN_ACTION = /^your-org\/self-runners\/actions\/([a-z-]+)@v\d+$/;
/**
 * An action.yml's inputs (with required and default), outputs and runs, read line by line: action
 * metadata may use folded scalars (`>-`), which the YAML subset reader refuses.
 */
function actionYml(name: string): ActionYml {
  const action: { inputs: ActionYml["inputs"]; outputs: Record<string, unknown>; runs: Record<string, string> } = { inputs: {}, outputs: {}, runs: {} };
  let section = "";
  let current: { required?: boolean; default?: unknown } | undefined;
  for (const line of readFileSync(join(REPO_ROOT, "actions", name, "action.yml"), "utf8").split("\n")) {
    const top = /^([\w-]+):/.exec(line);
    const entry = /^ {2}([\w-]+):\s*(.*)$/.exec(line);
    const field = /^ {4}(required|default):\s*(.*)$/.exec(line);
    if (top) section = top[1]!;
    else if (entry && section === "inputs") action.inputs[entry[1]!] = current = {};
    else if (entry && section === "outputs") action.outputs[entry[1]!] = {};
    else if (entry && section === "runs") action.runs[entry[1]!] = entry[2]!;
    else if (field && section === "inputs" && current) {
      if (field[1] === "required") current.required = field[2] === "true";
      else current.default = field[2];
    }
  }
  return action as ActionYml;
}
/** Outputs used as steps.<id>.outputs.<name>, per step id. */
const outputsUsed = (file: string) => [...readFileSync(join(DIR, file), "utf8").matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)].map((m) => ({ id: m[1]!, output: m[2]! }));

describe("examples/github-workflows", () => {
  it("holds exactly the pull-request, deploy, drift and monorepo-affected workflows", () => {
    expect(readdirSync(DIR).filter((f) => f.endsWith(".yml") && !["release.yml"].includes(f)).sort()).toEqual(FILES);
  });

  it("pins other owners' actions to a major version tag, as examples/ci does", () => {
    const external = allSteps.map((s) => s.uses).filter((uses): uses is string => uses !== undefined && !OWN_ACTION.test(uses));
    expect(external.length).toBeGreaterThan(0);
    for (const uses of external) expect(uses).toMatch(/^[\w-]+\/[\w-]+@v\d+$/);
    expect(new Set(external)).toEqual(new Set(["actions/checkout@v4", "hashicorp/setup-terraform@v3", "actions/setup-node@v4", "aws-actions/configure-aws-credentials@v4", "bridgecrewio/checkov-action@v12"]));
  });

  it("keeps setup-terraform's wrapper off, so the Actions read terraform's own output and exit codes", () => {
    for (const step of allSteps.filter((s) => s.uses?.startsWith("hashicorp/setup-terraform"))) expect(step.with).toMatchObject({ terraform_wrapper: false });
  });

  const ownSteps = allSteps.filter((s) => s.uses !== undefined && OWN_ACTION.test(s.uses));
  const ownNames = [...new Set(ownSteps.map((s) => OWN_ACTION.exec(s.uses!)![1]!))].sort();
  it("references Actions of this repository", () => {
    expect(ownNames).toEqual(["affected", "deploy", "plan-comment"]);
  });

  for (const name of ownNames) {
    it(`passes actions/${name} only inputs its action.yml declares, every required one, and reads only outputs it declares`, () => {
      const action = actionYml(name);
      expect(action.runs).toEqual({ using: "node20", main: "dist/index.js" });
      expect(existsSync(join(REPO_ROOT, "actions", name, "dist", "index.js"))).toBe(true);
      const required = Object.entries(action.inputs).filter(([, input]) => input.required === true && input.default === undefined).map(([key]) => key);
      for (const step of ownSteps.filter((s) => s.uses!.includes(`/actions/${name}@`))) {
        const given = Object.keys(step.with ?? {});
        for (const key of given) expect(Object.keys(action.inputs), `${step.name}: input ${key}`).toContain(key);
        for (const key of required) expect(given, `${step.name}: required input ${key}`).toContain(key);
      }
      for (const file of FILES) {
        const ids = new Set(stepsOf(file).filter((s) => s.uses?.includes(`/actions/${name}@`)).map((s) => s.id));
        for (const use of outputsUsed(file).filter((u) => ids.has(u.id))) expect(Object.keys(action.outputs), `${file}: ${use.id}.${use.output}`).toContain(use.output);
      }
    });
  }

  it("has shell steps bash can parse and shellcheck accepts, with expressions passed through env, never spliced into a script", () => {
    const runs = allSteps.filter((s) => s.run !== undefined);
    expect(runs.length).toBeGreaterThan(3);
    for (const step of runs) {
      const result = spawnSync("bash", ["-n"], { input: step.run, encoding: "utf8" });
      expect(result.stderr, step.name).toBe("");
      expect(result.status, step.name).toBe(0);
      expect(shellcheck(step.run!), step.name).toEqual({ status: 0, output: "" });
      // A pull request's title or branch name inside ${{ }} would become shell code.
      expect(step.run, step.name).not.toContain("${{");
    }
  });
});

describe("pull-request.yml", () => {
  const workflow = workflows["pull-request.yml"]!;
  const plan = workflow.jobs.plan!;
  const index = (pattern: RegExp) => plan.steps.findIndex((s) => pattern.test(s.run ?? "") || pattern.test(s.uses ?? ""));

  it("runs on pull requests with read-only contents, OIDC and pull-request comments", () => {
    expect(Object.keys(workflow.on)).toEqual(["pull_request"]);
    expect(workflow.permissions).toEqual({ contents: "read", "id-token": "write", "pull-requests": "write" });
  });

  it("plans one matrix entry per affected root or stack, and skips the job when none is affected", () => {
    const affected = workflow.jobs.affected!.steps.find((s) => s.uses?.includes("/actions/affected@"))!;
    expect(affected.with).toMatchObject({ base: "${{ github.event.pull_request.base.sha }}", head: "${{ github.event.pull_request.head.sha }}" });
    expect(workflow.jobs.affected!.steps[0]!.with).toEqual({ "fetch-depth": 0 });
    expect(workflow.jobs.affected!.if).toBe("github.event.pull_request.head.repo.full_name == github.repository");
    expect(plan.needs).toBe("affected");
    expect(plan.if).toBe("needs.affected.outputs.count != '0'");
    expect(plan.strategy!.matrix).toBe("${{ fromJSON(needs.affected.outputs.matrix) }}");
  });

  it("checks formatting, initializes, validates, plans, comments, then scans the plan with checkov, in that order", () => {
    const order = [/terraform fmt -check/, /terraform init/, /terraform validate/, /terraform plan .*-detailed-exitcode.*-out=tfplan/, /actions\/plan-comment@/, /checkov-action@/].map(index);
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it("comments even when the plan failed, named by the matrix stack, then fails the job", () => {
    const comment = plan.steps[index(/actions\/plan-comment@/)]!;
    expect(comment.if).toBe("always() && steps.plan.outputs.exitcode != ''");
    expect(comment.with).toMatchObject({ name: "${{ matrix.stack }}", "exit-code": "${{ steps.plan.outputs.exitcode }}" });
    expect(plan.steps.at(-1)).toMatchObject({ if: "steps.plan.outputs.exitcode == '1'", run: "exit 1" });
  });

  it("skips the same checkov checks as examples/ci", () => {
    const ci = readFileSync(join(REPO_ROOT, "examples", "ci", "github-actions-terraform.yml"), "utf8");
    const checkov = plan.steps[index(/checkov-action@/)]!.with!;
    expect(ci).toContain(`skip_check: ${String(checkov.skip_check)}`);
    expect(checkov).toMatchObject({ framework: "terraform_plan", soft_fail: false });
  });
});

describe("deploy.yml", () => {
  const workflow = workflows["deploy.yml"]!;
  const deployStep = (job: string) => workflow.jobs[job]!.steps.find((s) => s.uses?.includes("/actions/deploy@"))!;

  it("runs on pushes to main (and by hand) and may read environments' protection rules", () => {
    expect(workflow.on).toEqual({ push: { branches: ["main"] }, workflow_dispatch: null });
    expect(workflow.permissions).toEqual({ contents: "read", "id-token": "write", actions: "read" });
  });

  it("deploys dev, then prod in its own environment after dev succeeded", () => {
    expect(Object.keys(workflow.jobs)).toEqual(["dev", "prod"]);
    expect(workflow.jobs.dev!.environment).toEqual({ name: "dev" });
    expect(workflow.jobs.prod!.environment).toEqual({ name: "prod" });
    expect(workflow.jobs.prod!.needs).toBe("dev");
  });

  it("leaves the apply decision to the Action (auto), with each environment's root, variables file and state key", () => {
    for (const env of ["dev", "prod"]) {
      const step = deployStep(env);
      expect(step.with).toMatchObject({ "working-directory": `infra/environments/${env}`, environment: env, "var-file": `${env}.tfvars` });
      expect(step.with!.apply).toBeUndefined();
      expect(String(step.with!["backend-config"])).toContain(`key=self-runners/${env}.tfstate\n`);
    }
  });
});

describe("drift.yml", () => {
  const workflow = workflows["drift.yml"]!;
  const job = workflow.jobs.drift!;
  const issueStep = job.steps.find((s) => s.run?.includes("gh issue"))!;

  it("runs on a schedule, plans every environment without a job environment, and never applies", () => {
    expect(workflow.on).toMatchObject({ schedule: [{ cron: "17 6 * * *" }] });
    expect(workflow.permissions).toEqual({ contents: "read", "id-token": "write", issues: "write" });
    expect(job.strategy!.matrix).toEqual({ environment: ["dev", "prod"] });
    expect(job.environment).toBeUndefined();
    expect(job.steps.find((s) => s.uses?.includes("/actions/deploy@"))!.with).toMatchObject({ apply: "false" });
  });

  it("opens or updates one issue per environment when the plan has changes, and closes it when clean", () => {
    expect(issueStep.env).toMatchObject({ PLAN_EXITCODE: "${{ steps.plan.outputs.plan-exitcode }}", PLAN_FILE: "${{ steps.plan.outputs.plan-file }}" });
    const run = issueStep.run!;
    expect(run).toContain('if [ "$PLAN_EXITCODE" = 2 ]; then');
    for (const command of ['gh issue edit "$number"', 'gh issue create --title "$title" --label drift', 'gh issue close "$number"']) expect(run).toContain(command);
    expect(run.indexOf("gh issue close")).toBeGreaterThan(run.indexOf('elif [ -n "$number" ]'));
  });
});

describe("monorepo-affected.yml", () => {
  const workflow = workflows["monorepo-affected.yml"]!;
  const steps = workflow.jobs.build!.steps;
  const text = readFileSync(join(DIR, "monorepo-affected.yml"), "utf8");

  it("runs on a self-hosted pool with full history, since --affected needs the merge base", () => {
    expect((workflow.jobs.build as unknown as { "runs-on": string[] })["runs-on"]).toContain("self-hosted");
    expect(steps[0]).toMatchObject({ uses: "actions/checkout@v4", with: { "fetch-depth": 0 } });
  });

  it("builds only affected packages on pull requests, against the pull request's base, and everything on main", () => {
    const affected = steps.find((s) => s.run?.includes("--affected"))!;
    expect(affected.run).toMatch(/^npx turbo run build test --affected/);
    expect(affected.if).toBe("github.event_name == 'pull_request'");
    expect(affected.env).toEqual({ TURBO_SCM_BASE: "${{ github.event.pull_request.base.sha }}" });
    const full = steps.find((s) => s.run?.startsWith("npx turbo run") && !s.run.includes("--affected"))!;
    expect(full.if).toBe("github.event_name != 'pull_request'");
  });

  it("names no cache endpoint or token: the runner's environment carries them", () => {
    expect(text).not.toMatch(/TURBO_(API|TOKEN|TEAM)\s*:/);
    expect(text).not.toContain("secrets.");
  });
});
