import { CreateFleetCommand, EC2Client } from "@aws-sdk/client-ec2";
import type { CreateFleetCommandInput, InstanceRequirementsRequest } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { ec2RunnerFleet, instanceRequirementsRequest } from "../../../../lambdas/scale-up/adapters/ec2.js";
import type { LaunchRequest } from "../../../../lambdas/scale-up/adapters/ec2.js";
import type { PoolInstanceRequirements, ScaleUpPool } from "../../../../lambdas/scale-up/config.js";
import { firstFleetRequest, nextFleetRequest } from "../../../../lambdas/scale-up/fleet-plan.js";

const ec2 = mockClient(EC2Client);

const requirements: PoolInstanceRequirements = {
  vcpu_min: 2,
  vcpu_max: 8,
  memory_mib_min: 4096,
  memory_mib_max: undefined,
  instance_generations: ["current"],
  burstable_performance: "excluded",
  allowed_instance_types: [],
  excluded_instance_types: ["t*", "g*"],
};

function pool(overrides: Partial<ScaleUpPool> = {}): ScaleUpPool {
  return {
    labels: ["linux"],
    maxRunners: 10,
    instanceTypes: [],
    instanceRequirements: requirements,
    subnetIds: ["subnet-a", "subnet-b"],
    launchTemplateName: "sr-linux",
    spot: true,
    onDemandFallback: true,
    runnerGroupId: 1,
    allowPublicRepositories: false,
    queueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/sr-linux.fifo",
    queueArn: "arn:aws:sqs:eu-west-1:123456789012:sr-linux.fifo",
    deadLetterQueueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/sr-linux-dlq.fifo",
    ...overrides,
  };
}

function launchRequest(poolConfig: ScaleUpPool, count = 2): LaunchRequest {
  return {
    pool: "linux",
    poolConfig,
    owner: "acme",
    installationId: 7,
    fleet: firstFleetRequest(poolConfig, count),
    jobs: Array.from({ length: count }, (_, i) => ({ jobId: 100 + i, deliveryId: `d-${i}`, repository: "acme/app", kind: "job" as const })),
  };
}

function sentFleet(): CreateFleetCommandInput {
  const calls = ec2.commandCalls(CreateFleetCommand);
  expect(calls).toHaveLength(1);
  return calls[0].args[0].input;
}

describe("ec2RunnerFleet.launch with attribute-based selection", () => {
  beforeEach(() => {
    ec2.reset();
    ec2.on(CreateFleetCommand).resolves({ Instances: [{ InstanceIds: ["i-1", "i-2"] }], Errors: [] });
  });

  it("sends one override per subnet carrying the pool's InstanceRequirements and no instance type", async () => {
    // Act
    const result = await ec2RunnerFleet(new EC2Client({}), "sr").launch(launchRequest(pool()));

    // Assert
    const expected: InstanceRequirementsRequest = {
      VCpuCount: { Min: 2, Max: 8 },
      MemoryMiB: { Min: 4096 },
      InstanceGenerations: ["current"],
      BurstablePerformance: "excluded",
      ExcludedInstanceTypes: ["t*", "g*"],
    };
    const input = sentFleet();
    expect(input.LaunchTemplateConfigs).toEqual([
      {
        LaunchTemplateSpecification: { LaunchTemplateName: "sr-linux", Version: "$Default" },
        Overrides: [
          { InstanceRequirements: expected, SubnetId: "subnet-a" },
          { InstanceRequirements: expected, SubnetId: "subnet-b" },
        ],
      },
    ]);
    expect(input.SpotOptions).toEqual({ AllocationStrategy: "price-capacity-optimized" });
    expect(input.TargetCapacitySpecification).toEqual({ TotalTargetCapacity: 2, DefaultTargetCapacityType: "spot" });
    expect(result.instanceIds).toEqual(["i-1", "i-2"]);
  });

  it("sends (type, subnet) pairs and no InstanceRequirements for a pool with an instance type list", async () => {
    // Act
    await ec2RunnerFleet(new EC2Client({}), "sr").launch(launchRequest(pool({ instanceTypes: ["m7i.large"], instanceRequirements: undefined })));

    // Assert
    expect(sentFleet().LaunchTemplateConfigs?.[0]?.Overrides).toEqual([
      { InstanceType: "m7i.large", SubnetId: "subnet-a" },
      { InstanceType: "m7i.large", SubnetId: "subnet-b" },
    ]);
  });

  it("reports a failed subnet from an error that also names the type EC2 picked, so the retry keeps the other subnet", async () => {
    // Arrange
    ec2.on(CreateFleetCommand).resolves({
      Instances: [],
      Errors: [
        {
          ErrorCode: "InsufficientInstanceCapacity",
          ErrorMessage: "no capacity",
          Lifecycle: "spot",
          LaunchTemplateAndOverrides: { Overrides: { InstanceType: "m7i.large", SubnetId: "subnet-a", InstanceRequirements: {} } },
        },
      ],
    });
    const config = pool();
    const request = launchRequest(config);

    // Act
    const result = await ec2RunnerFleet(new EC2Client({}), "sr").launch(request);
    const next = nextFleetRequest(config, request.fleet, result.errors, 2, 1, 3);

    // Assert
    expect(result.errors).toEqual([{ code: "InsufficientInstanceCapacity", message: "no capacity", capacityType: "spot", override: { instanceType: "m7i.large", subnetId: "subnet-a" } }]);
    expect(next).toEqual({ capacityType: "spot", overrides: [{ subnetId: "subnet-b" }], count: 2 });
  });
});

describe("instanceRequirementsRequest", () => {
  it("leaves out unset upper bounds and empty type lists (EC2 refuses allowed and excluded together)", () => {
    expect(instanceRequirementsRequest({ ...requirements, vcpu_max: undefined, excluded_instance_types: [], allowed_instance_types: ["m7*.*"] })).toEqual({
      VCpuCount: { Min: 2 },
      MemoryMiB: { Min: 4096 },
      InstanceGenerations: ["current"],
      BurstablePerformance: "excluded",
      AllowedInstanceTypes: ["m7*.*"],
    });
  });
});
