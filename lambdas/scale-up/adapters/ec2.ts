import { randomUUID } from "node:crypto";
import { CreateFleetCommand, TerminateInstancesCommand } from "@aws-sdk/client-ec2";
import type {
  DefaultTargetCapacityType,
  EC2Client,
  FleetLaunchTemplateOverridesRequest,
  InstanceRequirementsRequest,
  Tag,
  _InstanceType,
} from "@aws-sdk/client-ec2";
import { RUNNER_TAGS } from "../../shared/index.js";
import type { JobMessage } from "../../shared/index.js";
import type { PoolInstanceRequirements, ScaleUpPool } from "../config.js";
import type { FleetError, FleetRequest } from "../fleet-plan.js";

export interface LaunchRequest {
  readonly pool: string;
  readonly poolConfig: ScaleUpPool;
  readonly owner: string;
  readonly installationId: number;
  /** Capacity type, pairs and count, from fleet-plan.ts. */
  readonly fleet: FleetRequest;
  /** The jobs this request launches for, one per instance (a warm slot's synthetic job included). */
  readonly jobs: ReadonlyArray<Pick<JobMessage, "jobId" | "deliveryId" | "repository" | "kind">>;
}

export interface LaunchResult {
  readonly instanceIds: readonly string[];
  readonly errors: readonly FleetError[];
}

export interface RunnerFleet {
  /** One CreateFleet (type instant), tagged at launch. Throws when the call itself fails (throttled, denied). */
  launch(request: LaunchRequest): Promise<LaunchResult>;
  terminate(instanceIds: readonly string[]): Promise<void>;
}

export function ec2RunnerFleet(client: EC2Client, prefix: string): RunnerFleet {
  return {
    async launch(request) {
      return createFleet(client, request, launchTags(prefix, request));
    },

    async terminate(instanceIds) {
      if (instanceIds.length === 0) return;
      await client.send(new TerminateInstancesCommand({ InstanceIds: [...instanceIds] }));
    },
  };
}

/**
 * The tags CreateFleet puts on every instance it launches (no CreateTags per instance afterwards: that
 * was one more EC2 call per runner). An instant fleet has one tag set for all its instances, so the job
 * tags go on only where every instance shares them: the repository when all the request's jobs come
 * from one repository (always in repo scope), the job and delivery ids when the request is for one job.
 * Otherwise the instance's job is found through the ledger's `instance#` pointer. Name is the pool's
 * runner prefix; the runner name (`<prefix>-<instance id>`) needs the instance id, unknown at launch.
 */
export function launchTags(prefix: string, request: Pick<LaunchRequest, "pool" | "owner" | "installationId" | "jobs">): Tag[] {
  const jobs = request.jobs.filter((job) => job.kind !== "warm");
  const everyInstanceIsAJob = jobs.length === request.jobs.length && jobs.length > 0;
  const repositories = new Set(jobs.map((job) => job.repository));
  const [only] = jobs;
  return [
    { Key: "Name", Value: `${prefix}-${request.pool}` },
    { Key: RUNNER_TAGS.prefix, Value: prefix },
    { Key: RUNNER_TAGS.pool, Value: request.pool },
    { Key: RUNNER_TAGS.owner, Value: request.owner },
    { Key: RUNNER_TAGS.installationId, Value: String(request.installationId) },
    ...(everyInstanceIsAJob && repositories.size === 1 ? [{ Key: RUNNER_TAGS.repository, Value: [...repositories][0] as string }] : []),
    ...(everyInstanceIsAJob && jobs.length === 1 && only !== undefined
      ? [
          { Key: RUNNER_TAGS.jobId, Value: String(only.jobId) },
          { Key: RUNNER_TAGS.deliveryId, Value: only.deliveryId },
        ]
      : []),
  ];
}

/** CreateFleet's `InstanceRequirements` from a pool's attributes (empty type lists are left out: EC2 refuses both at once). */
export function instanceRequirementsRequest(r: PoolInstanceRequirements): InstanceRequirementsRequest {
  return {
    VCpuCount: { Min: r.vcpu_min, ...(r.vcpu_max === undefined ? {} : { Max: r.vcpu_max }) },
    MemoryMiB: { Min: r.memory_mib_min, ...(r.memory_mib_max === undefined ? {} : { Max: r.memory_mib_max }) },
    InstanceGenerations: r.instance_generations as InstanceRequirementsRequest["InstanceGenerations"],
    BurstablePerformance: r.burstable_performance as InstanceRequirementsRequest["BurstablePerformance"],
    ...(r.allowed_instance_types.length > 0 ? { AllowedInstanceTypes: [...r.allowed_instance_types] } : {}),
    ...(r.excluded_instance_types.length > 0 ? { ExcludedInstanceTypes: [...r.excluded_instance_types] } : {}),
  };
}

async function createFleet(client: EC2Client, request: LaunchRequest, tags: Tag[]): Promise<LaunchResult> {
  const { capacityType, count } = request.fleet;
  const requirements = request.poolConfig.instanceRequirements;
  // The SDK's instance type union lags new EC2 types; the pool's strings are passed through as they are.
  const overrides: FleetLaunchTemplateOverridesRequest[] = request.fleet.overrides.map((override) =>
    override.instanceType === undefined && requirements !== undefined
      ? { InstanceRequirements: instanceRequirementsRequest(requirements), SubnetId: override.subnetId }
      : { InstanceType: override.instanceType as _InstanceType, SubnetId: override.subnetId },
  );
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
        ...(override === undefined ? {} : { override: { ...(override.InstanceType === undefined ? {} : { instanceType: override.InstanceType }), subnetId: override.SubnetId } }),
      };
    }),
  };
}
