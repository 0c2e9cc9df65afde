import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { MODULE_DIR } from "../../stacks/build-module.js";
import { SelfRunnersValidationError } from "../../stacks/errors.js";
import { DEEP_LEARNING_BASE_AMI_PARAMETERS, DEFAULT_AMI_PARAMETERS } from "../../stacks/pools-os.js";
import { RUNNER_BOOTSTRAP_TEMPLATES } from "../../stacks/runner-bootstrap.js";
import { SelfRunners } from "../../stacks/self-runners.js";
import { REPO_ROOT } from "../helpers/paths.js";
import { fakeDistDir, minimalProps, resourceOf, resourcesOf, synthJson, testStack } from "../helpers/synth.js";

// The OS dimension of pools (stacks/pools-os.ts): defaults per OS and architecture, the AMI from an SSM
// parameter or an owner + name filter, the bootstrap per host, and the rules the module shares.

let distDir: string;
beforeAll(() => {
  distDir = fakeDistDir();
});

type Pools = NonNullable<Parameters<typeof minimalProps>[1]>["pools"];

function synth(pools: Pools) {
  const { stack } = testStack();
  new SelfRunners(stack, "runners", minimalProps(distDir, { pools }));
  return synthJson(stack);
}

const pool = (extra: Record<string, unknown>) => ({ labels: ["linux"], instanceTypes: ["m7i.large"], ...extra });

describe("pool OS defaults", () => {
  it("picks the latest image of the OS, distribution and architecture from its public SSM parameter", () => {
    const lt = resourceOf(
      synth({
        al: pool({ labels: ["al"] }),
        "al-arm": pool({ labels: ["al-arm"], architecture: "arm64", instanceTypes: ["m7g.large"] }),
        jammy: pool({ labels: ["jammy"], linuxDistribution: "ubuntu-22.04" }),
        noble: pool({ labels: ["noble"], linuxDistribution: "ubuntu-24.04" }),
        "noble-arm": pool({ labels: ["noble-arm"], linuxDistribution: "ubuntu-24.04", architecture: "arm64", instanceTypes: ["c7g.large"] }),
        win: pool({ labels: ["windows"], os: "windows" }),
      }),
      "aws_launch_template",
      "runner_launch-template",
    );
    const parameters = Object.fromEntries(Object.entries(lt.for_each as Record<string, { ami_ssm_parameter: string }>).map(([key, p]) => [key, p.ami_ssm_parameter]));
    expect(parameters).toEqual({
      al: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
      "al-arm": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
      jammy: "/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id",
      noble: "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id",
      "noble-arm": "/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id",
      win: "/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base",
    });
  });

  it("keeps a pool's own SSM parameter (the GPU pool's Deep Learning Base AMI)", () => {
    const lt = resourceOf(
      synth({ gpu: pool({ labels: ["gpu"], instanceTypes: ["g5.xlarge"], amiSsmParameter: DEEP_LEARNING_BASE_AMI_PARAMETERS.x64, rootVolumeSize: 200 }) }),
      "aws_launch_template",
      "runner_launch-template",
    );
    expect((lt.for_each as Record<string, Record<string, unknown>>).gpu).toMatchObject({ ami_ssm_parameter: DEEP_LEARNING_BASE_AMI_PARAMETERS.x64, root_volume_size: 200, os: "linux" });
  });

  it("offers every default under /aws/service/, which scale-up may resolve (ssm:GetParameters)", () => {
    const all = [...Object.values(DEFAULT_AMI_PARAMETERS).flatMap((byArch) => Object.values(byArch)), ...Object.values(DEEP_LEARNING_BASE_AMI_PARAMETERS)];
    for (const parameter of all) expect(parameter).toMatch(/^\/aws\/service\//);
  });
});

describe("pool AMI by owner + name filter", () => {
  it("looks the newest matching image of the pool's architecture up at plan, for those pools only, and launches it", () => {
    const json = synth({
      baked: pool({ labels: ["baked"], amiOwners: ["123456789012"], amiNameFilter: "sr-runner-*" }),
      linux: pool({}),
    });
    const amis = Object.values(json.data?.aws_ami ?? {});
    expect(amis).toHaveLength(1);
    const ami = amis[0] as Record<string, unknown>;
    expect(ami).toMatchObject({ most_recent: true, owners: "${each.value.ami_owners}" });
    expect(String(ami.for_each)).toContain('if val.ami_name_filter != ""');
    expect(ami.filter).toEqual([
      { name: "name", values: ["${each.value.ami_name_filter}"] },
      { name: "architecture", values: [expect.stringContaining('"arm64"')] },
    ]);
    const lt = resourceOf(json, "aws_launch_template", "runner_launch-template");
    expect((lt.for_each as Record<string, Record<string, unknown>>).baked).toMatchObject({ ami_ssm_parameter: "", ami_name_filter: "sr-runner-*" });
    expect(String(lt.image_id)).toMatch(/length\(each\.value\.ami_name_filter\) < 1\) \? "resolve:ssm:\$\{each\.value\.ami_ssm_parameter\}" : .*data\.aws_ami\./);
  });
});

