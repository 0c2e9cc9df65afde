import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPackage, packagedZips } from "../../scripts/build-package.js";
import { CACHE_AGENT_BUNDLE } from "../../contracts/build-cache.js";
import { buildCli } from "../../scripts/build-cli.js";
import { BIN_BUNDLE, bundle } from "../../scripts/build-plan-comment.js";
import { runTerraform } from "../../stacks/emit/terraform-cli.js";
import { tempDir } from "../helpers/terraform.js";
import { REPO_ROOT } from "../helpers/paths.js";
import { filesNamingPaths, localBackendPath, machinePaths, run, type CommandResult } from "./helpers.js";

const require = createRequire(import.meta.url);
const installedVersion = (name: string): string => (require(`${name}/package.json`) as { version: string }).version;

// A CDKTF user's app, outside the repository: TypeScript against the package's declarations, the
// zips found inside the package (no distDir), its own zips through a relative distDir, and a
// relative local backend (cdktf's default is an absolute path).
const APP_MAIN = `import { App, LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider/index.js";
import { SelfRunners, type SelfRunnersProps } from "self-runners";

const props: SelfRunnersProps = {
  githubAppId: "123456",
  vpcId: "vpc-0123456789abcdef0",
  runnerSubnetIds: ["subnet-0123456789abcdef0"],
  pools: { linux: { labels: ["linux", "x64"], instanceTypes: ["m7i.large"] } },
};

const app = new App();
for (const [id, distDir] of [["ci-runners", undefined], ["own-zips", "zips"]] as const) {
  const stack = new TerraformStack(app, id);
  new LocalBackend(stack, { path: \`terraform.\${id}.tfstate\` });
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  const runners = new SelfRunners(stack, "runners", { ...props, distDir });
  new TerraformOutput(stack, "webhook_url", { value: runners.api.webhookUrl });
}
app.synth();
`;

const APP_TSCONFIG = {
  compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, skipLibCheck: true, types: [] },
  files: ["main.ts"],
};

const APP_CDKTF_JSON = { language: "typescript", app: "node main.js", output: "cdktf.out", projectId: "pack-test", sendCrashReports: "false" };

function expectSuccess(result: CommandResult, what: string): void {
  expect(result.code, `${what} failed:\n${result.output}`).toBe(0);
}

