import { beforeAll, describe, expect, it } from "vitest";
import { App, Testing } from "../../stacks/cdktf.js";
import { ModuleStack } from "../../stacks/module-stack.js";
import { SelfRunnersValidationError } from "../../stacks/errors.js";
import type { RunnerPoolProps } from "../../stacks/pools.js";
import { fakeDistDir, resourceOf, resourcesOf, synthSelfRunners } from "../helpers/synth.js";

let distDir: string;
beforeAll(() => {
  distDir = fakeDistDir();
});

const attributePool: RunnerPoolProps = {
  labels: ["linux", "flex"],
  instanceRequirements: { vcpuMin: 2, vcpuMax: 8, memoryMibMin: 4096, allowedInstanceTypes: ["m7*.*", "c7i.*"] },
};

/** The launch policy's HCL (jsonencode of an object expression). */
function launchPolicy(synth: ReturnType<typeof synthSelfRunners>): string {
  const policy = Object.entries(resourcesOf(synth, "aws_iam_role_policy")).find(([id]) => id.includes("launch-runners"));
  if (policy === undefined) throw new Error("no launch policy");
  return String(policy[1].policy);
}

describe("attribute-based pools (instance_requirements)", () => {
  it("fills the requirements' defaults (current generation, no burstable types) and keeps the type list empty", () => {
    // Act
    const synth = synthSelfRunners(distDir, { pools: { flex: attributePool } });

    // Assert
    const pool = (resourceOf(synth, "aws_launch_template", "runner_launch-template").for_each as Record<string, Record<string, unknown>>).flex;
    expect(pool.instance_types).toEqual([]);
    expect(pool.instance_requirements).toEqual({
      vcpu_min: 2,
      vcpu_max: 8,
      memory_mib_min: 4096,
      memory_mib_max: null,
      instance_generations: ["current"],
      burstable_performance: "excluded",
      allowed_instance_types: ["m7*.*", "c7i.*"],
      excluded_instance_types: [],
    });
  });

  it("lets scale-up launch the listed types and the allowed patterns of an attribute-based pool, as StringLike", () => {
    // Act
    const synth = synthSelfRunners(distDir, { pools: { flex: attributePool, linux: { labels: ["linux", "x64"], instanceTypes: ["m7i.large"] } } });

    // Assert
    const policy = launchPolicy(synth);
    expect(policy).toMatch(/"Sid" = "LaunchRunnerInstances".*"StringLike" = \{"ec2:InstanceType" = \["m7\*\.\*", "c7i\.\*", "m7i\.large"\]\}/);
    expect(policy).not.toMatch(/"StringEquals" = \{[^}]*"ec2:InstanceType"/);
  });

  it("allows any instance type for an attribute-based pool without allowed_instance_types (EC2 chooses among all that fit)", () => {
    const synth = synthSelfRunners(distDir, { pools: { flex: { labels: ["linux"], instanceRequirements: { vcpuMin: 2, memoryMibMin: 4096, excludedInstanceTypes: ["t*"] } } } });
    expect(launchPolicy(synth)).toContain('"StringLike" = {"ec2:InstanceType" = ["*"]}');
  });

  const refused: Array<[string, RunnerPoolProps, string, RegExp]> = [
    ["fails when a pool has both instance types and requirements", { ...attributePool, instanceTypes: ["m7i.large"] }, "instanceTypes", /exactly one of the two/],
    ["fails when a pool has neither instance types nor requirements", { labels: ["linux"] }, "instanceTypes", /exactly one of the two/],
    ["fails when vcpuMin is 0", { labels: ["linux"], instanceRequirements: { vcpuMin: 0, memoryMibMin: 4096 } }, "instanceRequirements.vcpuMin", /from 1 to 1024/],
    ["fails when vcpuMax is below vcpuMin", { labels: ["linux"], instanceRequirements: { vcpuMin: 8, vcpuMax: 4, memoryMibMin: 4096 } }, "instanceRequirements.vcpuMax", /from vcpu_min to 1024/],
    ["fails when memoryMibMin is below 512", { labels: ["linux"], instanceRequirements: { vcpuMin: 2, memoryMibMin: 256 } }, "instanceRequirements.memoryMibMin", /from 512/],
    [
      "fails when a generation is unknown",
      { labels: ["linux"], instanceRequirements: { vcpuMin: 2, memoryMibMin: 4096, instanceGenerations: ["next" as "current"] } },
      "instanceRequirements.instanceGenerations",
      /"current" or "previous"/,
    ],
    [
      "fails when burstablePerformance is not included, excluded or required",
      { labels: ["linux"], instanceRequirements: { vcpuMin: 2, memoryMibMin: 4096, burstablePerformance: "yes" as "included" } },
      "instanceRequirements.burstablePerformance",
      /"included", "excluded", "required"/,
    ],
    [
      "fails when both allowed and excluded types are given",
      { labels: ["linux"], instanceRequirements: { vcpuMin: 2, memoryMibMin: 4096, allowedInstanceTypes: ["m7*"], excludedInstanceTypes: ["t*"] } },
      "instanceRequirements.allowedInstanceTypes",
      /only one of the two/,
    ],
    [
      "fails when an allowed type is not a type pattern",
      { labels: ["linux"], instanceRequirements: { vcpuMin: 2, memoryMibMin: 4096, allowedInstanceTypes: ["M7 large"] } },
      "instanceRequirements.allowedInstanceTypes",
      /wildcards/,
    ],
  ];
  it.each(refused)("%s", (_name, pool, prop, allowed) => {
    // Act
    const act = (): unknown => synthSelfRunners(distDir, { pools: { only: pool } });

    // Assert
    expect(act).toThrow(SelfRunnersValidationError);
    expect(act).toThrow(`pools.only.${prop}`);
    expect(act).toThrow(allowed);
  });
});

