import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compareVersions, terraformArgs } from "../../stacks/emit/terraform-cli.js";
import { cliConfig, providerMirror, runTerraformSync, tempDir, terraformBinary, terraformEnv } from "../helpers/terraform.js";

const scratch = tempDir("terraform-cli");
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe("terraformBinary", () => {
  it("finds terraform on PATH (this machine must have it)", () => {
    expect(fs.existsSync(terraformBinary())).toBe(true);
  });

  it("fails when terraform is not on PATH, saying what to install", () => {
    expect(() => terraformBinary({ PATH: scratch })).toThrow(
      "terraform >= 1.7 not found on PATH: install it (the Terraform CLI from HashiCorp, https://developer.hashicorp.com/terraform/install) or set TERRAFORM=/path/to/terraform",
    );
  });

  it("fails when TERRAFORM points at nothing", () => {
    expect(() => terraformBinary({ TERRAFORM: path.join(scratch, "nope") })).toThrow(/TERRAFORM=.*nope is not an executable file/);
  });

  it("fails when terraform is too old", () => {
    const fake = path.join(scratch, "old-terraform");
    fs.writeFileSync(fake, '#!/bin/sh\necho \'{"terraform_version":"1.6.6"}\'\n', { mode: 0o755 });
    expect(() => terraformBinary({ TERRAFORM: fake })).toThrow(/terraform 1\.6\.6 at .* is too old: install terraform >= 1\.7/);
  });
});

describe("providerMirror", () => {
  it("accepts the mirror of this machine", () => {
    expect(fs.existsSync(providerMirror())).toBe(true);
  });

  it("fails when the aws provider is missing, saying how to fill the mirror", () => {
    const call = () => providerMirror({ SELF_RUNNERS_TF_MIRROR: scratch });
    expect(call).toThrow(/hashicorp\/aws provider for \w+ is not in the Terraform provider mirror/);
    expect(call).toThrow(`terraform providers mirror -platform=`);
    expect(call).toThrow(`registry.terraform.io/hashicorp/aws/<version>/`);
  });
});

describe("cliConfig", () => {
  it("installs only hashicorp/aws, only from the mirror", () => {
    const config = cliConfig("/opt/tf-plugins");
    expect(config).toContain('path    = "/opt/tf-plugins"');
    expect(config).toContain('include = ["registry.terraform.io/hashicorp/aws"]');
    expect(config).not.toContain("direct");
    expect(config).toContain("disable_checkpoint = true");
  });

  it("installs nothing when no mirror is needed", () => {
    expect(cliConfig(null)).toContain('exclude = ["*/*/*"]');
  });
});

describe("terraformEnv", () => {
  it("points at our config and turns off prompts, update checks, caches and injected flags", () => {
    process.env.TF_PLUGIN_CACHE_DIR = "/tmp/cache";
    process.env.TF_CLI_ARGS_plan = "-refresh=false";
    try {
      const env = terraformEnv("/x/terraform.rc");
      expect(env).toMatchObject({ TF_CLI_CONFIG_FILE: "/x/terraform.rc", TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1" });
      expect(env.TF_PLUGIN_CACHE_DIR).toBeUndefined();
      expect(env.TF_CLI_ARGS_plan).toBeUndefined();
    } finally {
      delete process.env.TF_PLUGIN_CACHE_DIR;
      delete process.env.TF_CLI_ARGS_plan;
    }
  });

  it("gives Go's garbage collector more headroom (GOGC=400) unless GOGC is set", () => {
    expect(terraformEnv("/x/terraform.rc").GOGC).toBe("400");
    const before = process.env.GOGC;
    process.env.GOGC = "100";
    try {
      expect(terraformEnv("/x/terraform.rc").GOGC).toBe("100");
    } finally {
      if (before === undefined) delete process.env.GOGC;
      else process.env.GOGC = before;
    }
  });
});

describe("terraformArgs", () => {
  it.each([
    [["init", "-backend=false"], ["init", "-input=false", "-no-color", "-backend=false"]],
    [["validate"], ["validate", "-no-color"]],
    [["fmt", "-check"], ["fmt", "-no-color", "-check"]],
    [["plan", "-input=true"], ["plan", "-no-color", "-input=true"]],
    [["version"], ["version"]],
  ])("turns %j into %j", (args, expected) => {
    expect(terraformArgs(args)).toEqual(expected);
  });
});

describe("compareVersions", () => {
  it.each([
    ["1.11.4", "1.6.0", 1],
    ["1.6.0", "1.6", 0],
    ["1.5.7", "1.6.0", -1],
    ["1.10.0-beta1", "1.9.9", 1],
  ])("compares %s with %s", (a, b, sign) => {
    expect(compareVersions(a, b)).toBe(sign);
  });
});

describe("runTerraformSync", () => {
  it("runs terraform with our environment", () => {
    const result = runTerraformSync(["version"], scratch, { providers: false });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Terraform v1\./);
  });

  it("fails when the working directory does not exist", () => {
    expect(() => runTerraformSync(["version"], path.join(scratch, "missing"))).toThrow(/not a directory/);
  });
});
