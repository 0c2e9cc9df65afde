import { spawn } from "node:child_process";
import { readFileSync, readdirSync, realpathSync } from "node:fs";
import { join, relative } from "node:path";
import { REPO_ROOT } from "../helpers/paths.js";

/** Exit code and output of a finished command. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  /** stdout and stderr as they came. */
  readonly output: string;
}

/**
 * Runs a command to its end without blocking the event loop; never rejects, so a test can print the
 * output of a failure. npm_* variables (set when the suite runs under `npm test`) are dropped: they
 * would point a nested npm at this repository's configuration.
 */
export function run(command: string, args: readonly string[], cwd: string, env: Readonly<Record<string, string>> = {}): Promise<CommandResult> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith("npm_")));
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env: { ...inherited, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      output += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.on("error", (error) => resolve({ code: 1, stdout, output: `${output}\n${error.message}` }));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, output }));
  });
}

/**
 * Directories whose path must never appear in synthesized output: this checkout, where its
 * node_modules really is, the working directory, and `more` (the temporary app). Not /tmp or the
 * home directory as such: a boot script may name /tmp/... on the runner.
 */
export function machinePaths(...more: string[]): string[] {
  const paths = [REPO_ROOT, realpathSync(join(REPO_ROOT, "node_modules")), process.cwd(), ...more];
  return [...new Set(paths.map((path) => path.replace(/\/+$/, "")))].filter((path) => path.length > 1);
}

/** Every text file below `dir` (zips skipped) that names one of `paths`, as "file: path". */
export function filesNamingPaths(dir: string, paths: readonly string[]): string[] {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile() && !entry.name.endsWith(".zip"));
  return files.flatMap((entry) => {
    const file = join(entry.parentPath, entry.name);
    const text = readFileSync(file, "utf8");
    return paths.filter((path) => text.includes(path)).map((path) => `${relative(dir, file)}: ${path}`);
  });
}

/** The local backend's state path in a synthesized stack, if it has one. */
export function localBackendPath(stackFile: string): string | undefined {
  const synth = JSON.parse(readFileSync(stackFile, "utf8")) as { terraform?: { backend?: { local?: { path?: string } } } };
  return synth.terraform?.backend?.local?.path;
}
