// Checks the constructs against other bindings than the ones they are built with (docs/compatibility.md):
//   npx tsx scripts/check-compat.ts aws6    hashicorp/aws 6.x bindings (@cdktf/provider-aws-v6)
//   npx tsx scripts/check-compat.ts cdktn   CDK Terrain (cdktn + @cdktn/provider-aws), and emits the module
// Each variant is a tsconfig whose `paths` swap the imports of stacks/cdktf.ts, stacks/aws.ts and
// stacks/emit/emit-module.ts; tsc type-checks with it and tsx resolves with it at run time, so the
// same file decides what is checked and what runs. Run under the default tsconfig (5.x bindings).
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import * as aws from "../stacks/aws.js";
import { App, type TerraformStack } from "../stacks/cdktf.js";
import { buildModule, MODULE_DIR } from "../stacks/build-module.js";
import { REPO_ROOT, scratchDir } from "../test/helpers/paths.js";
import { attributeReferences, classesByType, comparableSynth, deprecatedUses, missingAttributes } from "./compat/references.js";

/** A set of bindings the constructs are checked against. */
export interface Variant {
  readonly tsconfig: string;
  readonly description: string;
}

export const VARIANTS = {
  aws6: { tsconfig: "tsconfig.provider-aws-6.json", description: "hashicorp/aws 6.x bindings (@cdktf/provider-aws 21, as @cdktf/provider-aws-v6)" },
  cdktn: { tsconfig: "tsconfig.cdktn.json", description: "CDK Terrain (cdktn + @cdktn/provider-aws, hashicorp/aws 6.x)" },
} as const satisfies Record<string, Variant>;

/** The module whose stack is checked: it exports `buildStack(app)`. */
export const MODULE_STACK_ENTRY = join(REPO_ROOT, "test", "providers", "fixtures", "module-stack.ts");

/** What one synth produced and what it found. */
export interface SynthReport {
  /** The synthesized stack (cdk.tf.json). */
  readonly stack: Record<string, unknown>;
  /** hashicorp/aws version the loaded bindings were generated for. */
  readonly providerVersion: string;
  /** `type.attribute` read by an expression but absent from the loaded bindings. */
  readonly missingAttributes: readonly string[];
}

/** Synthesizes the stack of `entry` with the bindings this process resolves. */
export async function synthStack(entry: string, outDir: string): Promise<SynthReport> {
  const { buildStack } = (await import(pathToFileURL(resolve(entry)).href)) as { buildStack(app: App): TerraformStack };
  const app = new App({ outdir: outDir });
  const stack = buildStack(app);
  app.synth();
  const json = JSON.parse(readFileSync(join(outDir, "stacks", stack.node.id, "cdk.tf.json"), "utf8")) as Record<string, unknown>;
  const providers = (json.terraform as { required_providers?: { aws?: { version?: string } } } | undefined)?.required_providers;
  return {
    stack: json,
    providerVersion: providers?.aws?.version ?? "none",
    missingAttributes: missingAttributes(attributeReferences(json as never), classesByType(aws as Record<string, unknown>)),
  };
}

/** Synthesizes the stack of `entry` in a child process that resolves imports through `tsconfig`. */
export function synthUnder(tsconfig: string, entry: string): SynthReport {
  const outDir = scratchDir("compat-synth");
  const result = spawnSync(join(REPO_ROOT, "node_modules", ".bin", "tsx"), ["--tsconfig", tsconfig, join(REPO_ROOT, "scripts", "check-compat.ts"), "synth", entry, outDir], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`synth of ${relative(REPO_ROOT, entry)} under ${tsconfig} failed:\n${result.stderr}${result.stdout}`);
  return JSON.parse(readFileSync(join(outDir, "report.json"), "utf8")) as SynthReport;
}

