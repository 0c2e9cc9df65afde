import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildModule } from "../../stacks/build-module.js";
import { DEFAULT_DIST_DIR, SelfRunners, SelfRunnersValidationError } from "../../stacks/index.js";
import { packagedZips } from "../../scripts/build-package.js";
import { buildApp } from "../../examples/cdktf/main.js";
import { tempDir } from "../helpers/terraform.js";
import { minimalProps, testStack } from "../helpers/synth.js";
import { REPO_ROOT, scratchDir } from "../helpers/paths.js";
import { filesNamingPaths, localBackendPath, machinePaths } from "./helpers.js";

function expectBuiltZips(): void {
  const missing = packagedZips(REPO_ROOT).filter((zip) => {
    try {
      readFileSync(join(REPO_ROOT, "dist", zip));
      return false;
    } catch {
      return true;
    }
  });
  expect(missing, "run npm run build:lambdas first").toEqual([]);
}

/** The synthesized copy of each asset file, by file name (`assets/<id>/<hash>/<name>`). */
function assetsByName(stackDir: string): Map<string, Buffer> {
  const text = readFileSync(join(stackDir, "cdk.tf.json"), "utf8");
  const paths = [...text.matchAll(/assets\/[^/"\\]+\/[0-9A-F]+\/([^"/)\\]+)/g)];
  return new Map(paths.map(([path, name]) => [name, readFileSync(join(stackDir, path))]));
}

// `npx cdktf synth` runs main.ts (cdktf.json), which synthesizes through buildModule; the example is
// the other app in the repository. Neither may name a path of this machine (the local backend's
// default is absolute), so the output can be committed, shared or diffed between machines.
describe("synthesized output names no path of this machine", () => {
  it("main.ts's module stack (npx cdktf synth from the repository)", () => {
    expectBuiltZips();
    const out = scratchDir("package-synth");
    buildModule({ repoRoot: REPO_ROOT, outDir: join(out, "module"), synthDir: join(out, "cdktf.out") });

    const backend = localBackendPath(join(out, "cdktf.out", "stacks", "self-runners", "cdk.tf.json"));
    expect(backend).toBe("../../../terraform.self-runners.tfstate");
    expect(filesNamingPaths(join(out, "cdktf.out"), machinePaths())).toEqual([]);
    expect(filesNamingPaths(join(out, "module"), machinePaths())).toEqual([]);
  });

  it("the CDKTF example, which finds the zips without a distDir", () => {
    expectBuiltZips();
    const out = scratchDir("package-example");
    buildApp(out).synth();
    const stackDir = join(out, "stacks", "ci-runners");

    expect(localBackendPath(join(stackDir, "cdk.tf.json"))).toBe("../../../terraform.ci-runners.tfstate");
    expect(filesNamingPaths(out, machinePaths())).toEqual([]);
    expect(assetsByName(stackDir).get("webhook.zip")?.equals(readFileSync(join(REPO_ROOT, "dist", "lambdas", "webhook.zip")))).toBe(true);
  });
});

describe("where SelfRunners finds the zips", () => {
  const cwd = process.cwd();
  afterEach(() => process.chdir(cwd));

  it("defaults to dist/ next to the code, whatever the working directory", () => {
    expect(isAbsolute(DEFAULT_DIST_DIR)).toBe(true);
    expect(DEFAULT_DIST_DIR).toBe(join(REPO_ROOT, "dist"));
  });

  it("resolves a relative distDir against the working directory, with no cdktf.json above it", () => {
    // Arrange: an app directory outside the repository (cdktf used to resolve relative asset paths
    // against cdktf.json and failed without one), holding its own zips.
    const app = tempDir("relative-dist");
    try {
      for (const zip of packagedZips(REPO_ROOT)) {
        mkdirSync(join(app, "own-zips", zip, ".."), { recursive: true });
        writeFileSync(join(app, "own-zips", zip), `own ${zip}`);
      }
      process.chdir(app);
      const { app: testApp, stack } = testStack();
      const outdir = testApp.outdir;

      // Act
      new SelfRunners(stack, "runners", minimalProps("own-zips"));
      testApp.synth();

      // Assert
      const assets = assetsByName(join(outdir, "stacks", "test"));
      expect(assets.get("webhook.zip")?.toString()).toBe(`own ${join("lambdas", "webhook.zip")}`);
      expect(assets.get("shared.zip")?.toString()).toBe(`own ${join("layers", "shared.zip")}`);
    } finally {
      process.chdir(cwd);
      rmSync(app, { recursive: true, force: true });
    }
  });

  it("fails when distDir holds no zips, naming the resolved path and how to build them", () => {
    const app = tempDir("empty-dist");
    try {
      process.chdir(app);
      const create = () => new SelfRunners(testStack().stack, "runners", minimalProps("missing"));
      expect(create).toThrow(SelfRunnersValidationError);
      expect(create).toThrow(`test/runners: invalid distDir ${JSON.stringify(join(app, "missing"))}; allowed: a directory holding`);
      expect(create).toThrow("npm run build:lambdas");
    } finally {
      process.chdir(cwd);
      rmSync(app, { recursive: true, force: true });
    }
  });
});
