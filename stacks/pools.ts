import type { IResolvable } from "./cdktf.js";
import { Token } from "./cdktf.js";
import { RULES, SelfRunnersValidationError, integerBetween, matches } from "./errors.js";

/** One runner pool as a CDKTF user describes it. */
export interface RunnerPoolProps {
  /** Labels a job's `runs-on` must be drawn from (besides the implicit `self-hosted`). */
  readonly labels: string[];
  /** Instance types the fleet may launch, in preference order for on-demand. */
  readonly instanceTypes: string[];
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
   * SSM parameter holding the AMI id (launch templates resolve it at launch).
   * @default - the latest Amazon Linux 2023 for the architecture
   */
  readonly amiSsmParameter?: string;
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
}

/** A pool with every field present, in Terraform's snake_case: the shape `var.pools` has in the module. */
export interface NormalizedPool {
  readonly labels: string[];
  readonly instance_types: string[];
  readonly max_runners: number;
  readonly spot: boolean;
  readonly on_demand_fallback: boolean;
  readonly architecture: "x64" | "arm64";
  readonly ami_ssm_parameter: string;
  readonly root_volume_size: number;
  readonly subnet_ids: string[];
  readonly runner_group_id: number;
  readonly warm_pool_size: number;
  readonly warm_pool_owner: string;
  readonly warm_pool_schedule: string;
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
} as const;

/** A warm pool schedule: empty, or `<days> HH:MM-HH:MM` windows separated by `;` (days: *, Mon, Mon-Fri, Sat,Sun). */
export const WARM_SCHEDULE_PATTERN = "^$|^(\\*|[A-Za-z]{3}(-[A-Za-z]{3})?(,[A-Za-z]{3}(-[A-Za-z]{3})?)*) [0-2][0-9]:[0-5][0-9]-[0-2][0-9]:[0-5][0-9](; ?(\\*|[A-Za-z]{3}(-[A-Za-z]{3})?(,[A-Za-z]{3}(-[A-Za-z]{3})?)*) [0-2][0-9]:[0-5][0-9]-[0-2][0-9]:[0-5][0-9])*$";

/** The AMI used when a pool names none: the latest Amazon Linux 2023 (it ships the AWS CLI). */
export const DEFAULT_AMI_PARAMETER_FORMAT = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-%s";

/** The AMI architecture name for a runner architecture. */
export function amiArchitecture(architecture: "x64" | "arm64"): "x86_64" | "arm64" {
  return architecture === "arm64" ? "arm64" : "x86_64";
}

/** The Terraform type of the module's `pools` variable. */
export function poolsVariableType(): string {
  const d = POOL_DEFAULTS;
  return [
    "map(object({",
    "    labels             = list(string)",
    "    instance_types     = list(string)",
    `    max_runners        = optional(number, ${d.max_runners})`,
    `    spot               = optional(bool, ${d.spot})`,
    `    on_demand_fallback = optional(bool, ${d.on_demand_fallback})`,
    `    architecture       = optional(string, "${d.architecture}")`,
    "    ami_ssm_parameter  = optional(string)",
    `    root_volume_size   = optional(number, ${d.root_volume_size})`,
    "    subnet_ids         = optional(list(string))",
    `    runner_group_id    = optional(number, ${d.runner_group_id})`,
    `    warm_pool_size     = optional(number, ${d.warm_pool_size})`,
    '    warm_pool_owner    = optional(string, "")',
    '    warm_pool_schedule = optional(string, "")',
    "  }))",
  ].join("\n");
}

/** Validates CDKTF users' pools and fills in the defaults, producing the module's shape. */
export function normalizePools(
  constructPath: string,
  pools: Record<string, RunnerPoolProps>,
  defaultSubnetIds: string[],
): Record<string, NormalizedPool> {
  const keys = Object.keys(pools);
  if (keys.length === 0) throw new SelfRunnersValidationError(constructPath, "pools", pools, "at least one pool");
  const out: Record<string, NormalizedPool> = {};
  for (const key of keys.sort()) {
    const p = pools[key];
    const check = (prop: string, value: unknown, ok: boolean, allowed: string): void => {
      if (value !== undefined && !Token.isUnresolved(value) && !ok) {
        throw new SelfRunnersValidationError(constructPath, `pools.${key}.${prop}`, value, allowed);
      }
    };
    check("(key)", key, matches(RULES.poolKey)(key), RULES.poolKey.allowed);
    check("labels", p.labels, p.labels.length > 0 && matches(RULES.label)(p.labels), `at least one label; ${RULES.label.allowed}`);
    check("instanceTypes", p.instanceTypes, p.instanceTypes.length > 0 && matches(RULES.instanceType)(p.instanceTypes), `at least one; ${RULES.instanceType.allowed}`);
    check("maxRunners", p.maxRunners, integerBetween(1, 10000)(p.maxRunners ?? 1), "an integer from 1 to 10000");
    check("architecture", p.architecture, ["x64", "arm64"].includes(p.architecture ?? "x64"), "x64 or arm64");
    check("rootVolumeSize", p.rootVolumeSize, integerBetween(8, 16384)(p.rootVolumeSize ?? 8), "an integer from 8 to 16384 GiB");
    check("subnetIds", p.subnetIds, matches(RULES.subnetId)(p.subnetIds ?? []), RULES.subnetId.allowed);
    check("runnerGroupId", p.runnerGroupId, integerBetween(1, Number.MAX_SAFE_INTEGER)(p.runnerGroupId ?? 1), "a positive integer");
    check("warmPoolSize", p.warmPoolSize, integerBetween(0, 1000)(p.warmPoolSize ?? 0), "an integer from 0 to 1000");
    check("warmPoolOwner", p.warmPoolOwner, (p.warmPoolSize ?? 0) === 0 || (p.warmPoolOwner ?? "") !== "", "an organization or owner/repo when warmPoolSize > 0");
    check("warmPoolSchedule", p.warmPoolSchedule, new RegExp(WARM_SCHEDULE_PATTERN).test(p.warmPoolSchedule ?? ""), 'empty or "<days> HH:MM-HH:MM" windows separated by ";" (UTC)');
    const architecture = p.architecture ?? POOL_DEFAULTS.architecture;
    out[key] = {
      labels: p.labels,
      instance_types: p.instanceTypes,
      max_runners: p.maxRunners ?? POOL_DEFAULTS.max_runners,
      spot: p.spot ?? POOL_DEFAULTS.spot,
      on_demand_fallback: p.onDemandFallback ?? POOL_DEFAULTS.on_demand_fallback,
      architecture,
      ami_ssm_parameter: p.amiSsmParameter ?? DEFAULT_AMI_PARAMETER_FORMAT.replace("%s", amiArchitecture(architecture)),
      root_volume_size: p.rootVolumeSize ?? POOL_DEFAULTS.root_volume_size,
      subnet_ids: p.subnetIds ?? defaultSubnetIds,
      runner_group_id: p.runnerGroupId ?? POOL_DEFAULTS.runner_group_id,
      warm_pool_size: p.warmPoolSize ?? POOL_DEFAULTS.warm_pool_size,
      warm_pool_owner: p.warmPoolOwner ?? "",
      warm_pool_schedule: p.warmPoolSchedule ?? "",
    };
  }
  return out;
}
