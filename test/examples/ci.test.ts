import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/paths.js";
import { YamlSubsetError, parseYamlSubset } from "../helpers/yaml-subset.js";
import { EXCEPTIONS, RULES } from "../policy/rules.js";

// No YAML library is installed, so the example workflow is read with a block-YAML subset reader
// (test/helpers/yaml-subset.ts) and its shell steps are checked with `bash -n`. GitHub itself is not
// reachable from the tests: the actions' inputs are checked against what their documentation names.

interface Step {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, unknown>;
}

const WORKFLOW = join(REPO_ROOT, "examples", "ci", "github-actions-terraform.yml");
const workflow = parseYamlSubset(readFileSync(WORKFLOW, "utf8")) as {
  name: string;
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  env: Record<string, string>;
  jobs: Record<string, { "runs-on": string; steps: Step[]; defaults: { run: { "working-directory": string } } }>;
};
const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
const indexOf = (pattern: RegExp) => steps.findIndex((s) => pattern.test(s.run ?? "") || pattern.test(s.uses ?? ""));

describe("the YAML subset reader", () => {
  it("reads mappings, sequences of mappings and block scalars", () => {
    const text = "a: 1\nb:\n  - name: x\n    run: |\n      echo hi\n      echo there\n  - plain\nc: \"q\"\n";
    expect(parseYamlSubset(text)).toEqual({ a: 1, b: [{ name: "x", run: "echo hi\necho there\n" }, "plain"], c: "q" });
  });

  it("fails when the text uses flow collections or tabs", () => {
    expect(() => parseYamlSubset("a: [1, 2]\n")).toThrow(YamlSubsetError);
    expect(() => parseYamlSubset("a:\n\tb: 1\n")).toThrow(YamlSubsetError);
  });
});

describe("examples/ci/github-actions-terraform.yml", () => {
  it("runs on pull requests and pushes to main with read-only contents, OIDC and pull-request comments", () => {
    expect(Object.keys(workflow.on).sort()).toEqual(["pull_request", "push"]);
    expect(workflow.permissions).toEqual({ contents: "read", "id-token": "write", "pull-requests": "write" });
    expect(Object.values(workflow.jobs).every((job) => job["runs-on"] === "ubuntu-latest")).toBe(true);
  });

  it("pins every action to a major version", () => {
    const actions = steps.filter((s) => s.uses !== undefined).map((s) => s.uses!);
    expect(actions).toEqual([
      "actions/checkout@v4",
      "hashicorp/setup-terraform@v3",
      "aws-actions/configure-aws-credentials@v4",
      "bridgecrewio/checkov-action@v12",
      "your-org/self-runners/actions/plan-comment@v1",
    ]);
  });

  it("checks formatting, initializes, validates, plans, scans the plan with checkov, then comments, in that order", () => {
    const order = [/terraform fmt -check/, /terraform init/, /terraform validate/, /terraform plan .*-out=tfplan/, /checkov-action/, /actions\/plan-comment@/].map(indexOf);
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(steps[indexOf(/terraform plan/)]!.run).toContain("terraform show -json tfplan > tfplan.json");
  });

  it("scans the plan of the configured directory with checkov and fails on findings", () => {
    const checkov = steps[indexOf(/checkov-action/)]!.with!;
    const dir = workflow.jobs.plan!.defaults.run["working-directory"];
    expect(dir).toBe(workflow.env.WORKING_DIR);
    expect(checkov).toMatchObject({ file: `${dir}/tfplan.json`, framework: "terraform_plan", soft_fail: false });
  });

  it("skips exactly the checkov checks docs/security.md lists as exceptions for the default configuration", () => {
    const skipped = String(steps[indexOf(/checkov-action/)]!.with!.skip_check).split(",");
    // Exceptions that apply to every configuration or to the defaults; Lambda's VPC ENI actions
    // (CKV_AWS_290/CKV_AWS_355) apply only with lambda_subnet_ids and are left to users who set it.
    const vpcOnly = new Set(["iam-write-constrained", "iam-star-resource"]);
    const expected = new Set(
      EXCEPTIONS.filter((e) => !vpcOnly.has(e.rule) && (e.variants === undefined || e.variants.includes("defaults"))).flatMap((e) => RULES.find((r) => r.id === e.rule)!.checkov),
    );
    expect(new Set(skipped)).toEqual(expected);
    expect(skipped).toHaveLength(expected.size);
  });

  it("posts the plan with actions/plan-comment on pull requests, also after a failed plan, with inputs the Action declares", () => {
    const comment = steps[indexOf(/actions\/plan-comment@/)]!;
    expect(comment.if).toBe("always() && github.event_name == 'pull_request' && steps.plan.outcome != 'skipped'");
    const dir = workflow.jobs.plan!.defaults.run["working-directory"];
    expect(String(comment.with!.stacks).trim()).toBe(`${dir}=${dir}`);
    const action = readFileSync(join(REPO_ROOT, "actions", "plan-comment", "action.yml"), "utf8");
    const declared = [...action.matchAll(/^ {2}([a-z-]+):\n {4}description:/gm)].map((match) => match[1]);
    for (const input of Object.keys(comment.with!)) expect(declared).toContain(input);
    // The plan step leaves what the Action reads: text output, exit status, and the JSON when there is a plan.
    const plan = steps[indexOf(/terraform plan/)]!.run!;
    for (const file of ["> plan.txt", "> plan.exitcode", "> tfplan.json"]) expect(plan).toContain(file);
    expect(plan).toContain("-detailed-exitcode");
  });

  it("has shell steps bash can parse", () => {
    for (const step of steps.filter((s) => s.run !== undefined)) {
      const result = spawnSync("bash", ["-n"], { input: step.run, encoding: "utf8" });
      expect(result.stderr, step.name).toBe("");
      expect(result.status, step.name).toBe(0);
    }
  });

  it("is explained next to it, with the variables and role it needs", () => {
    const readme = readFileSync(join(REPO_ROOT, "examples", "ci", "README.md"), "utf8");
    for (const word of ["AWS_PLAN_ROLE_ARN", "AWS_REGION", "WORKING_DIR", "skip_check", "docs/security.md"]) expect(readme).toContain(word);
  });
});
