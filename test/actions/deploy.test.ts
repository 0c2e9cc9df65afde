import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LoopbackGitHub } from "../helpers/loopback-github.js";
import { scratchDir } from "../helpers/paths.js";
import { runAction } from "./action-run.js";

// The deploy Action's committed bundle, run with INPUT_* variables against a stub `terraform` that
// records its arguments and answers like Terraform (plan's exit code and output JSON are scripted).
const STUB = `#!/usr/bin/env bash
printf '%s\\n' "$*" >> "$STUB_LOG"
case "$1" in
  init) echo "Terraform has been successfully initialized!"; exit "\${STUB_INIT_EXIT:-0}" ;;
  plan) echo "Plan: 1 to add, 0 to change, 0 to destroy."; exit "\${STUB_PLAN_EXIT:-2}" ;;
  apply) echo "Apply complete! Resources: 1 added, 0 changed, 0 destroyed."; exit "\${STUB_APPLY_EXIT:-0}" ;;
  output) if [ -n "\${STUB_OUTPUT_JSON:-}" ]; then printf '%s' "$STUB_OUTPUT_JSON"; else echo "No state." >&2; exit 1; fi ;;
esac
`;
const OUTPUTS = JSON.stringify({ webhook_url: { sensitive: false, type: "string", value: "https://abc123.execute-api.eu-west-1.amazonaws.com/webhook" } });

const github = new LoopbackGitHub();
let apiUrl: string;
let workspace: string;
let bin: string;
let runs = 0;

/** An environment as GitHub's REST API describes it (checked against the OpenAPI description by the double). */
const environmentAnswer = (name: string, rules: unknown[]) => ({
  id: 161088068,
  node_id: "MDExOkVudmlyb25tZW50MTYxMDg4MDY4",
  name,
  url: `https://api.github.com/repos/acme/infra/environments/${name}`,
  html_url: `https://github.com/acme/infra/deployments/activity_log?environments_filter=${name}`,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
  protection_rules: rules,
  deployment_branch_policy: null,
});

beforeAll(async () => {
  apiUrl = await github
    .on("GET /repos/acme/infra/environments/prod", () => [200, environmentAnswer("prod", [{ id: 3736, node_id: "MDQ6R2F0ZTM3MzY=", type: "required_reviewers", prevent_self_review: false, reviewers: [] }])])
    .on("GET /repos/acme/infra/environments/staging", () => [200, environmentAnswer("staging", [])])
    .start();
  const dir = scratchDir("deploy-action");
  workspace = join(dir, "workspace");
  bin = join(dir, "bin");
  mkdirSync(join(workspace, "envs", "dev"), { recursive: true });
  writeFileSync(join(workspace, "envs", "dev", "dev.tfvars"), 'github_app_id = "1"\n');
  mkdirSync(bin);
  writeFileSync(join(bin, "terraform"), STUB);
  chmodSync(join(bin, "terraform"), 0o755);
  writeFileSync(join(dir, "push.json"), JSON.stringify({ ref: "refs/heads/main", repository: { full_name: "acme/infra", default_branch: "main" } }));
});
afterAll(() => github.stop());

async function deploy(inputs: Record<string, string>, env: Record<string, string> = {}) {
  const log = join(workspace, `terraform-${(runs += 1)}.log`);
  writeFileSync(log, "");
  const run = await runAction("deploy", { "working-directory": "envs/dev", ...inputs }, {
    PATH: `${bin}:${process.env.PATH ?? ""}`,
    GITHUB_WORKSPACE: workspace,
    GITHUB_EVENT_PATH: join(workspace, "..", "push.json"),
    GITHUB_REPOSITORY: "acme/infra",
    GITHUB_API_URL: apiUrl,
    GITHUB_REF: "refs/heads/main",
    STUB_LOG: log,
    STUB_OUTPUT_JSON: OUTPUTS,
    ...env,
  });
  const commands = readFileSync(log, "utf8").split("\n").filter((line) => line !== "");
  return { ...run, commands };
}

