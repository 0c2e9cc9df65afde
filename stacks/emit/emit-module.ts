import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { TerraformStack } from "cdktf";
import { collectAssets, copyAssets, rewriteAssetPaths, type ModuleAsset } from "./assets.js";
import { EmitError } from "./errors.js";
import { renderReadme } from "./readme.js";
import { renderStack } from "./render-stack.js";
import { terraformFmt } from "./terraform-cli.js";

/** Where and how {@link emitModule} writes the module. */
export interface EmitModuleOptions {
  /** The module directory. The emitter owns it: whatever a previous emission left there is removed. */
  readonly outDir: string;
  /** Title of the README, e.g. `terraform-aws-self-runners`. */
  readonly moduleName: string;
  /** The README's introduction (markdown). */
  readonly description: string;
  /** HCL for the README's "Usage" section. */
  readonly usageExample: string;
  /**
   * Terraform CLI version constraint in versions.tf.
   * @default ">= 1.6.0"
   */
  readonly terraformVersion?: string;
  /**
   * hashicorp/aws version constraint in versions.tf.
   * @default ">= 5.100.0, < 6.0.0"
   */
  readonly awsProviderVersion?: string;
  /**
   * Where TerraformAsset files (the Lambda zips) are shipped inside the module.
   * @default { directory: "lambdas" }
   */
  readonly assets?: EmitAssetsOptions;
}

export interface EmitAssetsOptions {
  /**
   * Directory inside the module that receives the asset files.
   * @default "lambdas"
   */
  readonly directory?: string;
}

/** What {@link emitModule} wrote. */
export interface EmitResult {
  /** Absolute module directory. */
  readonly outDir: string;
  /** Every file written, relative to outDir, sorted. */
  readonly files: readonly string[];
  /** The asset files shipped with the module. */
  readonly assets: readonly ModuleAsset[];
}

export const DEFAULT_TERRAFORM_VERSION = ">= 1.6.0";
export const DEFAULT_AWS_PROVIDER_VERSION = ">= 5.100.0, < 6.0.0";

/**
 * Writes `stack` as a plain Terraform module: versions.tf, variables.tf, main.tf, outputs.tf, the
 * asset files and a README, formatted by `terraform fmt`. Needs the Terraform CLI (see terraform-cli.ts).
 */
export function emitModule(stack: TerraformStack, options: EmitModuleOptions): EmitResult {
  const outDir = path.resolve(options.outDir);
  const terraformVersion = options.terraformVersion ?? DEFAULT_TERRAFORM_VERSION;
  const awsProviderVersion = options.awsProviderVersion ?? DEFAULT_AWS_PROVIDER_VERSION;
  const assetDirectory = options.assets?.directory ?? "lambdas";
  checkOutDir(outDir);

  const rendered = renderStack(stack);
  const assets = collectAssets(stack, assetDirectory);
  const hclFile = (blocks: readonly string[]) => rewriteAssetPaths(blocks.length ? `${blocks.join("\n\n")}\n` : "", assets);
  const files = new Map<string, string>([
    ["versions.tf", renderVersions(terraformVersion, awsProviderVersion)],
    ["variables.tf", hclFile(rendered.variables)],
    ["main.tf", hclFile(rendered.main)],
    ["outputs.tf", hclFile(rendered.outputs)],
    [
      "README.md",
      renderReadme({
        moduleName: options.moduleName,
        description: options.description,
        usageExample: options.usageExample,
        requirements: [
          ["terraform", terraformVersion],
          ["aws", awsProviderVersion],
        ],
        variables: rendered.variableDocs,
        outputs: rendered.outputDocs,
      }),
    ],
  ]);

  // Build next to the target and swap at the end, so a failure (e.g. fmt finding a syntax error) leaves the old module intact.
  fs.mkdirSync(path.dirname(outDir), { recursive: true });
  const staging = fs.mkdtempSync(path.join(path.dirname(outDir), `.${path.basename(outDir)}-`));
  try {
    for (const [name, content] of files) fs.writeFileSync(path.join(staging, name), content);
    copyAssets(staging, assets);
    terraformFmt(staging);
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.renameSync(staging, outDir);
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  const written = [...files.keys(), ...new Set(assets.map((asset) => asset.file))].sort();
  return { outDir, files: written, assets };
}

/** versions.tf: the Terraform and provider constraints, and nothing else (no provider or backend block). */
export function renderVersions(terraformVersion: string, awsProviderVersion: string): string {
  return [
    "terraform {",
    `  required_version = ${JSON.stringify(terraformVersion)}`,
    "",
    "  required_providers {",
    "    aws = {",
    '      source  = "hashicorp/aws"',
    `      version = ${JSON.stringify(awsProviderVersion)}`,
    "    }",
    "  }",
    "}",
    "",
  ].join("\n");
}

/** The emitter empties outDir, so it refuses directories that are clearly not a module it wrote. */
function checkOutDir(outDir: string): void {
  const protectedDirs = [path.parse(outDir).root, os.homedir(), process.cwd()].map((dir) => path.resolve(dir));
  const isAncestorOfCwd = !path.relative(outDir, process.cwd()).startsWith("..");
  if (protectedDirs.includes(outDir) || isAncestorOfCwd) {
    throw new EmitError(`refusing to emit into ${outDir}: the emitter empties its output directory; choose a dedicated one`);
  }
  if (!fs.existsSync(outDir)) return;
  const entries = fs.readdirSync(outDir);
  if (entries.length > 0 && !entries.includes("versions.tf")) {
    throw new EmitError(`refusing to empty ${outDir}: it is not empty and holds no versions.tf, so it is not a module the emitter wrote`);
  }
}
