import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, posix, relative, resolve, sep } from "node:path";
import type { CdktfApp, Pin, RepoGraph, TerraformDir } from "./decide.js";
import { normalize } from "./decide.js";
import { isLocalSource, moduleSources } from "./hcl-modules.js";

/** Directories never searched: tool caches, build output, dependencies. */
export const DEFAULT_IGNORED = [".git", "node_modules", ".terraform", "cdktf.out", "dist", ".test-out"];

export interface DiscoverOptions {
  readonly pins?: readonly Pin[];
  /** Repository-relative directories not to search (in addition to DEFAULT_IGNORED names). */
  readonly ignore?: readonly string[];
  readonly roots?: readonly string[];
}

/** Reads the repository at `repoRoot` into the graph decideAffected() works on. */
export function discoverRepo(repoRoot: string, options: DiscoverOptions = {}): RepoGraph {
  const ignore = new Set((options.ignore ?? []).map(normalize));
  const terraform: TerraformDir[] = [];
  const cdktf: CdktfApp[] = [];
  const walk = (dir: string) => {
    const entries = readdirSync(join(repoRoot, dir), { withFileTypes: true });
    if (entries.some((e) => e.isFile() && e.name.endsWith(".tf"))) terraform.push(readTerraformDir(repoRoot, dir, entries.filter((e) => e.isFile() && e.name.endsWith(".tf")).map((e) => e.name)));
    if (entries.some((e) => e.isFile() && e.name === "cdktf.json")) cdktf.push(readCdktfApp(repoRoot, dir));
    for (const entry of entries) {
      const child = dir === "" ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory() && !DEFAULT_IGNORED.includes(entry.name) && !ignore.has(child)) walk(child);
    }
  };
  walk("");
  return { terraform, cdktf, pins: options.pins ?? [], ...(options.roots ? { roots: options.roots } : {}) };
}

function readTerraformDir(repoRoot: string, dir: string, files: string[]): TerraformDir {
  const modules = files
    .flatMap((file) => moduleSources(readFileSync(join(repoRoot, dir, file), "utf8")))
    .filter(isLocalSource)
    // `../x//sub` names a sub-directory of a package; the double slash is Terraform's separator.
    .map((source) => posix.normalize(posix.join(dir === "" ? "." : dir, source.replace("//", "/"))))
    .filter((module) => !module.startsWith(".."));
  return { dir, modules: [...new Set(modules.map(normalize))].sort() };
}

/**
 * The app's entry point (the `.ts`/`.js` file in cdktf.json's `app` command), every repository file it
 * imports through relative paths, and the stack names written as `new XxxStack(scope, "name")`.
 */
function readCdktfApp(repoRoot: string, dir: string): CdktfApp {
  const config = JSON.parse(readFileSync(join(repoRoot, dir, "cdktf.json"), "utf8")) as { app?: string };
  const entry = (config.app ?? "").split(/\s+/).find((word) => /\.(ts|mts|js|mjs)$/.test(word));
  const inputs = entry === undefined ? [] : importClosure(repoRoot, join(repoRoot, dir, entry));
  const stacks = new Set<string>();
  for (const file of inputs) {
    const pattern = /new\s+[\w.]*Stack\s*\(\s*[\w.]+\s*,\s*["'`]([^"'`$]+)["'`]/g;
    for (const match of readFileSync(join(repoRoot, file), "utf8").matchAll(pattern)) stacks.add(match[1]!);
  }
  return { dir, inputs, stacks: [...stacks].sort() };
}

/**
 * The files reachable from `entry` through relative imports, repository-relative. Written by hand
 * rather than with esbuild's metafile: the bundled Action runs without esbuild's native binary.
 */
export function importClosure(repoRoot: string, entry: string): string[] {
  const seen = new Set<string>();
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)["'](\.{1,2}\/[^"']+)["']/g;
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    if (!/\.(ts|tsx|mts|cts|js|mjs|cjs)$/.test(file)) return;
    for (const match of readFileSync(file, "utf8").matchAll(pattern)) {
      const target = resolveImport(dirname(file), match[1]!);
      if (target !== undefined && !relative(repoRoot, target).startsWith("..")) visit(target);
    }
  };
  if (existsSync(entry)) visit(resolve(entry));
  return [...seen].map((file) => relative(repoRoot, file).split(sep).join("/")).sort();
}

/** TypeScript's resolution for a relative specifier: `./x.js` may name `./x.ts`; `./x` may name `./x/index.ts`. */
function resolveImport(fromDir: string, specifier: string): string | undefined {
  const base = resolve(fromDir, specifier);
  const stem = base.replace(/\.(js|mjs|cjs|jsx)$/, "");
  const candidates = [base, `${stem}.ts`, `${stem}.tsx`, `${stem}.mts`, `${stem}.cts`, `${base}.ts`, `${base}.js`, join(base, "index.ts"), join(base, "index.js")];
  return candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
}
