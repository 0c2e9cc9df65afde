import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { templateVars } from "../../../stacks/runner-bootstrap.js";
import { renderTemplate, templatePath } from "../../../stacks/templates/template-file.js";
import { BOOT_OPTIONS } from "../../helpers/runner-boot.js";
import { expectSuccess, runTerraform, tempDir } from "../../helpers/terraform.js";

const TEMPLATES = {
  // The runner bootstraps' variables as the stack passes them (one list: stacks/runner-bootstrap.ts).
  "runner-bootstrap.sh.tftpl": templateVars({ ...BOOT_OPTIONS, architecture: "arm64" }),
  "runner-bootstrap-ubuntu.sh.tftpl": templateVars(BOOT_OPTIONS),
  "runner-bootstrap-windows.ps1.tftpl": templateVars(BOOT_OPTIONS),
  "nat-bootstrap.sh.tftpl": { route_table_ids: "rtb-0aaaaaaaaaaaaaaa1 rtb-0aaaaaaaaaaaaaaa2", region: "eu-west-1" },
};

describe("renderTemplate", () => {
  it.each([
    ["an interpolation", "A='${a}' B=${ b }", { a: "x", b: 2 }, "A='x' B=2"],
    ["escapes", "$${HOME} %%{ if } ${a}", { a: "1" }, "${HOME} %{ if } 1"],
    ["shell syntax around it", 'x=$(echo "$1") ${a}', { a: "v" }, 'x=$(echo "$1") v'],
  ])("renders %s", (_name, source, vars, expected) => {
    expect(renderTemplate(source, vars)).toBe(expected);
  });

  it.each([
    ["a directive", "%{ if a }x%{ endif }", /no template directives/],
    ["an expression", "${upper(a)}", /only \$\{name\} interpolations/],
    ["a variable without value", "${b}", /template variable b has no value/],
  ])("fails when the template holds %s", (_name, source, message) => {
    expect(() => renderTemplate(source, { a: "x" })).toThrow(message);
  });
});

describe("the boot script templates", () => {
  const scratch = tempDir("templatefile");
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it("render the same under renderTemplate as under Terraform's templatefile()", async () => {
    // A provider-less configuration whose outputs are the rendered templates: apply evaluates them offline.
    const outputs = Object.entries(TEMPLATES).map(([name, vars], i) => {
      const hclVars = Object.entries(vars).map(([key, value]) => `${key} = ${JSON.stringify(value)}`).join(", ");
      return `output "t${i}" {\n  value = templatefile(${JSON.stringify(templatePath(name))}, { ${hclVars} })\n}\n`;
    });
    fs.writeFileSync(path.join(scratch, "main.tf"), outputs.join("\n"));
    expectSuccess(await runTerraform(["init", "-backend=false"], scratch, { providers: false }), "init", scratch);
    expectSuccess(await runTerraform(["apply", "-auto-approve"], scratch, { providers: false }), "apply", scratch);
    const result = expectSuccess(await runTerraform(["output", "-json"], scratch, { providers: false }), "output", scratch);
    const rendered = JSON.parse(result.stdout) as Record<string, { value: string }>;
    Object.entries(TEMPLATES).forEach(([name, vars], i) => {
      expect(rendered[`t${i}`].value, name).toBe(renderTemplate(fs.readFileSync(templatePath(name), "utf8"), vars));
    });
  }, 120_000);
});