describe("permissions_boundary_arn and iam_role_path", () => {
  const boundary = "arn:aws:iam::123456789012:policy/ci-boundary";

  it("sets the boundary and the path on every role the kit creates, NAT, optional and pool roles included", () => {
    // Act
    const synth = synthSelfRunners(distDir, {
      permissionsBoundaryArn: boundary,
      iamRolePath: "/ci/runners/",
      cloudTrailCloudWatchLogs: true,
      manageApiGatewayAccount: true,
      pools: { gpu: { labels: ["gpu"], instanceTypes: ["g5.xlarge"], extraIamPolicyArns: ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"] } },
    });

    // Assert
    const roles = resourcesOf(synth, "aws_iam_role");
    // Optional roles are in the stack with count 0 when off, so every one is checked here.
    expect(Object.keys(roles).filter((id) => /nat|audit|account-role|syncer|runner_pool/.test(id))).toHaveLength(6);
    for (const [id, role] of Object.entries(roles)) {
      expect(role.permissions_boundary, id).toBe(boundary);
      expect(role.path, id).toBe("/ci/runners/");
    }
    for (const [id, profile] of Object.entries(resourcesOf(synth, "aws_iam_instance_profile"))) expect(profile.path, id).toBe("/ci/runners/");
  });

  it("names the kit's roles with their path where policies compare principal ARNs (key users, table deny, NAT boot policy)", () => {
    const synth = synthSelfRunners(distDir, { iamRolePath: "/ci/" });
    const text = JSON.stringify(synth.resource);
    expect(text).toContain(":role/ci/ci-scale-up");
    expect(text).toContain('[\\"ci/ci-runner\\", \\"ci/ci-webhook\\"');
    expect(text).toContain(":instance-profile/ci/ci-nat");
    expect(text).not.toMatch(/:role\/ci-scale-up/);
  });

  it("leaves the boundary unset and the path / by default", () => {
    const roles = resourcesOf(synthSelfRunners(distDir), "aws_iam_role");
    for (const [id, role] of Object.entries(roles)) {
      expect(role.permissions_boundary, id).toBeUndefined();
      expect(role.path, id).toBe("/");
    }
  });

  it("fails when the path does not begin and end with /", () => {
    expect(() => synthSelfRunners(distDir, { iamRolePath: "ci" })).toThrow(/iamRolePath[\s\S]*begins and ends with \//);
  });

  it("fails when the boundary is not a managed policy ARN", () => {
    expect(() => synthSelfRunners(distDir, { permissionsBoundaryArn: "arn:aws:iam::123456789012:role/x" })).toThrow(/permissionsBoundaryArn[\s\S]*managed policy ARN/);
  });

  it("gives every role of the module a boundary that is null unless the variable is set, and the variable's path", () => {
    // Arrange
    const stack = new ModuleStack(Testing.app() as App, "self-runners", { distDir });

    // Act
    const roles = resourcesOf(JSON.parse(Testing.synth(stack)), "aws_iam_role");

    // Assert
    expect(Object.keys(roles).length).toBeGreaterThanOrEqual(8);
    for (const [id, role] of Object.entries(roles)) {
      expect(role.permissions_boundary, id).toBe("${(length(var.permissions_boundary_arn) < 1) ? null : var.permissions_boundary_arn}");
      expect(role.path, id).toBe("${var.iam_role_path}");
    }
  });
});
