import { availableParallelism } from "node:os";
import { cpSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runTerraform, type TerraformResult } from "../../stacks/emit/terraform-cli.js";
import { REPO_ROOT } from "./paths.js";
import { startReattachedProvider } from "./reattached-provider.js";

/** The folder of `*.tftest.hcl` files and their mocks. */
export const TERRAFORM_TESTS_DIR = join(REPO_ROOT, "test", "terraform");

/** One `*.tftest.hcl` file and how many `run` blocks it holds. */
export interface TerraformTestFile {
  readonly file: string;
  readonly runs: number;
}

/** What one `terraform test -filter=<file>` process answered. */
export interface TerraformTestFileResult extends TerraformTestFile, TerraformResult {
  readonly seconds: number;
}

/** Every `*.tftest.hcl` file of test/terraform (or only `names`), with its run count. */
export function terraformTestFiles(names?: readonly string[]): TerraformTestFile[] {
  const files = names ?? readdirSync(TERRAFORM_TESTS_DIR).filter((f) => f.endsWith(".tftest.hcl"));
  return files.map((file) => ({ file, runs: readFileSync(join(TERRAFORM_TESTS_DIR, file), "utf8").match(/^run "/gm)?.length ?? 0 }));
}

/** Copies the module and the chosen test files (with the mocks) into `workDir`, the layout `terraform test` expects. */
export function stageTerraformTests(moduleDir: string, workDir: string, files: readonly TerraformTestFile[]): void {
  cpSync(moduleDir, workDir, { recursive: true });
  mkdirSync(join(workDir, "tests"), { recursive: true });
  for (const { file } of files) cpSync(join(TERRAFORM_TESTS_DIR, file), join(workDir, "tests", file));
  cpSync(join(TERRAFORM_TESTS_DIR, "mocks"), join(workDir, "tests", "mocks"), { recursive: true });
}

/**
 * How many `terraform test` processes run at once: $SELF_RUNNERS_TF_TEST_PROCESSES, else one per core.
 * Each process plans the whole module under mocks on about one core, so more than the cores only
 * adds switching.
 */
export function terraformTestProcesses(env: NodeJS.ProcessEnv = process.env): number {
  const chosen = Number.parseInt(env.SELF_RUNNERS_TF_TEST_PROCESSES ?? "", 10);
  return chosen > 0 ? chosen : availableParallelism();
}

/**
 * Runs each file as its own `terraform test -filter=tests/<file>` process in the one initialized
 * `workDir` (one `terraform init`, one copy of the provider), `processes` at a time. `terraform test`
 * keeps its state in memory, so processes sharing the directory do not meet. Files with the most
 * runs start first, so the last to finish is a short one. Every process reattaches to one aws
 * provider started here (reattached-provider.ts) instead of launching its own twice per run.
 */
export async function runTerraformTestFiles(
  workDir: string,
  files: readonly TerraformTestFile[],
  {
    processes = terraformTestProcesses(),
    timeoutMs = 1_500_000,
    onResult,
  }: { processes?: number; timeoutMs?: number; onResult?: (result: TerraformTestFileResult) => void } = {},
): Promise<TerraformTestFileResult[]> {
  const queue = [...files].sort((a, b) => b.runs - a.runs);
  const results: TerraformTestFileResult[] = [];
  const provider = await startReattachedProvider(workDir);
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const started = process.hrtime.bigint();
      const result = await runTerraform(["test", `-filter=tests/${next.file}`], workDir, { timeoutMs, env: provider.env });
      const fileResult = { ...next, ...result, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
      results.push(fileResult);
      onResult?.(fileResult);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(processes, files.length)) }, worker));
  } finally {
    await provider.stop();
  }
  return files.map((f) => results.find((r) => r.file === f.file) as TerraformTestFileResult);
}
