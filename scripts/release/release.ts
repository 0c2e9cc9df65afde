/**
 * `npm run release -- --version X.Y.Z [--apply] [--out DIR] [--namespace NS] [--allow-dirty]`
 *
 * Dry-run by default: does every step in a temporary directory, prints what it would write with the
 * checksums, and removes it. With --apply it writes the release to --out (default dist/release/X.Y.Z):
 * the zips, a CycloneDX SBOM per zip, provenance.intoto.json, SHA256SUMS, and the registry-shaped
 * module tree terraform-aws-self-runners/. docs/releasing.md describes the whole procedure.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildLambdas, type BuiltArtifact } from "../build-lambdas.js";
import { sha256, sha256sums, type Digested } from "./checksums.js";
import { builderFromEnvironment, provenanceStatement, type SourceRevision } from "./provenance.js";
import { layoutRegistryTree } from "./registry-tree.js";
import { bundledPackageDirs, cyclonedxSbom, describePackages } from "./sbom.js";
import { ReleaseRefused, checkReleasable } from "./version.js";

/** The emitted module, relative to the repository (stacks/build-module.ts's MODULE_DIR). */
const MODULE_DIR = join("modules-out", "terraform-aws-self-runners");
export const TREE_DIR = "terraform-aws-self-runners";

export interface ReleaseOptions {
  readonly repoRoot: string;
  readonly version: string | undefined;
  /** Write the release to `outDir`; otherwise only print what would be written. @default false */
  readonly apply?: boolean;
  /** @default <repoRoot>/dist/release/<version> */
  readonly outDir?: string;
  /** The registry namespace of the examples' `source = "<namespace>/self-runners/aws"`. @default "self-runners" */
  readonly namespace?: string;
  /** Release from a work tree with uncommitted changes (the provenance then says so). @default false */
  readonly allowDirty?: boolean;
  /** The source revision. @default read from git in repoRoot */
  readonly source?: SourceRevision & { readonly committedAt: string };
  /** Builds the zips into <repoRoot>/dist. @default buildLambdas */
  readonly build?: (repoRoot: string) => Promise<BuiltArtifact[]>;
  readonly env?: NodeJS.ProcessEnv;
  readonly log?: (line: string) => void;
}

export interface ReleaseResult {
  /** Where the release was written; undefined for a dry run. */
  readonly outDir: string | undefined;
  /** The SHA256SUMS entries: zips, SBOMs, provenance. */
  readonly sums: readonly Digested[];
  /** Files of the registry tree, relative to it. */
  readonly treeFiles: readonly string[];
}

/** The module path of a built artifact: the layer ships as lambdas/shared.zip. */
function modulePath(artifact: BuiltArtifact): string {
  return `lambdas/${basename(artifact.zip)}`;
}

/** Builds from a clean dist/ twice; refuses unless every zip is byte-identical across the builds. */
async function buildTwice(repoRoot: string, build: NonNullable<ReleaseOptions["build"]>, log: (line: string) => void) {
  const rounds: { artifacts: BuiltArtifact[]; zips: Map<string, Buffer> }[] = [];
  for (const round of [1, 2]) {
    rmSync(join(repoRoot, "dist"), { recursive: true, force: true });
    const artifacts = await build(repoRoot);
    rounds.push({ artifacts, zips: new Map(artifacts.map((a) => [modulePath(a), readFileSync(a.zip)])) });
    log(`build ${round}: ${artifacts.length} zips`);
  }
  const [first, second] = [rounds[0]!.zips, rounds[1]!.zips];
  const differing = [...new Set([...first.keys(), ...second.keys()])].filter((k) => !first.get(k) || !second.get(k) || !first.get(k)!.equals(second.get(k)!));
  if (differing.length > 0) throw new ReleaseRefused(`the two builds differ in ${differing.join(", ")}: the zips are not reproducible`);
  return rounds[1]!;
}

/** Refuses when the committed module's zips are not the ones just built (modules-out is stale). */
function checkCommittedZips(moduleDir: string, zips: ReadonlyMap<string, Buffer>): void {
  const committed = readdirSync(join(moduleDir, "lambdas")).filter((f) => f.endsWith(".zip")).map((f) => `lambdas/${f}`);
  const stale = [...new Set([...committed, ...zips.keys()])].filter((k) => !zips.has(k) || !existsSync(join(moduleDir, k)) || !readFileSync(join(moduleDir, k)).equals(zips.get(k)!));
  if (stale.length > 0) throw new ReleaseRefused(`${MODULE_DIR} does not hold the zips just built (${stale.join(", ")}): run npm run build and commit modules-out`);
}

