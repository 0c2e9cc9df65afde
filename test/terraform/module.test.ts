import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runTerraform } from "../../stacks/emit/terraform-cli.js";
import { MODULE_DIR } from "../../stacks/build-module.js";
import { handlerNames } from "../../scripts/build-lambdas.js";
import { REPO_ROOT, scratchDir } from "../helpers/paths.js";
import { runTerraformTestFiles, stageTerraformTests, terraformTestFiles } from "../helpers/terraform-tests.js";

// The terraform tier runs the real CLI offline against the committed module, with providers from the
// local mirror (stacks/emit/terraform-cli.ts). A missing terraform or mirror fails with what to install.

const moduleDir = join(REPO_ROOT, MODULE_DIR);
const testFiles = terraformTestFiles();

function expectSuccess(result: { code: number; stdout: string; stderr: string }): void {
  expect(result.stderr + result.stdout, "terraform output").not.toMatch(/^Error:/m);
  expect(result.code).toBe(0);
}

describe("the emitted module under terraform", () => {
  let workDir: string;

  beforeAll(async () => {
    workDir = scratchDir("module");
    stageTerraformTests(moduleDir, workDir, testFiles);
    expectSuccess(await runTerraform(["init", "-backend=false"], workDir));
  });

  it("is formatted (terraform fmt -check)", async () => {
    expectSuccess(await runTerraform(["fmt", "-check", "-recursive"], moduleDir, { providers: false }));
  });

  it("validates (terraform validate)", async () => {
    const result = await runTerraform(["validate"], workDir);
    expectSuccess(result);
    expect(result.stdout).toContain("Success! The configuration is valid.");
  });

  it("passes every terraform test run with mock providers: defaults, VPC, spot, org/repo, pools, audit trail, networking, WAF, control plane, validations", async () => {
    // One `terraform test -filter=… -filter=…` process per core, each running a balanced share of the
    // files, in the one initialized directory, all reattached to one aws provider
    // (test/helpers/reattached-provider.ts).
    const processes = await runTerraformTestFiles(workDir, testFiles);
    for (const result of processes) {
      expectSuccess(result);
      expect(result.stdout, "the process's summary").toContain(`Success! ${result.files.reduce((n, f) => n + f.runs, 0)} passed, 0 failed.`);
      // Every run of every file must pass: none skipped, none failed.
      for (const file of result.files) expect({ file: file.file, verdict: file.verdict, passed: file.passed }, file.output).toEqual({ file: file.file, verdict: "pass", passed: file.runs });
    }
    const results = processes.flatMap((result) => result.files);
    expect(results.map((r) => r.file).sort()).toEqual(testFiles.map((f) => f.file).sort());
    expect(results.reduce((n, r) => n + r.runs, 0)).toBeGreaterThanOrEqual(44);
    // A run plans (or applies) under mocks: about a second of one core when it targets what it reads or
    // plans refresh-only, three to four for the whole module; on a loaded 2-core machine the tier takes
    // minutes, past the default test and terraform timeouts.
  }, 1_560_000);

  it("has no provider or backend block", () => {
    for (const file of readdirSync(moduleDir).filter((f) => f.endsWith(".tf"))) {
      const text = readFileSync(join(moduleDir, file), "utf8");
      expect(text, file).not.toMatch(/^provider\s+"/m);
      expect(text, file).not.toMatch(/^\s*backend\s+"/m);
    }
  });

  it("ships every Lambda zip it references", () => {
    const hcl = readdirSync(moduleDir)
      .filter((f) => f.endsWith(".tf"))
      .map((f) => readFileSync(join(moduleDir, f), "utf8"))
      .join("\n");
    const referenced = [...hcl.matchAll(/"\$\{path\.module\}\/(lambdas\/[^"]+\.zip)"/g)].map((m) => m[1]);
    expect(new Set(referenced)).toEqual(new Set([...handlerNames(REPO_ROOT).map((name) => `lambdas/${name}.zip`), "lambdas/shared.zip"]));
    for (const zip of referenced) expect(existsSync(join(moduleDir, zip)), zip).toBe(true);
  });
});

/** Every Terraform root under examples/terraform: a folder holding .tf files, nested ones included (environments/dev). */
function exampleRoots(dir: string, prefix = ""): string[] {
  const entries = readdirSync(join(dir, prefix), { withFileTypes: true });
  const own = entries.some((e) => e.isFile() && e.name.endsWith(".tf")) ? [prefix] : [];
  return [...own, ...entries.filter((e) => e.isDirectory() && e.name !== ".terraform").flatMap((e) => exampleRoots(dir, prefix ? `${prefix}/${e.name}` : e.name))];
}

describe("the Terraform examples", () => {
  const roots = exampleRoots(join(REPO_ROOT, "examples", "terraform"));

  it("finds every example root, nested environments included", () => {
    expect(roots).toEqual(expect.arrayContaining(["basic", "org-multi-pool", "environments/dev", "environments/prod"]));
  });

  for (const example of roots) {
    it(`examples/terraform/${example} validates against the module`, async () => {
      const dir = join(REPO_ROOT, "examples", "terraform", example);
      const dataDir = scratchDir(`example-${example.replace(/\//g, "-")}`);
      const env = { TF_DATA_DIR: join(dataDir, ".terraform") };
      // The lock file init writes next to the example is git-ignored; .terraform goes to scratch.
      expectSuccess(await runTerraform(["init", "-backend=false"], dir, { env }));
      const result = await runTerraform(["validate"], dir, { env });
      expectSuccess(result);
      expectSuccess(await runTerraform(["fmt", "-check"], dir, { providers: false }));
    });
  }
});
