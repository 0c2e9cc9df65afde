import { availableParallelism } from "node:os";
import { cpSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runTerraform, type TerraformResult } from "../../stacks/emit/terraform-cli.js";
import { REPO_ROOT } from "./paths.js";
import { startReattachedProvider } from "./reattached-provider.js";

/** The folder of `*.tftest.hcl` files and their mocks. */
export const TERRAFORM_TESTS_DIR = join(REPO_ROOT, "test", "terraform");

/** One `*.tftest.hcl` file, how many `run` blocks it holds and what they cost. */
export interface TerraformTestFile {
  readonly file: string;
  readonly runs: number;
  /** Estimated CPU seconds of its runs under mocks ({@link estimatedRunSeconds}), to balance processes. */
  readonly cost: number;
}

/** One file's part of a `terraform test` process's output. */
export interface TerraformTestFileResult extends TerraformTestFile {
  /** `pass` or `fail` from terraform's `tests/<file>... pass` line; `missing` when the file never ran. */
  readonly verdict: "pass" | "fail" | "missing";
  /** Runs terraform reported as passed in this file. */
  readonly passed: number;
  /** The file's lines of the process's output (its runs and errors), for failure messages. */
  readonly output: string;
}

/** What one `terraform test -filter=<file> -filter=<file>...` process answered, file by file. */
export interface TerraformTestProcessResult extends TerraformResult {
  readonly files: readonly TerraformTestFileResult[];
  readonly seconds: number;
}

/**
 * Estimated CPU seconds of one run under mocks, measured on the 2-core machine: a refresh-only plan
 * evaluates variables only, a targeted plan its targets and what they depend on, a plan the whole
 * module, an apply plans, applies and tears down (a targeted one only its targets). Only the
 * processes' balance depends on these.
 */
export function estimatedRunSeconds(run: string): number {
  // `target = [` is plan_options' list; an override_resource's `target = aws_…` names one resource.
  const targeted = /^\s*target\s*=\s*\[/m.test(run);
  if (/^\s*command\s*=\s*apply\s*$/m.test(run)) return targeted ? 5 : 15;
  if (/^\s*mode\s*=\s*refresh-only\s*$/m.test(run)) return 0.7;
  if (targeted) return 1.2;
  return 4.5;
}

/** Every `*.tftest.hcl` file of test/terraform (or only `names`), with its run count and estimated cost. */
export function terraformTestFiles(names?: readonly string[]): TerraformTestFile[] {
  const files = names ?? readdirSync(TERRAFORM_TESTS_DIR).filter((f) => f.endsWith(".tftest.hcl"));
  return files.map((file) => {
    const runs = readFileSync(join(TERRAFORM_TESTS_DIR, file), "utf8").split(/^(?=run ")/m).slice(1);
    return { file, runs: runs.length, cost: runs.reduce((sum, run) => sum + estimatedRunSeconds(run), 0) };
  });
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
 * Splits `files` into `groups` of about equal estimated cost: the costliest file first, each to the
 * cheapest group so far. Every process loads the module and the provider's schema once (about 2.5 s of
 * CPU), so one process per core, each running several files, costs less than one process per file.
 */
export function balancedGroups(files: readonly TerraformTestFile[], groups: number): TerraformTestFile[][] {
  const chosen: { files: TerraformTestFile[]; cost: number }[] = Array.from({ length: Math.max(1, Math.min(groups, files.length)) }, () => ({ files: [], cost: 0 }));
  for (const file of [...files].sort((a, b) => b.cost - a.cost || a.file.localeCompare(b.file))) {
    const cheapest = chosen.reduce((min, group) => (group.cost < min.cost ? group : min));
    cheapest.files.push(file);
    cheapest.cost += file.cost;
  }
  return chosen.map((group) => group.files).filter((group) => group.length > 0);
}

/** Each file's part of a `terraform test` output: its `tests/<file>... pass|fail` verdict and passed runs. */
export function fileResults(output: string, files: readonly TerraformTestFile[]): TerraformTestFileResult[] {
  const lines = output.split("\n");
  return files.map((file) => {
    const name = `tests/${file.file}... `;
    const first = lines.findIndex((line) => line.startsWith(name));
    if (first === -1) return { ...file, verdict: "missing", passed: 0, output: "" };
    // The file's lines: up to the next file's first line (files run one after another).
    const next = lines.findIndex((line, i) => i > first && /^tests\/\S+\.tftest\.hcl\.\.\. /.test(line) && !line.startsWith(name));
    const own = lines.slice(first, next === -1 ? lines.length : next);
    const verdict = own.some((line) => line === `${name}pass`) ? "pass" : "fail";
    return { ...file, verdict, passed: own.filter((line) => /^\s+run "[^"]+"\.\.\. pass$/.test(line)).length, output: own.join("\n") };
  });
}

/**
 * Runs the files in `processes` `terraform test -filter=tests/<file>...` processes at once, each given
 * a balanced share of the files ({@link balancedGroups}), in the one initialized `workDir` (one
 * `terraform init`, one copy of the provider). `terraform test` keeps its state in memory, so processes
 * sharing the directory do not meet. Every process reattaches to one aws provider started here
 * (reattached-provider.ts) instead of launching its own twice per run.
 */
export async function runTerraformTestFiles(
  workDir: string,
  files: readonly TerraformTestFile[],
  {
    processes = terraformTestProcesses(),
    timeoutMs = 1_500_000,
    onResult,
  }: { processes?: number; timeoutMs?: number; onResult?: (result: TerraformTestProcessResult) => void } = {},
): Promise<TerraformTestProcessResult[]> {
  const provider = await startReattachedProvider(workDir);
  try {
    return await Promise.all(
      balancedGroups(files, processes).map(async (group) => {
        const started = process.hrtime.bigint();
        const result = await runTerraform(["test", ...group.map((f) => `-filter=tests/${f.file}`)], workDir, { timeoutMs, env: provider.env });
        const processResult = { ...result, files: fileResults(result.stdout, group), seconds: Number(process.hrtime.bigint() - started) / 1e9 };
        onResult?.(processResult);
        return processResult;
      }),
    );
  } finally {
    await provider.stop();
  }
}