function git(repoRoot: string, args: string[]): string | undefined {
  const result = spawnSync("git", args, { cwd: repoRoot, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** The commit being released, from git (and GitHub Actions' environment for the repository URL). */
export function sourceFromGit(repoRoot: string, env: NodeJS.ProcessEnv): SourceRevision & { committedAt: string } {
  const commit = git(repoRoot, ["rev-parse", "HEAD"]);
  if (!commit) throw new ReleaseRefused(`${repoRoot} is not a git work tree with a commit: the provenance must name the source commit`);
  const repository = env.GITHUB_REPOSITORY ? `${env.GITHUB_SERVER_URL ?? "https://github.com"}/${env.GITHUB_REPOSITORY}` : git(repoRoot, ["remote", "get-url", "origin"]);
  const ref = env.GITHUB_REF ? `@${env.GITHUB_REF}` : "";
  return {
    uri: repository ? `git+${repository}${ref}` : "git+local",
    commit,
    dirty: (git(repoRoot, ["status", "--porcelain"]) ?? "") !== "",
    committedAt: new Date(git(repoRoot, ["log", "-1", "--format=%cI"]) ?? 0).toISOString(),
  };
}

export async function release(options: ReleaseOptions): Promise<ReleaseResult> {
  const { repoRoot } = options;
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => console.log(line));
  const version = options.version;
  checkReleasable(version, readFileSync(join(repoRoot, "CHANGELOG.md"), "utf8"));
  const v = version!;
  const source = options.source ?? sourceFromGit(repoRoot, env);
  if (options.apply && source.dirty && !options.allowDirty) {
    throw new ReleaseRefused("the work tree has uncommitted changes: commit them (the provenance names the commit) or pass --allow-dirty");
  }
  const outDir = resolve(options.outDir ?? join(repoRoot, "dist", "release", v));
  if (options.apply && existsSync(outDir) && readdirSync(outDir).length > 0) throw new ReleaseRefused(`${outDir} is not empty: remove it or choose another --out`);

  const startedOn = new Date().toISOString();
  log(`${options.apply ? "release" : "dry run of release"} ${v} from ${source.commit}${source.dirty ? " (uncommitted changes)" : ""}`);
  const built = await buildTwice(repoRoot, options.build ?? buildLambdas, log);
  const moduleDir = join(repoRoot, MODULE_DIR);
  checkCommittedZips(moduleDir, built.zips);
  log("the two builds are byte-identical and equal the committed module's zips");

  // Outside the repository for a dry run: a temporary directory removed at the end.
  // (The build above rewrote dist/, so the out directory is created only now.)
  const staging = options.apply ? outDir : mkdtempSync(join(tmpdir(), "self-runners-release-"));
  try {
    const webUrl = /^git\+(https:\/\/[^@]+?)(?:\.git)?(?:@.*)?$/.exec(source.uri)?.[1];
    const treeFiles = layoutRegistryTree({
      repoRoot,
      moduleDir,
      outDir: join(staging, TREE_DIR),
      namespace: options.namespace ?? "self-runners",
      version: v,
      zips: built.zips,
      ...(webUrl ? { sourceLink: { url: webUrl, commit: source.commit } } : {}),
    });
    const lockfileSha256 = sha256(readFileSync(join(repoRoot, "package-lock.json")));
    const subjects: Digested[] = [];
    const write = (name: string, bytes: Uint8Array | string): void => {
      writeFileSync(join(staging, name), bytes);
      subjects.push({ name, sha256: sha256(bytes) });
    };
    for (const artifact of built.artifacts) {
      const zipName = basename(modulePath(artifact));
      const zip = built.zips.get(modulePath(artifact))!;
      write(zipName, zip);
      const sbom = cyclonedxSbom({
        artifact: zipName,
        artifactSha256: sha256(zip),
        version: v,
        packages: describePackages(repoRoot, bundledPackageDirs(artifact.metafile)),
        timestamp: source.committedAt,
      });
      write(zipName.replace(/\.zip$/, ".cdx.json"), `${JSON.stringify(sbom, null, 2)}\n`);
    }
    const provenance = provenanceStatement({
      subjects: [...subjects],
      version: v,
      source,
      ...builderFromEnvironment(env),
      lockfileSha256,
      startedOn,
      finishedOn: new Date().toISOString(),
      environment: { node: process.version, platform: `${process.platform}-${process.arch}` },
    });
    write("provenance.intoto.json", `${JSON.stringify(provenance, null, 2)}\n`);
    const sums = sha256sums(subjects);
    writeFileSync(join(staging, "SHA256SUMS"), sums);

    log(`${options.apply ? "wrote" : "would write"} ${outDir}:`);
    log(`  SHA256SUMS (sha256sum -c SHA256SUMS):`);
    for (const line of sums.trimEnd().split("\n")) log(`    ${line}`);
    log(`  ${TREE_DIR}/ (${treeFiles.length} files: the module at the root, examples/ on ${options.namespace ?? "self-runners"}/self-runners/aws ${v}):`);
    for (const file of treeFiles) log(`    ${file}`);
    if (!options.apply) log("dry run: nothing written; pass --apply to write it");
    return { outDir: options.apply ? outDir : undefined, sums: subjects, treeFiles };
  } finally {
    if (!options.apply) rmSync(staging, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      version: { type: "string" },
      apply: { type: "boolean", default: false },
      out: { type: "string" },
      namespace: { type: "string" },
      "allow-dirty": { type: "boolean", default: false },
    },
  });
  try {
    await release({
      repoRoot: resolve(fileURLToPath(import.meta.url), "..", "..", ".."),
      version: values.version,
      apply: values.apply,
      outDir: values.out,
      namespace: values.namespace,
      allowDirty: values["allow-dirty"],
    });
  } catch (error) {
    if (!(error instanceof ReleaseRefused)) throw error;
    console.error(`release refused: ${error.message}`);
    process.exitCode = 1;
  }
}
