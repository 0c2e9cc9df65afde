// Runs chosen `terraform test` files against the committed module, for a quick check while working:
//   npx tsx scripts/terraform-test.ts <file.tftest.hcl ...>   (names under test/terraform/)
// The full tier is test/terraform/module.test.ts, part of `npm test`.
import { cpSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { MODULE_DIR } from "../stacks/build-module.js";
import { runTerraform } from "../stacks/emit/terraform-cli.js";
import { REPO_ROOT, scratchDir } from "../test/helpers/paths.js";

const files = process.argv.slice(2).map((f) => f.replace(/^.*\//, ""));
if (files.length === 0) {
  console.error("usage: tsx scripts/terraform-test.ts <file.tftest.hcl ...>");
  process.exit(2);
}
const workDir = scratchDir(`tftest-${process.pid}`);
cpSync(join(REPO_ROOT, MODULE_DIR), workDir, { recursive: true });
mkdirSync(join(workDir, "tests"));
for (const file of files) cpSync(join(REPO_ROOT, "test", "terraform", file), join(workDir, "tests", file));
cpSync(join(REPO_ROOT, "test", "terraform", "mocks"), join(workDir, "tests", "mocks"), { recursive: true });
const init = await runTerraform(["init", "-backend=false"], workDir);
if (init.code !== 0) {
  console.error(init.stdout + init.stderr);
  process.exit(1);
}
const result = await runTerraform(["test"], workDir, { timeoutMs: 1_500_000 });
console.log(result.stdout + result.stderr);
process.exit(result.code);