describe("launch template per host", () => {
  it("boots each pool with its host's bootstrap: Amazon Linux, Ubuntu, or Windows as <powershell> user data", () => {
    const lt = resourceOf(synth({ linux: pool({}) }), "aws_launch_template", "runner_launch-template");
    const userData = String(lt.user_data);
    for (const [family, template] of Object.entries(RUNNER_BOOTSTRAP_TEMPLATES)) expect(userData).toMatch(new RegExp(`"${family}" = "assets/[^"]+/${template.replaceAll(".", "\\.")}"`));
    expect(userData).toContain('[(each.value.os == "windows") ? "windows" : startswith(each.value.linux_distribution, "ubuntu") ? "ubuntu" : "al2023"]');
    expect(userData).toMatch(/^\$\{base64encode\(format\(\(each\.value\.os == "windows"\) \? "<powershell>\\n%s<\/powershell>\\n" : "%s", templatefile\(/);
  });

  it("sizes the AMI's own root device: /dev/xvda on Amazon Linux, /dev/sda1 on Ubuntu and Windows", () => {
    const lt = resourceOf(synth({ linux: pool({}) }), "aws_launch_template", "runner_launch-template");
    // The root volume is the first item of the dynamic block's list (stacks/runner-volumes.ts), extra volumes after it.
    const volumes = (lt.dynamic as { block_device_mappings: { for_each: string } }).block_device_mappings.for_each;
    expect(volumes).toMatch(/concat\(\[\{"device_name" = /);
    expect(volumes).toMatch(/each\.value\.os == "windows"\) \|\| startswith\(each\.value\.linux_distribution, "ubuntu"\)\) \? "\/dev\/sda1" : "\/dev\/xvda"/);
  });

  it("accepts a Windows pool with Chocolatey packages and the instance store, and hands both to its document (no longer refused)", () => {
    const lt = resourceOf(synth({ win: pool({ labels: ["windows"], os: "windows", instanceTypes: ["m6id.xlarge"], extraPackages: ["git", "7zip.install"], useInstanceStore: true }) }), "aws_launch_template", "runner_launch-template");
    expect((lt.for_each as Record<string, { extra_packages: string[]; use_instance_store: boolean }>).win).toMatchObject({ os: "windows", extra_packages: ["git", "7zip.install"], use_instance_store: true });
  });

  it("has the syncer copy the Windows runner when a pool runs Windows", () => {
    const functions = resourcesOf(synth({ linux: pool({}) }), "aws_lambda_function");
    const syncer = Object.entries(functions).find(([id]) => id.includes("binaries"))?.[1] as { environment: { variables: Record<string, string> } };
    expect(syncer.environment.variables.RUNNER_PLATFORMS).toContain('format(val.os == "windows" ? "win-%s" : "linux-%s", val.architecture)');
  });
});

describe("pool OS rules: refused in the module's words", () => {
  const hclMessages = readdirSync(join(REPO_ROOT, MODULE_DIR))
    .filter((file) => file.endsWith(".tf"))
    .flatMap((file) => [...readFileSync(join(REPO_ROOT, MODULE_DIR, file), "utf8").matchAll(/error_message\s*=\s*"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string));
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ["the OS is neither linux nor windows", { os: "macos" }, /invalid pools\.linux\.os "macos"/],
    ["the distribution is not one with a bootstrap", { linuxDistribution: "debian-12" }, /invalid pools\.linux\.linuxDistribution "debian-12"/],
    ["a Windows pool is arm64", { os: "windows", architecture: "arm64", instanceTypes: ["m7g.large"] }, /invalid pools\.linux\.architecture "arm64"/],
    ["an AMI name filter has no owners", { amiNameFilter: "sr-runner-*" }, /invalid pools\.linux\.amiNameFilter "sr-runner-\*"/],
    ["an AMI name filter comes with an SSM parameter", { amiNameFilter: "sr-*", amiOwners: ["self"], amiSsmParameter: "/sr/ami" }, /invalid pools\.linux\.amiNameFilter "sr-\*"/],
    ["an AMI owner is malformed", { amiOwners: ["12345"], amiNameFilter: "sr-*" }, /invalid pools\.linux\.amiOwners \["12345"\]/],
  ];
  for (const [what, extra, message] of cases) {
    it(`fails when ${what}`, () => {
      let error: unknown;
      try {
        synth({ linux: pool(extra) });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SelfRunnersValidationError);
      expect((error as SelfRunnersValidationError).message).toMatch(message);
      const allowed = (error as SelfRunnersValidationError).allowed;
      expect(hclMessages.some((m) => m.includes(`must be ${allowed}`)), `no module message says "must be ${allowed}"`).toBe(true);
    });
  }
});