// npm pack -> npm install --offline into a fresh app outside the repository -> tsc -> cdktf synth ->
// terraform validate. Offline: the peers are installed at the versions this repository uses, which
// npm ci left in the npm cache; the package itself depends on nothing else (the zips are bundled).
describe("the npm package, installed into a fresh CDKTF app", () => {
  let work: string;
  let app: string;
  let packed: { filename: string; files: Array<{ path: string }> };
  let synthOut: string;

  beforeAll(async () => {
    const missing = packagedZips(REPO_ROOT).filter((zip) => !existsSync(join(REPO_ROOT, "dist", zip)));
    expect(missing, "run npm run build:lambdas first").toEqual([]);
    work = tempDir("pack");
    app = join(work, "app");
    mkdirSync(app);

    // npm pack's prepack would rebuild the zips too; they are fresh already, so only lib/ and the bins
    // are built here (plan-comment's bin alone: its build also rewrites the committed Action bundle).
    buildPackage(REPO_ROOT);
    await buildCli(REPO_ROOT);
    mkdirSync(join(REPO_ROOT, BIN_BUNDLE, ".."), { recursive: true });
    writeFileSync(join(REPO_ROOT, BIN_BUNDLE), await bundle("tools/plan-comment/cli.ts"), { mode: 0o755 });
    const pack = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], REPO_ROOT);
    expectSuccess(pack, "npm pack");
    [packed] = JSON.parse(pack.stdout) as Array<typeof packed>;

    writeFileSync(join(app, "package.json"), `${JSON.stringify({ name: "pack-test-app", private: true, type: "module" }, null, 2)}\n`);
    writeFileSync(join(app, "main.ts"), APP_MAIN);
    writeFileSync(join(app, "tsconfig.json"), JSON.stringify(APP_TSCONFIG, null, 2));
    writeFileSync(join(app, "cdktf.json"), JSON.stringify(APP_CDKTF_JSON, null, 2));
    for (const zip of packagedZips(REPO_ROOT)) {
      mkdirSync(join(app, "zips", zip, ".."), { recursive: true });
      writeFileSync(join(app, "zips", zip), `own ${zip}`);
    }

    const peers = ["cdktf", "constructs", "@cdktf/provider-aws"].map((name) => `${name}@${installedVersion(name)}`);
    const install = await run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", join(work, packed.filename), ...peers], app);
    expectSuccess(install, "npm install --offline (the peers must be in the npm cache: npm ci fills it)");
    expectSuccess(await run(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.json"], app), "tsc in the app");
    const cdktf = join(require.resolve("cdktf-cli/package.json"), "..", (require("cdktf-cli/package.json") as { bin: { cdktf: string } }).bin.cdktf);
    expectSuccess(await run(process.execPath, [cdktf, "synth"], app, { CHECKPOINT_DISABLE: "1", CI: "1" }), "cdktf synth in the app");
    synthOut = join(app, "cdktf.out");
  });

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("packs the compiled constructs, their declarations, the templates and every zip, and no sources", () => {
    const files = packed.files.map((file) => file.path);
    expect(files).toEqual(expect.arrayContaining(["package.json", "README.md", "lib/stacks/index.js", "lib/stacks/index.d.ts", "lib/stacks/templates/runner-bootstrap.sh.tftpl"]));
    expect(files).toEqual(expect.arrayContaining(packagedZips(REPO_ROOT).map((zip) => `lib/dist/${zip}`)));
    expect(files.filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))).toEqual([]);
    // Besides the zips, only the build cache agent's bundle (the module uploads it for the runners).
    expect(files.filter((file) => file.startsWith("lib/dist/") && !file.endsWith(".zip"))).toEqual([`lib/${CACHE_AGENT_BUNDLE}`]);
    // Sources, tests, the build's staging folders and the emitted module stay out (the zips are in lib/dist).
    expect(files.filter((file) => /^(stacks|lambdas|contracts|layers|scripts|test|examples|modules-out|node_modules)\//.test(file))).toEqual([]);
    expect(files.filter((file) => /^dist\/(lambdas|layers)\//.test(file))).toEqual([]);
  });

  it("installs offline with the peers only (nothing the zips and bins already bundle)", () => {
    const manifest = JSON.parse(readFileSync(join(app, "node_modules", "self-runners", "package.json"), "utf8")) as Record<string, unknown>;
    expect(manifest.dependencies).toBeUndefined();
    expect(Object.keys(manifest.peerDependencies as object).sort()).toEqual(["@cdktf/provider-aws", "cdktf", "constructs"]);
  });

  it("ships every bin, and each runs from the installed package", async () => {
    const bins = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { bin: Record<string, string> }).bin;
    expect(packed.files.map((file) => file.path)).toEqual(expect.arrayContaining(Object.values(bins)));
    for (const name of Object.keys(bins)) {
      const help = await run(join(app, "node_modules", ".bin", name), ["--help"], app);
      expect(help.code, `${name} --help:\n${help.output}`).toBe(0);
      expect(help.stdout.toLowerCase()).toContain("usage");
    }
  });

  it("synthesizes with the zips from inside the package when no distDir is given", () => {
    const stackDir = join(synthOut, "stacks", "ci-runners");
    const synth = readFileSync(join(stackDir, "cdk.tf.json"), "utf8");
    const [webhookAsset] = synth.match(/assets\/[^"/\\]+\/[0-9A-F]+\/webhook\.zip/) ?? [];
    expect(webhookAsset).toBeDefined();
    const shipped = readFileSync(join(app, "node_modules", "self-runners", "lib", "dist", "lambdas", "webhook.zip"));
    expect(readFileSync(join(stackDir, webhookAsset!)).equals(shipped)).toBe(true);
  });

  it("takes a relative distDir from the app's working directory", () => {
    const stackDir = join(synthOut, "stacks", "own-zips");
    const synth = readFileSync(join(stackDir, "cdk.tf.json"), "utf8");
    const [webhookAsset] = synth.match(/assets\/[^"/\\]+\/[0-9A-F]+\/webhook\.zip/) ?? [];
    expect(readFileSync(join(stackDir, webhookAsset!), "utf8")).toBe("own lambdas/webhook.zip");
  });

  it("names no path of this machine in the synthesized output", () => {
    expect(localBackendPath(join(synthOut, "stacks", "ci-runners", "cdk.tf.json"))).toBe("terraform.ci-runners.tfstate");
    expect(filesNamingPaths(synthOut, machinePaths(app, work))).toEqual([]);
  });

  it("passes terraform validate (hashicorp/aws from the local mirror)", async () => {
    const stackDir = join(synthOut, "stacks", "ci-runners");
    const init = await runTerraform(["init", "-backend=false"], stackDir);
    expect(init.code, init.stderr || init.stdout).toBe(0);
    const validate = await runTerraform(["validate"], stackDir);
    expect(validate.stderr).toBe("");
    expect(validate.stdout).toContain("Success! The configuration is valid.");
  });
});
