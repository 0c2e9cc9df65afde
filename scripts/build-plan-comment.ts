/**
 * Bundles plan-comment with esbuild: the bin (dist/plan-comment/cli.js) and the Action
 * (actions/plan-comment/dist/index.js, committed: GitHub runs an Action from the repository as is).
 * Paths are relative to the repository, so the bundle is the same on every machine.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type BuildOptions } from "esbuild";

export const REPO_ROOT = resolve(fileURLToPath(import.meta.url), "..", "..");
export const ACTION_BUNDLE = join("actions", "plan-comment", "dist", "index.js");
export const BIN_BUNDLE = join("dist", "plan-comment", "cli.js");

/** The esbuild options of one bundle; the Action's freshness test builds with the same. */
export function bundleOptions(entry: string): BuildOptions {
  return {
    absWorkingDir: REPO_ROOT,
    // node_modules may be a symlink (worktrees): keep its path, so the bundle's path comments match everywhere.
    preserveSymlinks: true,
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    // CommonJS dependencies (bottleneck, under the throttling plugin) call require(); ESM has none.
    banner: { js: 'import { createRequire as __createRequire } from "node:module";\nconst require = __createRequire(import.meta.url);' },
    legalComments: "eof",
    logLevel: "warning",
    write: false,
  };
}

/** The bundled text of `entry`. */
export async function bundle(entry: string): Promise<string> {
  const result = await build(bundleOptions(entry));
  const [output] = result.outputFiles ?? [];
  if (output === undefined) throw new Error(`esbuild wrote nothing for ${entry}`);
  return output.text;
}

export async function buildPlanComment(): Promise<void> {
  const targets: Array<[entry: string, outfile: string, shebang: boolean]> = [
    ["tools/plan-comment/action-main.ts", ACTION_BUNDLE, false],
    ["tools/plan-comment/cli.ts", BIN_BUNDLE, true],
  ];
  for (const [entry, outfile, shebang] of targets) {
    const text = await bundle(entry);
    const file = join(REPO_ROOT, outfile);
    mkdirSync(dirname(file), { recursive: true });
    // cli.ts starts with its own shebang, which esbuild keeps first.
    writeFileSync(file, text, { mode: shebang ? 0o755 : 0o644 });
    console.log(`${outfile}  ${(text.length / 1024).toFixed(1)} KiB`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildPlanComment();
