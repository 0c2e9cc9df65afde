/**
 * Lambda zips and boot script templates. cdktf copies each TerraformAsset into the stack's synth
 * directory, `assets/<asset id>/<content hash>/<file name>`, and the synthesized configuration refers
 * to it by that relative path (also inside `filebase64sha256("...")` or `templatefile("...", ...)`).
 * The module ships each referenced file as `lambdas/<file name>` (templates, `*.tftpl`, as
 * `templates/<file name>`) and refers to it through `${path.module}`. Assets are read from the synth
 * directory, not from the constructs, so the emitter needs nothing of cdktf but its output.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { EmitError } from "./errors.js";

/** One asset file and where it goes in the module. */
export interface ModuleAsset {
  /** Absolute path of the file in the synth directory. */
  readonly source: string;
  /** Path inside the module, e.g. `lambdas/webhook.zip`. */
  readonly file: string;
  /** How the stack's configuration refers to it, e.g. `assets/webhook-zip/3F2A.../webhook.zip`. */
  readonly synthesizedPath: string;
}

/**
 * The assets of the stack synthesized into `stackDir` that its configuration refers to (cdktf leaves
 * folders of removed assets behind), each with a unique file name under `directory`, or under
 * `templateDirectory` for templates.
 */
export function collectAssets(stackDir: string, configuration: unknown, directory: string, templateDirectory = "templates"): ModuleAsset[] {
  const referenced = strings(configuration).join("\n");
  const assets: ModuleAsset[] = [];
  const owners = new Map<string, { source: string; hash: string }>();
  for (const synthesizedPath of assetPaths(stackDir)) {
    if (!referenced.includes(synthesizedPath)) continue;
    const source = path.join(stackDir, ...synthesizedPath.split("/"));
    if (!fs.statSync(source).isFile()) {
      throw new EmitError(`${synthesizedPath}: only FILE assets can be shipped in the module (this one is a directory); build the zip first and pass its path`);
    }
    const [, , hash, name] = synthesizedPath.split("/");
    const file = path.posix.join(name.endsWith(".tftpl") ? templateDirectory : directory, name);
    const owner = owners.get(file);
    if (owner && owner.hash !== hash) {
      throw new EmitError(`assets ${owner.source} and ${source} would both be shipped as ${file}; give the files different names`);
    }
    owners.set(file, { source, hash });
    assets.push({ source, file, synthesizedPath });
  }
  return assets;
}

/** Replaces every synthesized asset path with its place in the module, `${path.module}/<file>`. */
export function rewriteAssetPaths(text: string, assets: readonly Pick<ModuleAsset, "file" | "synthesizedPath">[]): string {
  // Longest first, so that no path is replaced inside a longer one. The paths sit in strings, which
  // Terraform's JSON syntax reads as templates, so an interpolation is valid there.
  const ordered = [...assets].sort((a, b) => b.synthesizedPath.length - a.synthesizedPath.length);
  return ordered.reduce((out, asset) => out.split(asset.synthesizedPath).join(`\${path.module}/${asset.file}`), text);
}

/** Copies each asset into the module directory. */
export function copyAssets(outDir: string, assets: readonly ModuleAsset[]): void {
  for (const asset of assets) {
    const target = path.join(outDir, asset.file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(asset.source, target);
  }
}

/** `assets/<id>/<hash>/<name>` for every entry of the synth directory's assets folder, sorted. */
function assetPaths(stackDir: string): string[] {
  const list = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []);
  const root = path.join(stackDir, "assets");
  return list(root).flatMap((id) =>
    list(path.join(root, id)).flatMap((hash) => list(path.join(root, id, hash)).map((name) => ["assets", id, hash, name].join("/"))),
  );
}

function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(strings);
  return [];
}
