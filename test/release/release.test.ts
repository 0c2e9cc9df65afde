import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { BuiltArtifact } from "../../scripts/build-lambdas.js";
import { parseSha256sums, sha256 } from "../../scripts/release/checksums.js";
import { TREE_DIR, release, type ReleaseOptions } from "../../scripts/release/release.js";
import { terraformRoots } from "../../scripts/release/registry-tree.js";
import { runTerraform } from "../../stacks/emit/terraform-cli.js";
import { REPO_ROOT, scratchDir } from "../helpers/paths.js";
import { cyclonedxErrors } from "./cyclonedx.js";

// The release runs on a copy of the repository's sources (node_modules linked), so its clean
// rebuilds of dist/ never disturb other tests reading the repository's dist/. The copy must still
// build zips byte-identical to the committed module's: bundles name files relative to the repository.

const MODULE = join("modules-out", "terraform-aws-self-runners");
const SOURCE = { uri: "git+https://github.com/acme/self-runners@refs/tags/v0.1.0", commit: "c".repeat(40), dirty: false, committedAt: "2026-12-06T00:00:00.000Z" };

function copyOfRepository(name: string): string {
  const root = scratchDir(name);
  for (const entry of ["lambdas", "contracts", "examples", MODULE, "package.json", "package-lock.json", "tsconfig.json", "LICENSE", "CHANGELOG.md"]) {
    cpSync(join(REPO_ROOT, entry), join(root, entry), { recursive: true });
  }
  symlinkSync(join(REPO_ROOT, "node_modules"), join(root, "node_modules"));
  return root;
}

/**
 * The function zips of the committed module. The release builds and attests these; the cache agent's
 * bundle and the redirect script beside them are not in it yet (the agent's reproducibility is tested in
 * test/cache-agent).
 */
function moduleZips(repoRoot: string): string[] {
  return readdirSync(join(repoRoot, MODULE, "lambdas")).filter((file) => file.endsWith(".zip"));
}

/** A build that copies fixed zips into dist/ the way buildLambdas lays them out. */
function fakeBuild(zipContent: (name: string, round: number) => Uint8Array): NonNullable<ReleaseOptions["build"]> {
  let round = 0;
  return async (repoRoot) => {
    round += 1;
    return moduleZips(repoRoot).map((file): BuiltArtifact => {
      const zip = file === "shared.zip" ? join(repoRoot, "dist", "layers", file) : join(repoRoot, "dist", "lambdas", file);
      mkdirSync(join(zip, ".."), { recursive: true });
      const bytes = zipContent(file, round);
      writeFileSync(zip, bytes);
      return { name: file.replace(/\.zip$/, ""), zip, bundleBytes: 0, zipBytes: bytes.byteLength, metafile: { inputs: {}, outputs: {} } };
    });
  };
}

function expectTerraformSuccess(result: { code: number; stdout: string; stderr: string }): void {
  expect(result.stderr + result.stdout, "terraform output").not.toMatch(/^Error:/m);
  expect(result.code).toBe(0);
}