describe("actions/deploy (node dist/index.js with a stub terraform)", () => {
  it("on a pull request: init with each backend setting, plan with the variables file, no apply, outputs the webhook URL", async () => {
    const run = await deploy({ "var-file": "dev.tfvars", "backend-config": "bucket=acme-state\nkey=runners/dev.tfstate\n" }, { GITHUB_REF: "refs/pull/7/merge" });
    expect(run.status, run.stdout).toBe(0);
    expect(run.commands).toEqual([
      "init -input=false -backend-config=bucket=acme-state -backend-config=key=runners/dev.tfstate",
      "plan -input=false -detailed-exitcode -out=tfplan -var-file=dev.tfvars",
      "output -json",
    ]);
    expect(run.outputs).toMatchObject({ "plan-exitcode": "2", applied: "false", webhook_url: "https://abc123.execute-api.eu-west-1.amazonaws.com/webhook" });
    expect(run.outputs["plan-file"]).toBe(join(workspace, "envs", "dev", "tfplan"));
    expect(run.stdout).toContain("Not applying: plan only: refs/pull/7/merge is not refs/heads/main and no environment is given.");
    expect(run.summary).toContain("changes planned, not applied");
  });

  it("on the default branch: applies the saved plan", async () => {
    const run = await deploy({});
    expect(run.status, run.stdout).toBe(0);
    expect(run.commands).toEqual(["init -input=false", "plan -input=false -detailed-exitcode -out=tfplan", "apply -input=false -auto-approve tfplan", "output -json"]);
    expect(run.outputs).toMatchObject({ "plan-exitcode": "2", applied: "true" });
    expect(run.summary).toContain("changes applied");
    expect(run.summary).toContain("Webhook URL: https://abc123.execute-api.eu-west-1.amazonaws.com/webhook");
  });

  it("applies nothing when the plan has no changes, and asks GitHub nothing", async () => {
    const before = github.calls().length;
    const run = await deploy({ environment: "prod" }, { STUB_PLAN_EXIT: "0" });
    expect(github.calls()).toHaveLength(before);
    expect(run.status).toBe(0);
    expect(run.commands.some((c) => c.startsWith("apply"))).toBe(false);
    expect(run.outputs).toMatchObject({ "plan-exitcode": "0", applied: "false" });
  });

  it("fails when the plan fails, with an error annotation, the exit code as output and no apply", async () => {
    const run = await deploy({}, { STUB_PLAN_EXIT: "1" });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain("::error::terraform plan failed (exit 1)");
    expect(run.outputs).toMatchObject({ "plan-exitcode": "1", applied: "false" });
    expect(run.commands.some((c) => c.startsWith("apply"))).toBe(false);
  });

  it("fails when init fails, before planning", async () => {
    const run = await deploy({}, { STUB_INIT_EXIT: "1" });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain("::error::terraform init failed (exit 1)");
    expect(run.commands).toEqual(["init -input=false"]);
  });

  it("fails when the apply fails", async () => {
    const run = await deploy({}, { STUB_APPLY_EXIT: "1" });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain("::error::terraform apply failed (exit 1)");
    expect(run.outputs.applied).toBe("false");
  });

  it("applies off the default branch only in an environment with protection rules, as GitHub's API reports them", async () => {
    const before = github.calls().length;
    const protectedRun = await deploy({ environment: "prod" }, { GITHUB_REF: "refs/heads/release" });
    expect(protectedRun.status, protectedRun.stdout).toBe(0);
    expect(protectedRun.outputs.applied).toBe("true");
    expect(protectedRun.stdout).toContain("Applying: environment prod is protected.");
    const openRun = await deploy({ environment: "staging" }, { GITHUB_REF: "refs/heads/release" });
    expect(openRun.outputs.applied).toBe("false");
    expect(openRun.stdout).toContain("environment staging has no protection rules");
    expect(github.calls().slice(before)).toEqual(["GET /repos/acme/infra/environments/prod", "GET /repos/acme/infra/environments/staging"]);
  });

  it("plans only for an environment GitHub does not know (404)", async () => {
    const run = await deploy({ environment: "nowhere" }, { GITHUB_REF: "refs/heads/release" });
    expect(run.status).toBe(0);
    expect(run.outputs.applied).toBe("false");
    expect(github.calls()).toContain("GET /repos/acme/infra/environments/nowhere");
  });

  it("fails with a permissions hint when GitHub refuses to describe the environment (403)", async () => {
    // GitHub's OpenAPI description lists no 403 for this operation, so a plain server answers it.
    const server = createServer((_req, res) => {
      res.writeHead(403, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: "Resource not accessible by integration" }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const run = await deploy({ environment: "prod" }, { GITHUB_REF: "refs/heads/release", GITHUB_API_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
      expect(run.status).toBe(1);
      expect(run.stdout).toContain("::error::could not read environment prod: GitHub answered 403 (give the job `permissions: actions: read`, or pass github-token)");
      expect(run.commands.some((c) => c.startsWith("apply"))).toBe(false);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("follows apply true and false whatever the branch", async () => {
    expect((await deploy({ apply: "false" })).outputs.applied).toBe("false");
    expect((await deploy({ apply: "true" }, { GITHUB_REF: "refs/pull/7/merge" })).outputs.applied).toBe("true");
  });

  it("fails before running terraform when an input is wrong", async () => {
    const badApply = await deploy({ apply: "yes" });
    expect(badApply.status).toBe(1);
    expect(badApply.stdout).toContain('::error::apply must be auto, true or false, got "yes"');
    const badVarFile = await deploy({ "var-file": "prod.tfvars" });
    expect(badVarFile.stdout).toMatch(/::error::var-file prod.tfvars does not exist in .*envs\/dev/);
    expect([...badApply.commands, ...badVarFile.commands]).toEqual([]);
  });

  it("leaves the webhook URL empty before the first apply (no state, terraform output fails)", async () => {
    const run = await deploy({}, { STUB_OUTPUT_JSON: "", GITHUB_REF: "refs/pull/7/merge" });
    expect(run.status).toBe(0);
    expect(run.outputs.webhook_url).toBe("");
  });

  it("fails with an install hint when terraform is not on PATH", async () => {
    const run = await deploy({}, { PATH: "/nonexistent" });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain("could not run terraform");
  });
});
