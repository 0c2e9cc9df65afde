import { randomUUID } from "node:crypto";
import {
  CreateFleetCommand,
  CreateTagsCommand,
  TerminateInstancesCommand,
  paginateDescribeInstances,
} from "@aws-sdk/client-ec2";
import type {
  DefaultTargetCapacityType,
  EC2Client,
  FleetLaunchTemplateOverridesRequest,
  Tag,
  _InstanceType,
} from "@aws-sdk/client-ec2";
import { RUNNER_TAGS, childLogger, runnerName } from "../../shared/index.js";
import type { ScaleUpPool } from "../config.js";

const log = childLogger("scale-up.ec2");

export interface LaunchRequest {
  readonly pool: string;
  readonly poolConfig: ScaleUpPool;
  readonly owner: string;
  readonly installationId: number;
  readonly count: number;
}

/** One error CreateFleet reported instead of an instance (capacity, quota, ...). */
export interface LaunchError {
  readonly code: string;
  readonly message: string;
  readonly lifecycle: string;
}

export interface LaunchResult {
  readonly instanceIds: readonly string[];
  readonly errors: readonly LaunchError[];
  /** Whether an on-demand CreateFleet made up for a spot shortfall. */
  readonly usedOnDemandFallback: boolean;
}

export interface RunnerFleet {
  /** Pending or running instances of the pool. */
  countActive(pool: string): Promise<number>;
  launch(request: LaunchRequest): Promise<LaunchResult>;
  /** Sets the Name tag to the runner name; best effort, naming is for people only. */
  nameInstances(instanceIds: readonly string[]): Promise<void>;
  terminate(instanceIds: readonly string[]): Promise<void>;
}

export function ec2RunnerFleet(client: EC2Client, prefix: string): RunnerFleet {
  return {
    async countActive(pool) {
      let count = 0;
      const pages = paginateDescribeInstances(
        { client },
        {
          Filters: [
            { Name: `tag:${RUNNER_TAGS.prefix}`, Values: [prefix] },
            { Name: `tag:${RUNNER_TAGS.pool}`, Values: [pool] },
            { Name: "instance-state-name", Values: ["pending", "running"] },
          ],
          MaxResults: 1000,
        },
      );
      for await (const page of pages) {
        for (const reservation of page.Reservations ?? []) count += reservation.Instances?.length ?? 0;
      }
      return count;
    },

    async launch(request) {
      const tags: Tag[] = [
        { Key: RUNNER_TAGS.prefix, Value: prefix },
        { Key: RUNNER_TAGS.pool, Value: request.pool },
        { Key: RUNNER_TAGS.owner, Value: request.owner },
        { Key: RUNNER_TAGS.installationId, Value: String(request.installationId) },
      ];
      const firstType: DefaultTargetCapacityType = request.poolConfig.spot ? "spot" : "on-demand";
      const first = await createFleet(client, request, firstType, request.count, tags);
      const shortfall = request.count - first.instanceIds.length;
      if (!(request.poolConfig.spot && request.poolConfig.onDemandFallback && shortfall > 0)) {
        return { ...first, usedOnDemandFallback: false };
      }
      log.info("spot shortfall, falling back to on-demand", { pool: request.pool, shortfall, errors: first.errors });
      try {
        const second = await createFleet(client, request, "on-demand", shortfall, tags);
        return {
          instanceIds: [...first.instanceIds, ...second.instanceIds],
          errors: [...first.errors, ...second.errors],
          usedOnDemandFallback: true,
        };
      } catch (error) {
        // The spot instances exist already: report them, never lose track of a launched instance.
        log.error("on-demand fallback failed", { error, pool: request.pool });
        return {
          instanceIds: first.instanceIds,
          errors: [...first.errors, { code: "CreateFleetFailed", message: String(error), lifecycle: "on-demand" }],
          usedOnDemandFallback: true,
        };
      }
    },

    // CreateFleet applies one tag set to the whole fleet, so the per-instance Name is a CreateTags call
    // per instance afterwards. The runner does not depend on it, hence best effort.
    async nameInstances(instanceIds) {
      const results = await Promise.allSettled(
        instanceIds.map((instanceId) =>
          client.send(
            new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: "Name", Value: runnerName(prefix, instanceId) }] }),
          ),
        ),
      );
      results.forEach((result, index) => {
        if (result.status === "rejected") log.warn("naming instance failed", { instanceId: instanceIds[index], error: result.reason });
      });
    },

    async terminate(instanceIds) {
      if (instanceIds.length === 0) return;
      await client.send(new TerminateInstancesCommand({ InstanceIds: [...instanceIds] }));
    },
  };
}

async function createFleet(
  client: EC2Client,
  request: LaunchRequest,
  capacityType: DefaultTargetCapacityType,
  count: number,
  tags: Tag[],
): Promise<{ instanceIds: string[]; errors: LaunchError[] }> {
  // The SDK's instance type union lags new EC2 types; the pool's strings are passed through as they are.
  const overrides: FleetLaunchTemplateOverridesRequest[] = request.poolConfig.instanceTypes.flatMap((instanceType) =>
    request.poolConfig.subnetIds.map((subnetId) => ({ InstanceType: instanceType as _InstanceType, SubnetId: subnetId })),
  );
  const response = await client.send(
    new CreateFleetCommand({
      Type: "instant",
      // Idempotency for the SDK's own retries of this call; an SQS retry is a new launch on purpose.
      ClientToken: randomUUID(),
      LaunchTemplateConfigs: [
        {
          LaunchTemplateSpecification: { LaunchTemplateName: request.poolConfig.launchTemplateName, Version: "$Default" },
          Overrides: overrides,
        },
      ],
      TargetCapacitySpecification: { TotalTargetCapacity: count, DefaultTargetCapacityType: capacityType },
      SpotOptions: { AllocationStrategy: "price-capacity-optimized" },
      OnDemandOptions: { AllocationStrategy: "lowest-price" },
      TagSpecifications: [{ ResourceType: "instance", Tags: tags }],
    }),
  );
  return {
    instanceIds: (response.Instances ?? []).flatMap((instance) => instance.InstanceIds ?? []),
    errors: (response.Errors ?? []).map((error) => ({
      code: error.ErrorCode ?? "Unknown",
      message: error.ErrorMessage ?? "",
      lifecycle: error.Lifecycle ?? capacityType,
    })),
  };
}
