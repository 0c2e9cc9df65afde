/**
 * The registry-shaped module tree: what a `terraform-aws-self-runners` repository (or a private
 * registry upload) holds. The module sits at the root (its .tf files, lambdas/, templates/,
 * README.md), with LICENSE, CHANGELOG.md and examples/ whose module source is the registry address.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** The module's name in the registry's `<namespace>/<name>/<provider>` address. */
export const REGISTRY_MODULE = "self-runners/aws";

// A module block's source pointing into this repository's emitted module, from any depth.
const LOCAL_MODULE_SOURCE = /^([ \t]*)source\s*=\s*"(?:\.\.?\/)+modules-out\/terraform-aws-self-runners\/?"[ \t]*$/gm;

/**
 * Rewrites every local module source to `<namespace>/self-runners/aws` pinned at `version`, laid
 * out the way `terraform fmt` aligns the two lines. Throws when there is none to rewrite.
 */
export function rewriteModuleSource(hcl: string, namespace: string, version: string, file: string): string {
  let count = 0;
  const rewritten = hcl.replace(LOCAL_MODULE_SOURCE, (_line, indent: string) => {
    count += 1;
    return `${indent}source  = "${namespace}/${REGISTRY_MODULE}"\n${indent}version = "${version}"`;
  });
  if (count === 0) throw new Error(`${file}: no source = "../modules-out/terraform-aws-self-runners" to point at the registry`);
  return rewritten;
}

/** Every Terraform root below `dir` (a folder holding .tf files), as relative paths, nested ones included. */
export function terraformRoots(dir: string, prefix = ""): string[] {
  const entries = readdirSync(join(dir, prefix), { withFileTypes: true });
  const own = entries.some((e) => e.isFile() && e.name.endsWith(".tf")) ? [prefix] : [];
  const nested = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith("."))
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => terraformRoots(dir, prefix ? `${prefix}/${e.name}` : e.name));
  return [...own, ...nested];
}

export interface RegistryTreeInput {
  readonly repoRoot: string;
  /** The emitted module (modules-out/terraform-aws-self-runners). */
  readonly moduleDir: string;
  /** Where to lay the tree out; must not exist yet or be empty. */
  readonly outDir: string;
  readonly namespace: string;
  readonly version: string;
  /** The freshly built zips by module path (lambdas/webhook.zip -> bytes). */
  readonly zips: ReadonlyMap<string, Uint8Array>;
  /**
   * Where the README's links into this repository (../../README.md) point from the tree: the
   * repository's web address and the commit, for permanent links.
   * @default - the links become plain text
   */
  readonly sourceLink?: { readonly url: string; readonly commit: string };
}

/** Rewrites the README's links that leave the module folder (../../x) to the source repository, or to plain text. */
export function rewriteRepositoryLinks(markdown: string, sourceLink: RegistryTreeInput["sourceLink"]): string {
  return markdown.replace(/\[([^\]]+)\]\(\.\.\/\.\.\/([^)]*)\)/g, (_link, text: string, path: string) =>
    sourceLink ? `[${text}](${sourceLink.url}/blob/${sourceLink.commit}/${path})` : text,
  );
}

/** Lays out the tree and returns its files, relative to `outDir`, sorted. */
export function layoutRegistryTree(input: RegistryTreeInput): string[] {
  const { repoRoot, moduleDir, outDir, namespace, version } = input;
  mkdirSync(outDir, { recursive: true });
  // The module as emitted, but the zips from this release's build (checked identical to the committed ones).
  cpSync(moduleDir, outDir, { recursive: true, filter: (src) => !src.endsWith(".zip") });
  for (const [path, bytes] of input.zips) {
    mkdirSync(dirname(join(outDir, path)), { recursive: true });
    writeFileSync(join(outDir, path), bytes);
  }
  const readme = join(outDir, "README.md");
  writeFileSync(readme, rewriteRepositoryLinks(rewriteModuleSource(readFileSync(readme, "utf8"), namespace, version, "README.md"), input.sourceLink));
  for (const file of ["LICENSE", "CHANGELOG.md"]) cpSync(join(repoRoot, file), join(outDir, file));
  if (!existsSync(join(outDir, "versions.tf"))) throw new Error(`${moduleDir} has no versions.tf`);

  const examplesDir = join(repoRoot, "examples", "terraform");
  for (const root of terraformRoots(examplesDir)) {
    const target = join(outDir, "examples", root);
    mkdirSync(target, { recursive: true });
    for (const file of readdirSync(join(examplesDir, root)).filter((f) => f.endsWith(".tf"))) {
      const hcl = readFileSync(join(examplesDir, root, file), "utf8");
      const rewritten = /modules-out\/terraform-aws-self-runners/.test(hcl) ? rewriteModuleSource(hcl, namespace, version, `examples/${root}/${file}`) : hcl;
      writeFileSync(join(target, file), rewritten);
    }
  }
  return listTree(outDir);
}

function listTree(root: string, prefix = ""): string[] {
  return readdirSync(join(root, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listTree(root, prefix ? `${prefix}/${e.name}` : e.name) : [prefix ? `${prefix}/${e.name}` : e.name]))
    .sort();
}
