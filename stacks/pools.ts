import type { IResolvable } from "./cdktf.js";
import { Fn, Op, Token } from "./cdktf.js";
import { instanceRequirementsType, type InstanceRequirementsProps, type NormalizedInstanceRequirements } from "./pools-instance-requirements.js";
import { poolCustomizationType, type NormalizedPoolCustomization, type PoolCustomizationProps } from "./pools-customization.js";
import { poolOsVariableTypeLines, type NormalizedPoolOs, type PoolOsProps } from "./pools-os.js";

/** One runner pool as a CDKTF user describes it (customization attributes: ./pools-customization.ts; OS and AMI: {@link PoolOsProps}). */
export interface RunnerPoolProps extends PoolCustomizationProps, PoolOsProps {
  /** Labels a job's `runs-on` must be drawn from (besides the implicit `self-hosted`). */
  readonly labels: string[];
  /**
   * Instance types the fleet may launch, in preference order for on-demand. Exactly one of this and
   * `instanceRequirements`.
   * @default [] - types chosen by `instanceRequirements`
   */
  readonly instanceTypes?: string[];
  /**
   * Attribute-based selection (CreateFleet `InstanceRequirements`): every type with these vCPUs, memory,
   * generations... Exactly one of this and `instanceTypes`.
   * @default - none: the `instanceTypes` list
   */
  readonly instanceRequirements?: InstanceRequirementsProps;
  /**
   * Most runners (pending or running instances) this pool may have at once.
   * @default 10
   */
  readonly maxRunners?: number;
  /**
   * Launch spot instances.
   * @default true
   */
  readonly spot?: boolean;
  /**
   * When spot capacity falls short, launch the remainder on-demand.
   * @default true
   */
  readonly onDemandFallback?: boolean;
  /**
   * CPU architecture of the instance types, which picks the runner build and the default AMI.
   * @default "x64"
   */
  readonly architecture?: "x64" | "arm64";
  /**
   * Root volume size in GiB (encrypted gp3).
   * @default 40
   */
  readonly rootVolumeSize?: number;
  /**
   * Subnets for this pool's runners.
   * @default - the kit's runner subnets
   */
  readonly subnetIds?: string[];
  /**
   * Runner group id for org-level runners (1 is the Default group).
   * @default 1
   */
  readonly runnerGroupId?: number;
  /**
   * Warm pool: runners kept ready (booting or idle) while `warmPoolSchedule` is open; they count
   * against the limits and end at the idle timeout like any runner.
   * @default 0
   */
  readonly warmPoolSize?: number;
  /**
   * Owner the warm runners register with: organization (org scope) or `owner/repo` (repo scope).
   * Required when `warmPoolSize` > 0.
   * @default ""
   */
  readonly warmPoolOwner?: string;
  /**
   * UTC windows of the warm pool, e.g. "Mon-Fri 07:00-19:00"; several separated by ";". Empty: always.
   * @default ""
   */
  readonly warmPoolSchedule?: string;
  /**
   * Serve jobs of public repositories. Off, they are refused by the webhook and by scale-up: anyone can
   * open a pull request from a fork of a public repository, and its workflow would run on this pool
   * (docs/security.md, "Who gets a runner").
   * @default false
   */
  readonly allowPublicRepositories?: boolean;
}

/** A pool with every field present, in Terraform's snake_case: the shape `var.pools` has in the module. */
export interface NormalizedPool extends NormalizedPoolCustomization, NormalizedPoolOs {
  readonly labels: string[];
  readonly instance_types: string[];
  readonly instance_requirements: NormalizedInstanceRequirements | null;
  readonly max_runners: number;
  readonly spot: boolean;
  readonly on_demand_fallback: boolean;
  readonly architecture: "x64" | "arm64";
  readonly root_volume_size: number;
  readonly subnet_ids: string[];
  readonly runner_group_id: number;
  readonly warm_pool_size: number;
  readonly warm_pool_owner: string;
  readonly warm_pool_schedule: string;
  readonly allow_public_repositories: boolean;
}

/** Pools as the constructs take them: a literal map, or a Terraform expression of the same shape. */
export type PoolMap = Record<string, NormalizedPool> | IResolvable;

/** Defaults of the optional pool fields, shared by the CDKTF props and the module's `pools` type. */
export const POOL_DEFAULTS = {
  max_runners: 10,
  spot: true,
  on_demand_fallback: true,
  architecture: "x64",
  root_volume_size: 40,
  runner_group_id: 1,
  warm_pool_size: 0,
  allow_public_repositories: false,
} as const;

/** The AMI architecture name for a runner architecture. */
export function amiArchitecture(architecture: "x64" | "arm64"): "x86_64" | "arm64" {
  return architecture === "arm64" ? "arm64" : "x86_64";
}

/** HCL of {@link amiArchitecture} over an architecture expression. */
export function amiArchitectureHcl(architecture: string): string {
  return Token.asString(Fn.conditional(Op.eq(architecture, "arm64"), "arm64", "x86_64"));
}

/** The Terraform type of the module's `pools` variable. */
export function poolsVariableType(): string {
  const d = POOL_DEFAULTS;
  return [
    "map(object({",
    "    labels             = list(string)",
    "    instance_types     = optional(list(string), [])",
    instanceRequirementsType(),
    `    max_runners        = optional(number, ${d.max_runners})`,
    `    spot               = optional(bool, ${d.spot})`,
    `    on_demand_fallback = optional(bool, ${d.on_demand_fallback})`,
    `    architecture       = optional(string, "${d.architecture}")`,
    ...poolOsVariableTypeLines(),
    `    root_volume_size   = optional(number, ${d.root_volume_size})`,
    "    subnet_ids         = optional(list(string))",
    `    runner_group_id    = optional(number, ${d.runner_group_id})`,
    `    warm_pool_size     = optional(number, ${d.warm_pool_size})`,
    '    warm_pool_owner    = optional(string, "")',
    '    warm_pool_schedule = optional(string, "")',
    `    allow_public_repositories = optional(bool, ${d.allow_public_repositories})`,
    poolCustomizationType(),
    "  }))",
  ].join("\n");
}
