import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, type TerraformStack } from "cdktf";
import { collectAssets, copyAssets, rewriteAssetPaths, type ModuleAsset } from "./assets.js";
import { MAIN_FILE, readConfiguration, type ModuleFile } from "./configuration.js";
import { EmitError } from "./errors.js";
import { printFile } from "./hcl.js";
import type { Json, JsonObject } from "./json-syntax.js";
import { awsProviderBlocks } from "./provider-schema.js";
import { renderReadme } from "./readme.js";
import { groupVariables, type VariableGroup } from "./variable-groups.js";
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
   * @default {@link DEFAULT_AWS_PROVIDER_VERSION}
   */
  readonly awsProviderVersion?: string;
  /**
   * Where TerraformAsset files (the Lambda zips) are shipped inside the module.
   * @default { directory: "lambdas" }
   */
  readonly assets?: EmitAssetsOptions;
  /**
   * Files by concern: each resource or data source goes to the file of the deepest construct id
   * on its path that is listed here.
   * @default - everything in main.tf
   */
  readonly files?: readonly ModuleFile[];
  /**
   * Variables of variables.tf in groups, each under a banner comment, in this order; variables in
   * no group come last under "Other".
   * @default - no banners, variables in the synthesized order
   */
  readonly variableGroups?: ReadonlyArray<VariableGroup>;
}

export interface EmitAssetsOptions {
  /**
   * Directory inside the module that receives the asset files.
   * @default "lambdas"
   */
  readonly directory?: string;
  /**
   * Directory inside the module that receives templates (`*.tftpl` assets).
   * @default "templates"
   */
  readonly templateDirectory?: string;
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
/**
 * hashicorp/aws versions the module supports: 5.100 (the local mirror, checked by `terraform validate`
 * and `terraform test`) through 6.x (checked against the 6.x bindings); see docs/compatibility.md.
 */
export const DEFAULT_AWS_PROVIDER_VERSION = ">= 5.100.0, < 7.0.0";

/**
 * Synthesizes the app of `stack` and writes the stack as a plain Terraform module
 * ({@link emitSynthesizedModule}). The only use of cdktf in the emitter: everything else reads the
 * synth output.
 */
export function emitModule(stack: TerraformStack, options: EmitModuleOptions): EmitResult {
  const app = stack.node.root;
  if (!App.isApp(app)) throw new EmitError(`${stack.node.path}: the stack must belong to a cdktf App`);
  app.synth();
  const manifestFile = path.join(app.outdir, "manifest.json");
  const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8")) as { stacks: Record<string, { synthesizedStackPath: string }> };
  const entry = manifest.stacks[stack.node.id];
  if (!entry) throw new EmitError(`stack ${stack.node.id} is not in ${manifestFile}`);
  return emitSynthesizedModule(path.dirname(path.join(app.outdir, entry.synthesizedStackPath)), options);
}

/**
 * Writes the stack synthesized into `stackDir` (its `cdk.tf.json` and `assets/`) as a plain
 * Terraform module: versions.tf, variables.tf, main.tf and the files by concern, outputs.tf, the
 * asset files and a README, formatted by `terraform fmt`. Needs the Terraform CLI and the provider
 * mirror (see terraform-cli.ts) for fmt and the provider schema.
 */
export function emitSynthesizedModule(stackDir: string, options: EmitModuleOptions): EmitResult {
  const outDir = path.resolve(options.outDir);
  const terraformVersion = options.terraformVersion ?? DEFAULT_TERRAFORM_VERSION;
  const awsProviderVersion = options.awsProviderVersion ?? DEFAULT_AWS_PROVIDER_VERSION;
  checkOutDir(outDir);

  const synthesized = JSON.parse(fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8")) as JsonObject;
  const assets = collectAssets(stackDir, synthesized, options.assets?.directory ?? "lambdas", options.assets?.templateDirectory ?? "templates");
  const json = mapStrings(synthesized, (text) => rewriteAssetPaths(text, assets)) as JsonObject;
  const configuration = readConfiguration(json, awsProviderBlocks(awsProviderVersion), options.files);
  const files = new Map<string, string>([
    ["versions.tf", renderVersions(terraformVersion, awsProviderVersion)],
    ["variables.tf", printFile(groupVariables(configuration.variables, options.variableGroups))],
    [MAIN_FILE, printFile(configuration.files.get(MAIN_FILE) ?? [])],
  ]);
  for (const [file, blocks] of configuration.files) if (file !== MAIN_FILE) files.set(file, printFile(blocks));
  files.set("outputs.tf", printFile(configuration.outputs.map((output) => output.block)));
  files.set(
    "README.md",
    renderReadme({
      moduleName: options.moduleName,
      description: options.description,
      usageExample: options.usageExample,
      requirements: [
        ["terraform", terraformVersion],
        ["aws", awsProviderVersion],
      ],
      variables: configuration.variables.map((variable) => variable.doc),
      outputs: configuration.outputs.map((output) => output.doc),
    }),
  );

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

function mapStrings(value: Json, map: (text: string) => string): Json {
  if (typeof value === "string") return map(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, map));
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapStrings(item, map)]));
  return value;
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
