/**
 * Lambda zips and boot script templates. Constructs add each one as a cdktf TerraformAsset (type FILE); the synthesized
 * configuration refers to it by a path relative to the stack output directory,
 * `assets/<asset id>/<content hash>/<file name>` (also inside `filebase64sha256("...")` or
 * `templatefile("...", ...)`). The module ships each file as `lambdas/<file name>` (templates as
 * `templates/<file name>`) and refers to it through `${path.module}`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { IConstruct } from "constructs";
import { AssetType, TerraformAsset, TerraformStack } from "cdktf";
import { EmitError } from "./errors.js";

/** One asset file and where it goes in the module. */
export interface ModuleAsset {
  /** Absolute path of the file the construct pointed at. */
  readonly source: string;
  /** Path inside the module, e.g. `lambdas/webhook.zip`. */
  readonly file: string;
  /** How the stack's HCL refers to it, e.g. `assets/webhook-zip/3F2A.../webhook.zip`. */
  readonly synthesizedPath: string;
}

/**
 * The FILE assets of a stack (not of nested stacks), each with a unique file name under `directory`,
 * or under `templateDirectory` for templates (`*.tftpl`, rendered by templatefile()).
 */
export function collectAssets(stack: TerraformStack, directory: string, templateDirectory = "templates"): ModuleAsset[] {
  const assets: ModuleAsset[] = [];
  const owners = new Map<string, { source: string; hash: string }>();
  for (const asset of findAssets(stack)) {
    if (asset.type !== AssetType.FILE) {
      throw new EmitError(
        `${asset.node.path}: only FILE assets can be shipped in the module (got ${AssetType[asset.type]}); build the zip first and pass its path`,
      );
    }
    // cdktf keeps the source path private; it is relative to the working directory when not absolute.
    const source = path.resolve((asset as unknown as { sourcePath: string }).sourcePath);
    const file = path.posix.join(source.endsWith(".tftpl") ? templateDirectory : directory, path.basename(source));
    const owner = owners.get(file);
    if (owner && owner.hash !== asset.assetHash) {
      throw new EmitError(`assets ${owner.source} and ${source} would both be shipped as ${file}; give the zips different file names`);
    }
    owners.set(file, { source, hash: asset.assetHash });
    if (!assets.some((known) => known.synthesizedPath === asset.path)) assets.push({ source, file, synthesizedPath: asset.path });
  }
  return assets.sort((a, b) => (a.synthesizedPath < b.synthesizedPath ? -1 : a.synthesizedPath > b.synthesizedPath ? 1 : 0));
}
/** Replaces every synthesized asset path with its place in the module, `${path.module}/<file>`. */
export function rewriteAssetPaths(hcl: string, assets: readonly Pick<ModuleAsset, "file" | "synthesizedPath">[]): string {
  // Longest first, so that no path is replaced inside a longer one. The paths sit in quoted strings
  // (or in strings inside expressions), where an interpolation is valid.
  const ordered = [...assets].sort((a, b) => b.synthesizedPath.length - a.synthesizedPath.length);
  return ordered.reduce((text, asset) => text.split(asset.synthesizedPath).join(`\${path.module}/${asset.file}`), hcl);
}

/** Copies each asset into the module directory. */
export function copyAssets(outDir: string, assets: readonly ModuleAsset[]): void {
  for (const asset of assets) {
    const target = path.join(outDir, asset.file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(asset.source, target);
  }
}

function findAssets(node: IConstruct, into: TerraformAsset[] = []): TerraformAsset[] {
  if (node instanceof TerraformAsset) into.push(node);
  for (const child of node.node.children) {
    if (!TerraformStack.isStack(child)) findAssets(child, into);
  }
  return into;
}
