// Runs chosen `terraform test` files against the committed module, for a quick check while working:
//   npx tsx scripts/terraform-test.ts <file.tftest.hcl ...>   (names under test/terraform/)
// Files run in parallel processes, one per core ($SELF_RUNNERS_TF_TEST_PROCESSES), each a balanced share
// of the files, after one init, all reattached to one aws provider (test/helpers/reattached-provider.ts).
// The full tier is test/terraform/module.test.ts, part of `npm test`.
import { join } from "node:path";
import { MODULE_DIR } from "../stacks/build-module.js";
import { runTerraform } from "../stacks/emit/terraform-cli.js";
import { REPO_ROOT, scratchDir } from "../test/helpers/paths.js";
import { runTerraformTestFiles, stageTerraformTests, terraformTestFiles } from "../test/helpers/terraform-tests.js";

const names = process.argv.slice(2).map((f) => f.replace(/^.*\//, ""));
if (names.length === 0) {
  console.error("usage: tsx scripts/terraform-test.ts <file.tftest.hcl ...>");
  process.exit(2);
}
const files = terraformTestFiles(names);
const workDir = scratchDir(`tftest-${process.pid}`);
stageTerraformTests(join(REPO_ROOT, MODULE_DIR), workDir, files);
const init = await runTerraform(["init", "-backend=false"], workDir);
if (init.code !== 0) {
  console.error(init.stdout + init.stderr);
  process.exit(1);
}
const started = Date.now();
let failed = 0;
// Each process's output as soon as it ends.
await runTerraformTestFiles(workDir, files, {
  onResult: (result) => {
    console.log(result.stdout + result.stderr);
    for (const file of result.files) {
      console.log(`${file.file}: ${file.passed} of ${file.runs} runs passed, ${file.verdict}`);
      if (file.verdict !== "pass" || file.passed !== file.runs) failed += 1;
    }
    console.log(`process exit ${result.code}, ${result.seconds.toFixed(1)} s\n`);
    if (result.code !== 0) failed += 1;
  },
});
console.log(`${files.length} files, ${failed} failed, ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(failed === 0 ? 0 : 1);
