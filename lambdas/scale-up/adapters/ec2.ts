import { randomUUID } from "node:crypto";
import { CreateFleetCommand, CreateTagsCommand, TerminateInstancesCommand } from "@aws-sdk/client-ec2";
import type {
  DefaultTargetCapacityType,
  EC2Client,
  FleetLaunchTemplateOverridesRequest,
  Tag,
  _InstanceType,
} from "@aws-sdk/client-ec2";
import { RUNNER_TAGS, childLogger, runnerName } from "../../shared/index.js";
import type { JobMessage } from "../../shared/index.js";
import type { ScaleUpPool } from "../config.js";
import type { FleetError, FleetRequest } from "../fleet-plan.js";

const log = childLogger("scale-up.ec2");

export interface LaunchRequest {
  readonly pool: string;
  readonly poolConfig: ScaleUpPool;
  readonly owner: string;
  readonly installationId: number;
  /** Capacity type, pairs and count, from fleet-plan.ts. */
  readonly fleet: FleetRequest;
}

export interface LaunchResult {
  readonly instanceIds: readonly string[];
  readonly errors: readonly FleetError[];
}

/** An instance and the job it was launched for (absent for a warm slot's synthetic job). */
export interface InstanceOfJob {
  readonly instanceId: string;
  readonly job: Pick<JobMessage, "jobId" | "deliveryId" | "repository" | "kind"> | undefined;
}

export interface RunnerFleet {
  /** One CreateFleet (type instant). Throws when the call itself fails (throttled, denied). */
  launch(request: LaunchRequest): Promise<LaunchResult>;
  /**
   * Sets the Name tag to the runner name, and the job the instance was launched for (job id, delivery
   * id, repository: log correlation and cost allocation); best effort, the runner depends on neither.
   */
  nameInstances(instances: readonly InstanceOfJob[]): Promise<void>;
  terminate(instanceIds: readonly string[]): Promise<void>;
}

export function ec2RunnerFleet(client: EC2Client, prefix: string): RunnerFleet {
  return {
    async launch(request) {
      const tags: Tag[] = [
        { Key: RUNNER_TAGS.prefix, Value: prefix },
        { Key: RUNNER_TAGS.pool, Value: request.pool },
        { Key: RUNNER_TAGS.owner, Value: request.owner },
        { Key: RUNNER_TAGS.installationId, Value: String(request.installationId) },
      ];
      return createFleet(client, request, tags);
    },

    // CreateFleet applies one tag set to the whole fleet, so the per-instance Name is a CreateTags call
    // per instance afterwards. The runner does not depend on it, hence best effort.
    async nameInstances(instances) {
      const results = await Promise.allSettled(
        instances.map(({ instanceId, job }) =>
          client.send(new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: "Name", Value: runnerName(prefix, instanceId) }, ...jobTags(job)] })),
        ),
      );
      results.forEach((result, index) => {
        if (result.status === "rejected") log.warn("naming instance failed", { instanceId: instances[index]?.instanceId, error: result.reason });
      });
    },

    async terminate(instanceIds) {
      if (instanceIds.length === 0) return;
      await client.send(new TerminateInstancesCommand({ InstanceIds: [...instanceIds] }));
    },
  };
}

function jobTags(job: InstanceOfJob["job"]): Tag[] {
  if (job === undefined || job.kind === "warm") return [];
  return [
    { Key: RUNNER_TAGS.jobId, Value: String(job.jobId) },
    { Key: RUNNER_TAGS.deliveryId, Value: job.deliveryId },
    { Key: RUNNER_TAGS.repository, Value: job.repository },
  ];
}

async function createFleet(client: EC2Client, request: LaunchRequest, tags: Tag[]): Promise<LaunchResult> {
  const { capacityType, count } = request.fleet;
  // The SDK's instance type union lags new EC2 types; the pool's strings are passed through as they are.
  const overrides: FleetLaunchTemplateOverridesRequest[] = request.fleet.overrides.map((override) => ({
    InstanceType: override.instanceType as _InstanceType,
    SubnetId: override.subnetId,
  }));
  const response = await client.send(
    new CreateFleetCommand({
      Type: "instant",
      // Idempotency for the SDK's own retries of this call; a later retry of the job is a new launch on purpose.
      ClientToken: randomUUID(),
      LaunchTemplateConfigs: [
        {
          LaunchTemplateSpecification: { LaunchTemplateName: request.poolConfig.launchTemplateName, Version: "$Default" },
          Overrides: overrides,
        },
      ],
      TargetCapacitySpecification: { TotalTargetCapacity: count, DefaultTargetCapacityType: capacityType as DefaultTargetCapacityType },
      SpotOptions: { AllocationStrategy: "price-capacity-optimized" },
      OnDemandOptions: { AllocationStrategy: "lowest-price" },
      TagSpecifications: [{ ResourceType: "instance", Tags: tags }],
    }),
  );
  return {
    instanceIds: (response.Instances ?? []).flatMap((instance) => instance.InstanceIds ?? []),
    errors: (response.Errors ?? []).map((error): FleetError => {
      const override = error.LaunchTemplateAndOverrides?.Overrides;
      return {
        code: error.ErrorCode ?? "Unknown",
        message: error.ErrorMessage ?? "",
        capacityType: error.Lifecycle === "spot" || error.Lifecycle === "on-demand" ? error.Lifecycle : capacityType,
        ...(override === undefined ? {} : { override: { instanceType: override.InstanceType, subnetId: override.SubnetId } }),
      };
    }),
  };
}
