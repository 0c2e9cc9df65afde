import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MODULE_DIR } from "../../stacks/build-module.js";
import { REPO_ROOT } from "../helpers/paths.js";
import { TERRAFORM_TESTS_DIR, terraformTestFiles } from "../helpers/terraform-tests.js";
import { outputResources, runBlocks, runTargets, untargetedReferences } from "../helpers/tftest-runs.js";

// Under mock providers an `apply` run costs about three times a `plan` run (plan, apply, then the
// file's destroy) and checks nothing more: with `override_during = plan` the mocks' values are known
// at plan, so the assertions read the same values. The terraform tier is the longest part of
// `npm test`, so a run applies only when it must, and says why on the line after `run "…" {`.

const files = terraformTestFiles();

function read(file: string): string[] {
  return readFileSync(join(TERRAFORM_TESTS_DIR, file), "utf8").split("\n");
}

describe("terraform test runs plan unless they say why they apply", () => {
  it.each(files.map((f) => f.file))("%s: every `command = apply` follows a `# apply: <why>` line", (file) => {
    const lines = read(file);
    const unexplained = lines.flatMap((line, i) => (/^\s*command\s*=\s*apply\s*$/.test(line) && !/^\s*# apply: \S/.test(lines[i - 1] ?? "") ? [`line ${i + 1}`] : []));
    expect(unexplained, "apply runs without a `# apply: <why>` comment on the line before").toEqual([]);
  });

  it.each(files.map((f) => f.file))("%s: mocks come at plan in a plan-only file, at apply in a file that applies", (file) => {
    const lines = read(file);
    const applies = lines.some((line) => /^\s*command\s*=\s*apply\s*$/.test(line));
    const blocks = lines.flatMap((line, i) =>
      /^\s*(mock_provider "aws"|override_resource|override_data|override_module)\s*\{\s*$/.test(line)
        ? [{ at: `line ${i + 1}: ${line.trim()}`, atPlan: /override_during\s*=\s*plan/.test(lines.slice(i + 1, i + 4).join("\n")) }]
        : [],
    );
    // A file that applies with values mocked at plan fails with "Provider produced inconsistent final
    // plan" (the mock draws new values at apply), so its apply runs live in a `*-apply.tftest.hcl` file.
    expect(blocks.filter((b) => b.atPlan === applies).map((b) => b.at), applies ? "apply file: no override_during = plan" : "plan file: override_during = plan").toEqual([]);
  });

  it("the check sees the files' blocks (a file without a mock provider would be skipped silently)", () => {
    for (const { file } of files) expect(read(file).some((l) => /^mock_provider "aws" \{/.test(l)), file).toBe(true);
  });

  it.each(files.map((f) => f.file))("%s: a run that expects only refusals plans no more of the module than they need", (file) => {
    // A run expecting an input's validation error plans every resource the input does not reach
    // (about 3 s of CPU under mocks) for nothing; a refresh-only plan evaluates the same validation
    // alone (about 0.5 s). A run expecting a resource's precondition error needs only that resource
    // and what it depends on: it targets them. Either way terraform fails the run when the expected
    // error does not come, so a run cannot pass by planning too little.
    const wrong = runBlocks(read(file)).flatMap(({ name, text }) => {
      const expected = /expect_failures\s*=\s*\[([^\]]*)\]/.exec(text)?.[1].split(",").map((item) => item.trim()).filter(Boolean) ?? [];
      const refreshOnly = /^\s*mode\s*=\s*refresh-only\s*$/m.test(text);
      const asserts = /^\s*assert\s*\{/m.test(text);
      if (refreshOnly && (asserts || expected.length === 0 || !expected.every((item) => item.startsWith("var.")))) return [`${name}: refresh-only, but it asserts or expects more than input refusals`];
      if (asserts || expected.length === 0) return [];
      if (expected.every((item) => item.startsWith("var.")) && !refreshOnly) return [`${name}: expects only input refusals: plan_options { mode = refresh-only }`];
      const targets = /^\s*target\s*=\s*\[([^\]]*)\]/m.exec(text)?.[1].split(",").map((item) => item.trim()).filter(Boolean);
      if (expected.every((item) => /^aws_\w+\.\w+$/.test(item)) && JSON.stringify(targets?.sort()) !== JSON.stringify([...expected].sort())) return [`${name}: expects only preconditions of ${expected.join(", ")}: plan_options { target = [${expected.join(", ")}] }`];
      return [];
    });
    expect(wrong).toEqual([]);
  });
});

// A run whose assertions read a few resources plans only them (`plan_options { target = [...] }`):
// terraform plans the targets and what they depend on, about a third of a whole plan's CPU under mocks.
// The assertions must read nothing else: an unplanned resource crashes terraform, but an unplanned
// output is null, so `output.x == ""` could pass on nothing. A run reading an output of variables
// alone, or a check, plans the whole module.
describe("targeted runs read only what they target", () => {
  const outputs = outputResources(join(REPO_ROOT, MODULE_DIR));

  it("reads what each output of the module depends on, through locals", () => {
    expect(outputs.get("webhook_url")).toEqual(["aws_api_gateway_stage.webhook_api_stage"]);
    expect(outputs.get("kms_key_arn")).toEqual(["aws_kms_key.encryption_key"]);
    expect(outputs.get("draining_ssm_parameter_name")).toEqual([]);
  });

  it("finds an assertion or expected failure outside the targets", () => {
    const run = (targets: string, body: string): string => `run "r" {\n  command = plan\n  plan_options {\n    target = [${targets}]\n  }\n${body}\n}`;
    const assert = (condition: string): string => `  assert {\n    condition     = ${condition}\n    error_message = "m"\n  }`;
    expect(untargetedReferences(run("aws_sqs_queue.q", assert('aws_sqs_queue.q["a"].arn == aws_iam_role.r.arn')), outputs)).toEqual(["aws_iam_role.r is not a target"]);
    expect(untargetedReferences(run('aws_sqs_queue.q["a"]', assert('aws_sqs_queue.q["b"].arn != ""')), outputs)).toEqual(["aws_sqs_queue.q is not a target"]);
    expect(untargetedReferences(run("aws_sqs_queue.q", assert('output.draining_ssm_parameter_name == null')), outputs)).toEqual([
      "output.draining_ssm_parameter_name reads no resource, so a targeted plan leaves it null",
    ]);
    expect(untargetedReferences(run("aws_sqs_queue.q", assert('output.webhook_url == ""')), outputs)).toEqual(["output.webhook_url reads aws_api_gateway_stage.webhook_api_stage, not a target"]);
    expect(untargetedReferences(run("aws_kms_key.k", "  expect_failures = [aws_lambda_function.f, check.c]"), outputs)).toEqual([
      "aws_lambda_function.f is not a target",
      "check.c is not evaluated for sure under a target",
    ]);
    expect(untargetedReferences(run("aws_kms_key.encryption_key", assert("output.kms_key_arn != aws_kms_key.encryption_key[0].arn")), outputs)).toEqual([]);
  });

  it.each(files.map((f) => f.file))("%s: every targeted run's assertions and expected failures read only its targets", (file) => {
    const runs = runBlocks(read(file));
    const wrong = runs.flatMap(({ name, text }) => untargetedReferences(text, outputs).map((why) => `${name}: ${why}`));
    expect(wrong).toEqual([]);
    // The reader found the file's runs and their targets (a layout it cannot read would check nothing).
    expect(runs.length, "runs read").toBe(files.find((f) => f.file === file)?.runs);
    expect(runs.filter(({ text }) => runTargets(text) !== undefined).length, "targeted runs read").toBe(read(file).filter((line) => /^\s*target\s*=\s*\[/.test(line)).length);
  });
});