/** `tsc --noEmit` with `tsconfig`, over its own files or over `files` only. */
export function typeCheck(tsconfig: string, files?: readonly string[]): { ok: boolean; output: string } {
  let project = join(REPO_ROOT, tsconfig);
  if (files) {
    const dir = scratchDir("compat-tsconfig");
    project = join(dir, "tsconfig.json");
    writeFileSync(project, JSON.stringify({ extends: join(REPO_ROOT, tsconfig), include: files.map((file) => resolve(file)) }));
  }
  const result = spawnSync(join(REPO_ROOT, "node_modules", ".bin", "tsc"), ["-p", project, "--noEmit", "--pretty", "false"], { cwd: REPO_ROOT, encoding: "utf8" });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}`.trim() };
}

/** JSON paths where two synths of the same constructs differ (after {@link comparableSynth}). */
export function synthDifferences(expected: unknown, actual: unknown, path = ""): string[] {
  if (JSON.stringify(expected) === JSON.stringify(actual)) return [];
  const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object";
  if (!isObject(expected) || !isObject(actual) || Array.isArray(expected) !== Array.isArray(actual)) return [`${path || "."}: ${JSON.stringify(expected)?.slice(0, 80)} -> ${JSON.stringify(actual)?.slice(0, 80)}`];
  const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  return keys.flatMap((key) => synthDifferences(expected[key], actual[key], `${path}.${key}`));
}

/** What {@link checkVariant} checked and found. */
export interface VariantCheck {
  /** Type errors, synth differences from 5.x, missing and deprecated attributes; empty when compatible. */
  readonly problems: readonly string[];
  /** One line on what was compared. */
  readonly summary: string;
}

/** Checks the stack of `entry` (and `files`, else the variant's own files, for the type check) against `variant`. */
export async function checkVariant(variant: Variant, entry: string, files?: readonly string[]): Promise<VariantCheck> {
  const problems: string[] = [];
  const typed = typeCheck(variant.tsconfig, files);
  if (!typed.ok) problems.push(`type check with ${variant.tsconfig} failed:\n${typed.output}`);
  const baseline = await synthStack(entry, scratchDir("compat-baseline"));
  const report = synthUnder(variant.tsconfig, entry);
  // Guards the check itself: were the paths not applied, both synths would use the 5.x bindings and agree.
  if (report.providerVersion === baseline.providerVersion) problems.push(`${variant.tsconfig} did not swap the bindings: both synths use hashicorp/aws ${report.providerVersion}`);
  for (const difference of synthDifferences(comparableSynth(baseline.stack as never), comparableSynth(report.stack as never))) {
    problems.push(`synth with ${report.providerVersion} bindings differs from ${baseline.providerVersion}: ${difference}`);
  }
  for (const missing of report.missingAttributes) problems.push(`${missing} is read but hashicorp/aws ${report.providerVersion} has no such attribute`);
  problems.push(...deprecatedUses(report.stack as never));
  const resources = Object.values((report.stack.resource ?? {}) as Record<string, object>).reduce((sum, byName) => sum + Object.keys(byName).length, 0);
  const references = attributeReferences(report.stack as never).length;
  return { problems, summary: `bindings for hashicorp/aws ${report.providerVersion} vs ${baseline.providerVersion}: ${resources} resources compared, ${references} attribute references looked up` };
}

/** Emits the module under `tsconfig` and lists how it differs from the committed one (`git diff --no-index`). */
export function emitUnder(tsconfig: string): { outDir: string; differences: string } {
  const outDir = join(scratchDir("compat-module"), "terraform-aws-self-runners");
  const result = spawnSync(join(REPO_ROOT, "node_modules", ".bin", "tsx"), ["--tsconfig", tsconfig, join(REPO_ROOT, "scripts", "check-compat.ts"), "emit", outDir], { cwd: REPO_ROOT, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`emit under ${tsconfig} failed:\n${result.stderr}${result.stdout}`);
  const diff = spawnSync("git", ["diff", "--no-index", "--stat", join(REPO_ROOT, MODULE_DIR), outDir], { encoding: "utf8" });
  // git diff --no-index exits 0 when identical, 1 when not, anything else on an error.
  if (diff.status !== 0 && diff.status !== 1) throw new Error(`git diff --no-index failed: ${diff.stderr}`);
  return { outDir, differences: diff.stdout.trim() };
}

async function main(args: readonly string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === "synth") {
    const [entry, outDir] = rest;
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, "report.json"), JSON.stringify(await synthStack(entry, outDir)));
    return 0;
  }
  if (command === "emit") {
    buildModule({ repoRoot: REPO_ROOT, outDir: rest[0], synthDir: scratchDir("compat-cdktf-out") });
    return 0;
  }
  if (command !== "aws6" && command !== "cdktn") {
    console.error("usage: tsx scripts/check-compat.ts aws6|cdktn");
    return 2;
  }
  const variant = VARIANTS[command];
  console.log(`checking the constructs against ${variant.description}`);
  const { problems: found, summary } = await checkVariant(variant, MODULE_STACK_ENTRY);
  const problems = [...found];
  console.log(summary);
  if (command === "cdktn") {
    const { outDir, differences } = emitUnder(variant.tsconfig);
    console.log(differences ? `module emitted with cdktn (${outDir}) differs from ${MODULE_DIR}:\n${differences}` : `module emitted with cdktn is identical to ${MODULE_DIR}`);
    if (differences) problems.push("the module emitted with cdktn differs from the committed one");
  }
  for (const problem of problems) console.log(`problem: ${problem}`);
  console.log(problems.length === 0 ? "ok: type check, synth, attributes" : `${problems.length} problem(s)`);
  return problems.length === 0 ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) process.exitCode = await main(process.argv.slice(2));
