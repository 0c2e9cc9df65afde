import * as fs from "node:fs";
import * as path from "node:path";
import { App, AssetType, TerraformAsset, TerraformOutput, TerraformStack } from "../../stacks/cdktf.js";
import { afterAll, describe, expect, it } from "vitest";
import { collectAssets, rewriteAssetPaths } from "../../stacks/emit/assets.js";
import { tempDir } from "../helpers/terraform.js";

const scratch = tempDir("assets");
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

function file(relative: string, content: string): string {
  const target = path.join(scratch, relative);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, content);
  return target;
}

describe("rewriteAssetPaths", () => {
  const assets = [
    { synthesizedPath: "assets/webhook/ABC/webhook.zip", file: "lambdas/webhook.zip" },
    { synthesizedPath: "assets/webhook-2/DEF/webhook.zip", file: "lambdas/webhook2.zip" },
  ];
  it.each([
    ['filename = "assets/webhook/ABC/webhook.zip"', 'filename = "${path.module}/lambdas/webhook.zip"'],
    [
      'source_code_hash = filebase64sha256("assets/webhook/ABC/webhook.zip")',
      'source_code_hash = filebase64sha256("${path.module}/lambdas/webhook.zip")',
    ],
    ['a = "assets/webhook-2/DEF/webhook.zip"', 'a = "${path.module}/lambdas/webhook2.zip"'],
    ['untouched = "assets/other/X/o.zip"', 'untouched = "assets/other/X/o.zip"'],
  ])("rewrites %s", (hcl, expected) => {
    expect(rewriteAssetPaths(hcl, assets)).toBe(expected);
  });
});

describe("collectAssets", () => {
  /** A synth directory holding `assets/<id>/<hash>/<name>` files (or a directory when content is null). */
  function synthDir(entries: Record<string, string | null>): string {
    const dir = fs.mkdtempSync(path.join(scratch, "stack-"));
    for (const [relative, content] of Object.entries(entries)) {
      const target = path.join(dir, relative);
      if (content === null) fs.mkdirSync(target, { recursive: true });
      else {
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, content);
      }
    }
    return dir;
  }
  const uses = (...paths: string[]) => ({ resource: { r: { a: { files: paths.map((p) => `\${filebase64sha256("${p}")}`) } } } });

  it("ships referenced files by name: zips under the directory, templates under the template directory", () => {
    const dir = synthDir({ "assets/webhook-zip/AB12/webhook.zip": "zip", "assets/boot/CD34/boot.sh.tftpl": "#!/bin/bash\n" });
    expect(collectAssets(dir, uses("assets/webhook-zip/AB12/webhook.zip", "assets/boot/CD34/boot.sh.tftpl"), "lambdas", "scripts")).toEqual([
      { source: path.join(dir, "assets", "boot", "CD34", "boot.sh.tftpl"), file: "scripts/boot.sh.tftpl", synthesizedPath: "assets/boot/CD34/boot.sh.tftpl" },
      { source: path.join(dir, "assets", "webhook-zip", "AB12", "webhook.zip"), file: "lambdas/webhook.zip", synthesizedPath: "assets/webhook-zip/AB12/webhook.zip" },
    ]);
  });

  it("leaves out asset folders the configuration no longer refers to (cdktf does not remove them)", () => {
    const dir = synthDir({ "assets/old/EF56/old.zip": "old", "assets/new/AB12/new.zip": "new" });
    expect(collectAssets(dir, uses("assets/new/AB12/new.zip"), "lambdas").map((a) => a.file)).toEqual(["lambdas/new.zip"]);
  });

  it("accepts the same file added twice", () => {
    const dir = synthDir({ "assets/one/AB12/x.zip": "same", "assets/two/AB12/x.zip": "same" });
    expect(collectAssets(dir, uses("assets/one/AB12/x.zip", "assets/two/AB12/x.zip"), "lambdas").map((a) => a.file)).toEqual(["lambdas/x.zip", "lambdas/x.zip"]);
  });

  it("fails when two different files have the same name", () => {
    const dir = synthDir({ "assets/one/AB12/index.zip": "one", "assets/two/CD34/index.zip": "two" });
    expect(() => collectAssets(dir, uses("assets/one/AB12/index.zip", "assets/two/CD34/index.zip"), "lambdas")).toThrow(/would both be shipped as lambdas\/index\.zip/);
  });

  it("fails when an asset is not a single file", () => {
    const dir = synthDir({ "assets/dir/AB12/handler": null });
    expect(() => collectAssets(dir, uses("assets/dir/AB12/handler"), "lambdas")).toThrow(/only FILE assets can be shipped/);
  });

  it("finds the assets cdktf synthesizes for a stack", () => {
    const app = new App({ outdir: path.join(scratch, "out") });
    const s = new TerraformStack(app, "s");
    const asset = new TerraformAsset(s, "webhook-zip", { path: file("a/webhook.zip", "a"), type: AssetType.FILE });
    new TerraformOutput(s, "zip", { value: asset.path });
    app.synth();
    const stackDir = path.join(scratch, "out", "stacks", "s");
    const json = JSON.parse(fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8"));
    expect(collectAssets(stackDir, json, "lambdas")).toEqual([{ source: path.join(stackDir, asset.path), file: "lambdas/webhook.zip", synthesizedPath: asset.path }]);
  });
});
