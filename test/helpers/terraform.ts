/**
 * Terraform for tests: the same CLI configuration as the emitter (stacks/emit/terraform-cli.ts),
 * so every run is offline (providers from the local mirror), never prompts and never colours.
 * A missing CLI or mirror fails the test with a message that says how to install it; nothing skips.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  runTerraform,
  runTerraformSync,
  type RunTerraformOptions,
  type TerraformResult,
} from "../../stacks/emit/terraform-cli.js";

export {
  cliConfig,
  providerMirror,
  runTerraform,
  runTerraformSync,
  terraformBinary,
  terraformEnv,
  TerraformSetupError,
  writeCliConfig,
} from "../../stacks/emit/terraform-cli.js";
export type { RunTerraformOptions, TerraformResult } from "../../stacks/emit/terraform-cli.js";

/** `terraform init -backend=false` in `dir` (providers from the mirror); throws with terraform's output on failure. */
export async function terraformInit(dir: string, options?: RunTerraformOptions): Promise<TerraformResult> {
  return expectSuccess(await runTerraform(["init", "-backend=false"], dir, options), "init", dir);
}

/** Synchronous {@link terraformInit}, for build scripts. */
export function terraformInitSync(dir: string, options?: RunTerraformOptions): TerraformResult {
  return expectSuccess(runTerraformSync(["init", "-backend=false"], dir, options), "init", dir);
}

/** `terraform validate` in an initialised `dir`; throws with the diagnostics on failure. */
export async function terraformValidate(dir: string): Promise<TerraformResult> {
  return expectSuccess(await runTerraform(["validate"], dir), "validate", dir);
}

/** Throws an Error carrying terraform's stdout and stderr unless it exited 0. */
export function expectSuccess(result: TerraformResult, what: string, dir: string): TerraformResult {
  if (result.code !== 0) {
    throw new Error(`terraform ${what} failed (exit ${result.code}) in ${dir}:\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

/** A fresh temporary directory; remove it with `fs.rmSync(dir, { recursive: true, force: true })`. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `self-runners-${prefix}-`));
}