describe("release refusals", () => {
  const repo = copyOfRepository("release-refusals");
  const committed = (root: string) => (file: string) => new Uint8Array(readFileSync(join(root, MODULE, "lambdas", file)));
  const quiet = { log: () => undefined, source: SOURCE };
  const noBuild: ReleaseOptions["build"] = async () => {
    throw new Error("must not build");
  };

  it("fails when the version is not semantic or has no CHANGELOG section, before building", async () => {
    await expect(release({ repoRoot: repo, version: "1.0", build: noBuild, ...quiet })).rejects.toThrow(/not a semantic version/);
    await expect(release({ repoRoot: repo, version: "9.9.9", build: noBuild, ...quiet })).rejects.toThrow(/CHANGELOG\.md has no "## \[9\.9\.9\]/);
  });

  it("fails with --apply on a work tree with uncommitted changes, unless allowed", async () => {
    await expect(release({ repoRoot: repo, version: "0.1.0", apply: true, build: noBuild, ...quiet, source: { ...SOURCE, dirty: true } })).rejects.toThrow(/uncommitted changes/);
  });

  it("fails when the two builds are not byte-identical, naming the zips", async () => {
    const build = fakeBuild((file, round) => (file === "webhook.zip" ? new Uint8Array([round]) : committed(repo)(file)));
    await expect(release({ repoRoot: repo, version: "0.1.0", build, ...quiet })).rejects.toThrow(/two builds differ in lambdas\/webhook\.zip: /);
  });

  it("fails when the committed module holds other zips than the build (modules-out is stale)", async () => {
    const build = fakeBuild((file) => (file === "reconcile.zip" ? new Uint8Array([1, 2, 3]) : committed(repo)(file)));
    await expect(release({ repoRoot: repo, version: "0.1.0", build, ...quiet })).rejects.toThrow(/does not hold the zips just built \(lambdas\/reconcile\.zip\): run npm run build/);
  });

  it("writes nothing on a dry run, and prints every file with its checksum", async () => {
    const lines: string[] = [];
    const outDir = join(repo, "out-dry");
    const result = await release({ repoRoot: repo, version: "0.1.0", outDir, build: fakeBuild(committed(repo)), source: SOURCE, log: (l) => lines.push(l) });
    expect(result.outDir).toBeUndefined();
    expect(existsSync(outDir)).toBe(false);
    const printed = lines.join("\n");
    expect(printed).toContain(`would write ${outDir}:`);
    for (const { name, sha256: digest } of result.sums) expect(printed).toContain(`${digest}  ${name}`);
    expect(printed).toContain("dry run: nothing written; pass --apply to write it");
  });

  it("fails with --apply when the out directory is not empty", async () => {
    const outDir = join(repo, "out-busy");
    mkdirSync(outDir);
    writeFileSync(join(outDir, "keep"), "");
    await expect(release({ repoRoot: repo, version: "0.1.0", apply: true, outDir, build: noBuild, ...quiet })).rejects.toThrow(/is not empty/);
  });
});

describe("a release (two real builds, --apply)", () => {
  const repo = copyOfRepository("release-apply");
  const outDir = join(repo, "release-out");
  const tree = join(outDir, TREE_DIR);
  const lines: string[] = [];
  let sums: { name: string; sha256: string }[];

  beforeAll(async () => {
    await release({ repoRoot: repo, version: "0.1.0", apply: true, outDir, namespace: "acme", source: SOURCE, log: (l) => lines.push(l) });
    sums = parseSha256sums(readFileSync(join(outDir, "SHA256SUMS"), "utf8"));
  }, 300_000);

  it("builds twice, checks the zips are byte-identical and equal the committed module's", () => {
    expect(lines).toContain("the two builds are byte-identical and equal the committed module's zips");
    for (const file of moduleZips(REPO_ROOT)) {
      expect(sha256(readFileSync(join(outDir, file))), file).toBe(sha256(readFileSync(join(REPO_ROOT, MODULE, "lambdas", file))));
    }
  });

  it("writes SHA256SUMS over every zip, SBOM and the provenance, which sha256sum -c accepts", () => {
    const zips = moduleZips(REPO_ROOT);
    expect(sums.map((s) => s.name).sort()).toEqual([...zips, ...zips.map((z) => z.replace(/\.zip$/, ".cdx.json")), "provenance.intoto.json"].sort());
    const check = spawnSync("sha256sum", ["-c", "SHA256SUMS"], { cwd: outDir, encoding: "utf8" });
    expect(check.stdout.trim().split("\n")).toHaveLength(sums.length);
    expect(check.status, check.stdout + check.stderr).toBe(0);
  });

  it("writes a valid CycloneDX SBOM per zip naming the zip by sha256 and the bundled packages by purl and version", () => {
    const digest = new Map(sums.map((s) => [s.name, s.sha256]));
    for (const sbomFile of sums.filter((s) => s.name.endsWith(".cdx.json")).map((s) => s.name)) {
      const bom = JSON.parse(readFileSync(join(outDir, sbomFile), "utf8"));
      expect(cyclonedxErrors(bom), sbomFile).toEqual([]);
      const zip = sbomFile.replace(/\.cdx\.json$/, ".zip");
      expect(bom.metadata.component.hashes).toEqual([{ alg: "SHA-256", content: digest.get(zip) }]);
    }
    const layer = JSON.parse(readFileSync(join(outDir, "shared.cdx.json"), "utf8")) as { components: { purl: string; licenses?: unknown[]; hashes?: unknown[] }[] };
    const octokit = JSON.parse(readFileSync(join(REPO_ROOT, "node_modules", "@octokit", "core", "package.json"), "utf8")) as { version: string };
    const purls = layer.components.map((c) => c.purl);
    expect(purls).toContain(`pkg:npm/%40octokit/core@${octokit.version}`);
    expect(purls.some((p) => p.startsWith("pkg:npm/%40aws-lambda-powertools/logger@"))).toBe(true);
    // Bundled only: the constructs' libraries never reach a zip.
    expect(purls.some((p) => /cdktf|constructs/.test(p))).toBe(false);
    expect(layer.components.every((c) => c.licenses && c.hashes)).toBe(true);
  });

  it("writes an in-toto statement naming every other artifact by sha256, the source commit and the builder", () => {
    const statement = JSON.parse(readFileSync(join(outDir, "provenance.intoto.json"), "utf8"));
    const subjects = statement.subject.map((s: { name: string; digest: { sha256: string } }) => ({ name: s.name, sha256: s.digest.sha256 }));
    expect(subjects.sort((a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name))).toEqual(sums.filter((s) => s.name !== "provenance.intoto.json").sort((a, b) => a.name.localeCompare(b.name)));
    expect(statement.predicate.buildDefinition.externalParameters).toEqual({ version: "0.1.0", source: { uri: SOURCE.uri, digest: { gitCommit: SOURCE.commit } } });
    expect(statement.predicate.runDetails.builder.id).toBeTruthy();
  });

  it("lays out a registry-shaped tree: the module at the root, LICENSE, README, versions.tf, zips, examples on the registry source", () => {
    const files = readdirSync(tree, { recursive: true }).map(String);
    for (const f of ["LICENSE", "README.md", "CHANGELOG.md", "versions.tf", "main.tf", "variables.tf", "outputs.tf", "lambdas/shared.zip", "templates/runner-bootstrap.sh.tftpl"]) expect(files).toContain(f);
    expect(terraformRoots(join(tree, "examples"))).toEqual(["basic", "environments/dev", "environments/prod", "org-multi-pool"]);
    for (const root of terraformRoots(join(tree, "examples"))) {
      const hcl = readFileSync(join(tree, "examples", root, "main.tf"), "utf8");
      expect(hcl, root).toContain('  source  = "acme/self-runners/aws"\n  version = "0.1.0"\n');
      expect(hcl, root).not.toContain("modules-out");
    }
    const readme = readFileSync(join(tree, "README.md"), "utf8");
    expect(readme).toContain('source  = "acme/self-runners/aws"');
    expect(readme).toContain(`(https://github.com/acme/self-runners/blob/${SOURCE.commit}/README.md)`);
    expect(readme).not.toContain("](../");
  });

  it("is terraform fmt clean", async () => {
    expectTerraformSuccess(await runTerraform(["fmt", "-check", "-recursive"], tree, { providers: false }));
  });

  it("validates as a module and every example validates with its source pointed at the tree (terraform validate, local mirror)", async () => {
    const dataDir = scratchDir("release-tree");
    expectTerraformSuccess(await runTerraform(["init", "-backend=false"], tree, { env: { TF_DATA_DIR: join(dataDir, "root") } }));
    expectTerraformSuccess(await runTerraform(["validate"], tree, { env: { TF_DATA_DIR: join(dataDir, "root") } }));
    for (const root of terraformRoots(join(tree, "examples"))) {
      const dir = join(tree, "examples", root);
      const file = join(dir, "main.tf");
      const toTree = `${"../".repeat(root.split("/").length + 1)}`.replace(/\/$/, "");
      // The registry cannot be reached offline: the same example with the tree as a local source.
      writeFileSync(file, readFileSync(file, "utf8").replace('  source  = "acme/self-runners/aws"\n  version = "0.1.0"\n', `  source = "${toTree}"\n`));
      const env = { TF_DATA_DIR: join(dataDir, root.replace(/\//g, "-")) };
      expectTerraformSuccess(await runTerraform(["init", "-backend=false"], dir, { env }));
      const result = await runTerraform(["validate"], dir, { env });
      expectTerraformSuccess(result);
      expect(result.stdout, root).toContain("Success! The configuration is valid.");
    }
    rmSync(dataDir, { recursive: true, force: true });
  }, 600_000);
});
