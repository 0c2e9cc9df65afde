import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { providerMirror, runTerraform } from "../../stacks/emit/terraform-cli.js";
import { scratchDir } from "../helpers/paths.js";
import { installedAwsProvider, startReattachedProvider } from "../helpers/reattached-provider.js";

// The terraform tier's `terraform test` processes share one aws provider (test/helpers/terraform-tests.ts).

/**
 * A directory laid out as `terraform init` leaves it: the provider linked from an unpacked mirror, or
 * installed by `terraform init` from a mirror of zips.
 */
async function initializedDir(): Promise<string> {
  const dir = scratchDir("reattach");
  const mirror = join(providerMirror(), "registry.terraform.io", "hashicorp", "aws");
  const version = readdirSync(mirror).find((entry) => !entry.endsWith(".zip"));
  if (version === undefined) {
    writeFileSync(join(dir, "main.tf"), 'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n  }\n}\n');
    const init = await runTerraform(["init", "-backend=false"], dir);
    expect(init.code, init.stdout + init.stderr).toBe(0);
    return dir;
  }
  const platform = readdirSync(join(mirror, version))[0];
  const binary = readdirSync(join(mirror, version, platform)).find((f) => f.startsWith("terraform-provider-aws")) as string;
  const target = join(dir, ".terraform", "providers", "registry.terraform.io", "hashicorp", "aws", version, platform);
  mkdirSync(target, { recursive: true });
  symlinkSync(join(mirror, version, platform, binary), join(target, binary));
  return dir;
}

describe("the reattached aws provider", () => {
  it("serves until stopped and says how terraform reaches it (TF_REATTACH_PROVIDERS)", async () => {
    const provider = await startReattachedProvider(await initializedDir());
    try {
      const reattach = JSON.parse(provider.env.TF_REATTACH_PROVIDERS) as Record<string, { Pid: number; Addr: { Network: string } }>;
      expect(Object.keys(reattach)).toEqual(["registry.terraform.io/hashicorp/aws"]);
      expect(reattach["registry.terraform.io/hashicorp/aws"].Pid).toBe(provider.pid);
      expect(() => process.kill(provider.pid, 0), "the provider runs").not.toThrow();
    } finally {
      await provider.stop();
    }
    expect(() => process.kill(provider.pid, 0), "the provider ended").toThrow();
  });

  it("fails when terraform init has not installed the aws provider, saying so", () => {
    expect(() => installedAwsProvider(scratchDir("no-init"))).toThrow(/expected one hashicorp\/aws provider under .* \(run terraform init there first\), found 0/);
  });
});
