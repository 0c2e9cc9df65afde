/**
 * Which Terraform roots and CDKTF stacks a change affects: pure, from a graph of the repository
 * (discover.ts) and the changed paths. Paths are repository-relative with forward slashes.
 */

/** A directory holding `.tf` files and the local modules it calls (directories, resolved). */
export interface TerraformDir {
  readonly dir: string;
  readonly modules: readonly string[];
}

/** A CDKTF app: its directory, the repository files its entry point imports, its stack names. */
export interface CdktfApp {
  readonly dir: string;
  readonly inputs: readonly string[];
  readonly stacks: readonly string[];
}

/** A change under `prefix` counts as a change of `dir` (a module pinning a Lambda bundle's hash). */
export interface Pin {
  readonly prefix: string;
  readonly dir: string;
}

export interface RepoGraph {
  readonly terraform: readonly TerraformDir[];
  readonly cdktf: readonly CdktfApp[];
  readonly pins: readonly Pin[];
  /** Roots named explicitly; otherwise every Terraform directory no other one calls. */
  readonly roots?: readonly string[];
}

export interface Target {
  readonly kind: "terraform" | "cdktf";
  /** The Terraform root or the CDKTF app's directory. */
  readonly root: string;
  /** The CDKTF stack; for a Terraform root, the root itself (a stable name for plan comments). */
  readonly stack: string;
}

export interface AffectedTarget extends Target {
  /** Why, one line per cause, e.g. `calls modules/shared (modules/shared/main.tf)`. */
  readonly reasons: readonly string[];
}

export interface Decision {
  readonly affected: readonly AffectedTarget[];
  readonly unaffected: readonly Target[];
  readonly changed: readonly string[];
}

export function decideAffected(graph: RepoGraph, changedPaths: readonly string[]): Decision {
  const changed = [...new Set(changedPaths.map(normalize).filter((p) => p !== ""))].sort();
  const dirs = graph.terraform.map((t) => t.dir);
  // Each changed directory with the first changed path that made it so.
  const changedDirs = new Map<string, string>();
  const mark = (dir: string, why: string) => {
    if (!changedDirs.has(dir)) changedDirs.set(dir, why);
  };
  for (const path of changed) {
    const owner = ownerOf(path, dirs);
    if (owner !== undefined) mark(owner, path);
    // A pin may name a module or a folder inside one (its bundles); the Terraform directory holding it changes.
    for (const pin of graph.pins) if (isUnder(path, pin.prefix)) mark(ownerOf(normalize(pin.dir), dirs) ?? normalize(pin.dir), `${path} via pinned ${pin.prefix}`);
  }

  const calls = new Map(graph.terraform.map((t) => [t.dir, t.modules.map(normalize)]));
  const roots = graph.roots?.map(normalize) ?? rootsOf(graph.terraform);
  const affected: AffectedTarget[] = [];
  const unaffected: Target[] = [];
  for (const root of [...roots].sort()) {
    const reasons: string[] = [];
    const own = changedDirs.get(root);
    if (own !== undefined) reasons.push(`changed: ${own}`);
    for (const module of transitiveModules(root, calls)) {
      const why = changedDirs.get(module);
      if (why !== undefined) reasons.push(`calls ${module} (${why})`);
    }
    const target: Target = { kind: "terraform", root, stack: root };
    if (reasons.length > 0) affected.push({ ...target, reasons });
    else unaffected.push(target);
  }

  for (const app of [...graph.cdktf].sort((a, b) => a.dir.localeCompare(b.dir))) {
    const inputs = new Set([...app.inputs.map(normalize), join(app.dir, "cdktf.json")]);
    const reasons = changed.filter((path) => inputs.has(path)).map((path) => `changed: ${path}`);
    for (const pin of graph.pins) {
      const hit = changed.find((path) => isUnder(path, pin.prefix));
      if (hit !== undefined && [...inputs].some((input) => isUnder(input, pin.dir))) reasons.push(`${hit} via pinned ${pin.prefix}`);
    }
    // Without a static way to tell which stack reads which import, every stack of a changed app is planned.
    for (const stack of app.stacks.length > 0 ? [...app.stacks].sort() : [""]) {
      const target: Target = { kind: "cdktf", root: app.dir, stack };
      if (reasons.length > 0) affected.push({ ...target, reasons });
      else unaffected.push(target);
    }
  }
  return { affected, unaffected, changed };
}

/** Terraform directories that no other directory calls as a local module. */
export function rootsOf(terraform: readonly TerraformDir[]): string[] {
  const called = new Set(terraform.flatMap((t) => t.modules.map(normalize)));
  return terraform.map((t) => normalize(t.dir)).filter((dir) => !called.has(dir));
}

/** The deepest Terraform directory holding `path` (its own files include sub-folders such as templates/). */
function ownerOf(path: string, dirs: readonly string[]): string | undefined {
  return dirs.filter((dir) => isUnder(path, dir)).sort((a, b) => b.length - a.length)[0];
}

function transitiveModules(root: string, calls: ReadonlyMap<string, readonly string[]>): string[] {
  const seen = new Set<string>();
  const visit = (dir: string) => {
    for (const module of calls.get(dir) ?? []) {
      if (seen.has(module) || module === root) continue;
      seen.add(module);
      visit(module);
    }
  };
  visit(root);
  return [...seen].sort();
}

function isUnder(path: string, dir: string): boolean {
  const prefix = normalize(dir);
  return prefix === "" || path === prefix || path.startsWith(`${prefix}/`);
}

function join(dir: string, file: string): string {
  return dir === "" ? file : `${dir}/${file}`;
}

/** Forward slashes, no `./` prefix, no trailing slash; the repository root is "". */
export function normalize(path: string): string {
  const trimmed = path.trim().replace(/\\/g, "/").replace(/^(\.\/)+/, "").replace(/\/+$/, "");
  return trimmed === "." ? "" : trimmed;
}
