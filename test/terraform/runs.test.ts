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

  it.each(files.map((f) => f.file))("%s: mocks and overrides produce their values at plan (override_during = plan)", (file) => {
    const lines = read(file);
    const missing = lines.flatMap((line, i) => {
      if (!/^\s*(mock_provider "aws"|override_resource|override_data|override_module)\s*\{\s*$/.test(line)) return [];
      const block = lines.slice(i + 1, i + 4).join("\n");
      return /override_during\s*=\s*plan/.test(block) ? [] : [`line ${i + 1}: ${line.trim()}`];
    });
    expect(missing).toEqual([]);
  });

  it("the check sees the files' blocks (a file without a mock provider would be skipped silently)", () => {
    for (const { file } of files) expect(read(file).some((l) => /^mock_provider "aws" \{/.test(l)), file).toBe(true);
  });
});
