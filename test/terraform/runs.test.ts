import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TERRAFORM_TESTS_DIR, terraformTestFiles } from "../helpers/terraform-tests.js";

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
});
