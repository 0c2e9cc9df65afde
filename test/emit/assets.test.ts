import * as fs from "node:fs";
import * as path from "node:path";
import { App, AssetType, TerraformAsset, TerraformStack } from "../../stacks/cdktf.js";
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

function stack(): TerraformStack {
  return new TerraformStack(new App({ outdir: path.join(scratch, "out") }), "s");
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
  it("finds FILE assets and places them under the directory by file name", () => {
    const s = stack();
    const asset = new TerraformAsset(s, "webhook-zip", { path: file("a/webhook.zip", "a"), type: AssetType.FILE });
    expect(collectAssets(s, "lambdas")).toEqual([
      { source: path.join(scratch, "a/webhook.zip"), file: "lambdas/webhook.zip", synthesizedPath: asset.path },
    ]);
    expect(asset.path).toMatch(/^assets\/webhook-zip\/[0-9A-F]+\/webhook\.zip$/);
  });

  it("places templates (*.tftpl) under the template directory", () => {
    const s = stack();
    new TerraformAsset(s, "boot", { path: file("t/boot.sh.tftpl", "#!/bin/bash\n"), type: AssetType.FILE });
    new TerraformAsset(s, "zip", { path: file("t/fn.zip", "zip"), type: AssetType.FILE });
    expect(collectAssets(s, "lambdas", "scripts").map((a) => a.file).sort()).toEqual(["lambdas/fn.zip", "scripts/boot.sh.tftpl"]);
  });

  it("accepts the same file added twice", () => {
    const s = stack();
    new TerraformAsset(s, "one", { path: file("same/x.zip", "same"), type: AssetType.FILE });
    new TerraformAsset(s, "two", { path: file("same/x.zip", "same"), type: AssetType.FILE });
    expect(collectAssets(s, "lambdas").map((a) => a.file)).toEqual(["lambdas/x.zip", "lambdas/x.zip"]);
  });

  it("fails when two different files have the same name", () => {
    const s = stack();
    new TerraformAsset(s, "one", { path: file("b/index.zip", "one"), type: AssetType.FILE });
    new TerraformAsset(s, "two", { path: file("c/index.zip", "two"), type: AssetType.FILE });
    expect(() => collectAssets(s, "lambdas")).toThrow(/would both be shipped as lambdas\/index\.zip/);
  });

  it("fails when an asset is not a single file", () => {
    const s = stack();
    file("dir/handler.js", "x");
    new TerraformAsset(s, "dir", { path: path.join(scratch, "dir"), type: AssetType.ARCHIVE });
    expect(() => collectAssets(s, "lambdas")).toThrow(/only FILE assets can be shipped/);
  });
});
