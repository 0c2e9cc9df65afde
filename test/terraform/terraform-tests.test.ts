import { describe, expect, it } from "vitest";
import { balancedGroups, estimatedRunSeconds, fileResults, terraformTestFiles } from "../helpers/terraform-tests.js";

// How the terraform tier shares its files among `terraform test` processes (test/helpers/terraform-tests.ts).

const file = (name: string, cost: number, runs = 1) => ({ file: name, runs, cost });

describe("the terraform tier's processes", () => {
  it("estimates a run by what it plans: refresh-only < targeted < whole plan < targeted apply < apply", () => {
    const refresh = estimatedRunSeconds('run "a" {\n  plan_options {\n    mode = refresh-only\n  }\n}');
    const targeted = estimatedRunSeconds('run "a" {\n  plan_options {\n    target = [aws_sqs_queue.q]\n  }\n}');
    const plan = estimatedRunSeconds('run "a" {\n  command = plan\n}');
    const targetedApply = estimatedRunSeconds('run "a" {\n  # apply: why\n  command = apply\n  plan_options {\n    target = [\n      aws_sqs_queue.q,\n    ]\n  }\n}');
    const apply = estimatedRunSeconds('run "a" {\n  # apply: why\n  command = apply\n}');
    expect([refresh < targeted, targeted < plan, plan < targetedApply, targetedApply < apply]).toEqual([true, true, true, true]);
    // An override_resource's `target` names the resource it overrides: the run still plans the whole module.
    expect(estimatedRunSeconds('run "a" {\n  command = plan\n  override_resource {\n    target = aws_security_group.g\n  }\n}')).toBe(plan);
  });

  it("counts every run of every file", () => {
    const files = terraformTestFiles();
    expect(files.every((f) => f.runs > 0 && f.cost > 0)).toBe(true);
  });

  it("gives each process a share of about equal cost, every file exactly once", () => {
    const files = [file("a", 40), file("b", 30), file("c", 20), file("d", 10), file("e", 10), file("f", 10)];
    const groups = balancedGroups(files, 2);
    expect(groups.map((g) => g.reduce((n, f) => n + f.cost, 0))).toEqual([60, 60]);
    expect(groups.flat().map((f) => f.file).sort()).toEqual(["a", "b", "c", "d", "e", "f"]);
    expect(balancedGroups(files.slice(0, 1), 2)).toEqual([[files[0]]]);
  });

  it("reads each file's verdict and passed runs from one process's output", () => {
    const output = [
      "tests/a.tftest.hcl... in progress",
      '  run "one"... pass',
      '  run "two"... pass',
      "tests/a.tftest.hcl... tearing down",
      "tests/a.tftest.hcl... pass",
      "tests/b.tftest.hcl... in progress",
      '  run "three"... fail',
      '  run "four"... skip',
      "tests/b.tftest.hcl... tearing down",
      "tests/b.tftest.hcl... fail",
      "",
      "Failure! 2 passed, 1 failed, 1 skipped.",
    ].join("\n");
    const results = fileResults(output, [file("a.tftest.hcl", 1, 2), file("b.tftest.hcl", 1, 2), file("c.tftest.hcl", 1, 1)]);
    expect(results.map((r) => [r.file, r.verdict, r.passed])).toEqual([
      ["a.tftest.hcl", "pass", 2],
      ["b.tftest.hcl", "fail", 0],
      ["c.tftest.hcl", "missing", 0],
    ]);
  });
});
