/**
 * Per-pool customization (issue 12, item 4), an attribute group composed by ./pools.ts: scripts and job
 * hooks, extra packages, the job environment (stored per pool in S3, contracts/pool-customization.ts),
 * launch template settings (extra security groups, volumes, metadata hop limit, instance store), and a
 * runner role of the pool's own when it names extra managed policies.
 */
import { RULES } from "./errors.js";
import { IAM_POLICY_ARN } from "./module/inputs-iam.js";
import { eachItem, hclString, inputRule, integerBetween, mapOf, matching, oneOf, type InputRule } from "./module/rules.js";

/** One more EBS volume of a runner. */
export interface ExtraVolumeProps {
  /** Device name, `/dev/sdb` to `/dev/sdz` (or `/dev/xvdb`...). */
  readonly deviceName: string;
  /** Size in GiB. */
  readonly size: number;
  /**
   * EBS volume type.
   * @default "gp3"
   */
  readonly type?: string;
  /**
   * Provisioned IOPS (gp3, io1, io2).
   * @default - the type's baseline
   */
  readonly iops?: number;
  /**
   * Throughput in MiB/s (gp3 only).
   * @default - 125
   */
  readonly throughput?: number;
}

/** The customization props of a pool (the camelCase of the module's attributes). */
export interface PoolCustomizationProps {
  /**
   * Bash (PowerShell on Windows pools) run as root before the package step; no secrets (it is stored in S3,
   * readable by the runner role).
   * @default "" (none)
   */
  readonly preInstallScript?: string;
  /**
   * Bash (PowerShell on Windows pools) run as root once the runner is installed, before it registers.
   * @default "" (none)
   */
  readonly postInstallScript?: string;
  /**
   * Bash (PowerShell on Windows pools) run as the runner user when a job starts, after the kit's own hook (ACTIONS_RUNNER_HOOK_JOB_STARTED);
   * a failure fails the job.
   * @default "" (none)
   */
  readonly jobStartedHook?: string;
  /**
   * Bash (PowerShell on Windows pools) run as the runner user when a job ends, after the kit's own hook (ACTIONS_RUNNER_HOOK_JOB_COMPLETED).
   * @default "" (none)
   */
  readonly jobCompletedHook?: string;
  /**
   * Packages installed at boot after the kit's own: dnf or apt on Linux, Chocolatey on Windows pools
   * (`choco.exe` must be on the AMI; without it a Windows pool with packages fails its boot).
   * @default []
   */
  readonly extraPackages?: string[];
  /**
   * Environment variables of every job (the runner's `.env`); no secrets.
   * @default {}
   */
  readonly jobEnvironment?: Record<string, string>;
  /**
   * Security groups added to the kit's runner security group.
   * @default []
   */
  readonly extraSecurityGroupIds?: string[];
  /**
   * Root volume type.
   * @default "gp3"
   */
  readonly rootVolumeType?: string;
  /**
   * Root volume IOPS (gp3, io1, io2).
   * @default - the type's baseline (3000 for gp3)
   */
  readonly rootVolumeIops?: number;
  /**
   * Root volume throughput in MiB/s (gp3 only).
   * @default - 125
   */
  readonly rootVolumeThroughput?: number;
  /**
   * More EBS volumes, encrypted and deleted with the instance.
   * @default []
   */
  readonly extraVolumes?: ExtraVolumeProps[];
  /**
   * IMDSv2 response hop limit: 2 lets job containers reach the instance metadata through the Docker
   * bridge, 1 cuts them off (and with them the runner role's credentials).
   * @default 2
   */
  readonly metadataHopLimit?: number;
  /**
   * Put the NVMe instance store (types such as m7gd, c6id) under the runner's work directory (and Docker's
   * data root on Linux); without instance store the flag is a no-op.
   * @default false
   */
  readonly useInstanceStore?: boolean;
  /**
   * Managed policies attached to a runner role of this pool's own (with every grant of the shared runner
   * role); other pools keep the shared role. At most {@link MAX_EXTRA_IAM_POLICY_ARNS}.
   * @default [] - the pool's runners use the shared runner role
   */
  readonly extraIamPolicyArns?: string[];
}

export interface NormalizedExtraVolume {
  readonly device_name: string;
  readonly size: number;
  readonly type: string;
  readonly iops: number | null;
  readonly throughput: number | null;
}

/** The module's shape of the customization attributes. */
export interface NormalizedPoolCustomization {
  readonly pre_install_script: string;
  readonly post_install_script: string;
  readonly job_started_hook: string;
  readonly job_completed_hook: string;
  readonly extra_packages: string[];
  readonly job_environment: Record<string, string>;
  readonly extra_security_group_ids: string[];
  readonly root_volume_type: string;
  readonly root_volume_iops: number | null;
  readonly root_volume_throughput: number | null;
  readonly extra_volumes: NormalizedExtraVolume[];
  readonly metadata_hop_limit: number;
  readonly use_instance_store: boolean;
  readonly extra_iam_policy_arns: string[];
}

export const CUSTOMIZATION_DEFAULTS = { root_volume_type: "gp3", metadata_hop_limit: 2, use_instance_store: false } as const;

/** The attributes' lines of the `pools` object type. */
export function poolCustomizationType(): string {
  const d = CUSTOMIZATION_DEFAULTS;
  return [
    '    pre_install_script       = optional(string, "")',
    '    post_install_script      = optional(string, "")',
    '    job_started_hook         = optional(string, "")',
    '    job_completed_hook       = optional(string, "")',
    "    extra_packages           = optional(list(string), [])",
    "    job_environment          = optional(map(string), {})",
    "    extra_security_group_ids = optional(list(string), [])",
    `    root_volume_type         = optional(string, "${d.root_volume_type}")`,
    "    root_volume_iops         = optional(number)",
    "    root_volume_throughput   = optional(number)",
    "    extra_volumes = optional(list(object({",
    "      device_name = string",
    "      size        = number",
    '      type        = optional(string, "gp3")',
    "      iops        = optional(number)",
    "      throughput  = optional(number)",
    "    })), [])",
    `    metadata_hop_limit       = optional(number, ${d.metadata_hop_limit})`,
    `    use_instance_store       = optional(bool, ${d.use_instance_store})`,
    "    extra_iam_policy_arns    = optional(list(string), [])",
  ].join("\n");
}

export function normalizePoolCustomization(p: PoolCustomizationProps): NormalizedPoolCustomization {
  return {
    pre_install_script: p.preInstallScript ?? "",
    post_install_script: p.postInstallScript ?? "",
    job_started_hook: p.jobStartedHook ?? "",
    job_completed_hook: p.jobCompletedHook ?? "",
    extra_packages: p.extraPackages ?? [],
    job_environment: p.jobEnvironment ?? {},
    extra_security_group_ids: p.extraSecurityGroupIds ?? [],
    root_volume_type: p.rootVolumeType ?? CUSTOMIZATION_DEFAULTS.root_volume_type,
    root_volume_iops: p.rootVolumeIops ?? null,
    root_volume_throughput: p.rootVolumeThroughput ?? null,
    extra_volumes: (p.extraVolumes ?? []).map((v) => ({ device_name: v.deviceName, size: v.size, type: v.type ?? "gp3", iops: v.iops ?? null, throughput: v.throughput ?? null })),
    metadata_hop_limit: p.metadataHopLimit ?? CUSTOMIZATION_DEFAULTS.metadata_hop_limit,
    use_instance_store: p.useInstanceStore ?? CUSTOMIZATION_DEFAULTS.use_instance_store,
    extra_iam_policy_arns: p.extraIamPolicyArns ?? [],
  };
}

/** Scripts live in S3, not in the user data; the cap keeps a pasted binary or log out. */
const SCRIPT = inputRule("a script of at most 65536 characters", (v: string) => typeof v === "string" && v.length <= 65536, (r) => `length(${r}) <= 65536`);
/** Package names as dnf, apt and Chocolatey spell them: no spaces or shell characters (they go on the command line). */
const PACKAGE = matching("^[A-Za-z0-9][A-Za-z0-9.+_:~-]*$", "package names of letters, digits and .+_:~- (no spaces or shell characters)");
const ENV_NAME = matching("^[A-Za-z_][A-Za-z0-9_]*$", "a variable name of letters, digits and _ (not starting with a digit)");
const ENV_VALUE = matching("^[^\\n\\r]*$", "a single line");
/** io1/io2 go to 256000 IOPS, gp3 to 80000 (EC2 refuses what the type cannot take, at launch). */
const IOPS = inputRule("null or a whole number from 100 to 256000", (v: number | null) => v === null || (Number.isInteger(v) && v >= 100 && v <= 256000), (r) => `${r} == null ? true : (${r} >= 100 && ${r} <= 256000 && floor(${r}) == ${r})`);
const THROUGHPUT = inputRule("null or a whole number from 125 to 2000 MiB/s (gp3 only)", (v: number | null) => v === null || (Number.isInteger(v) && v >= 125 && v <= 2000), (r) => `${r} == null ? true : (${r} >= 125 && ${r} <= 2000 && floor(${r}) == ${r})`);
export const EBS_VOLUME_TYPES = ["gp3", "gp2", "io1", "io2", "st1", "sc1"] as const;
const DEVICE_NAME = "^/dev/(sd|xvd)[b-z]$";

/**
 * Managed policies per pool role: IAM's default quota of managed policies attached to one role is 10
 * (IAM User Guide, "IAM and AWS STS quotas"; raisable to 20 on request). The pool role has none besides
 * these (the kit's grants are inline), so the whole default quota is the pool's.
 */
export const MAX_EXTRA_IAM_POLICY_ARNS = 10;
const EXTRA_IAM_POLICY_ARNS = inputRule(
  `at most ${MAX_EXTRA_IAM_POLICY_ARNS} IAM managed policy ARNs (IAM's default quota of managed policies per role), each of the form arn:aws:iam::<account>:policy/<name> or arn:aws:iam::aws:policy/<name>`,
  (v: string[]) => Array.isArray(v) && v.length <= MAX_EXTRA_IAM_POLICY_ARNS && v.every((arn) => IAM_POLICY_ARN.check(arn)),
  (r) => `length(${r}) <= ${MAX_EXTRA_IAM_POLICY_ARNS} && (${eachItem(IAM_POLICY_ARN).condition(r)})`,
);

/** One rule on one customization attribute. */
export interface CustomizationRule {
  readonly field: keyof NormalizedPoolCustomization;
  readonly rule: InputRule;
}

/** The rules of the customization attributes, in order (the CDKTF props and the module's validation share them). */
export const POOL_CUSTOMIZATION_RULES: readonly CustomizationRule[] = [
  { field: "pre_install_script", rule: SCRIPT },
  { field: "post_install_script", rule: SCRIPT },
  { field: "job_started_hook", rule: SCRIPT },
  { field: "job_completed_hook", rule: SCRIPT },
  { field: "extra_packages", rule: eachItem(PACKAGE) },
  { field: "job_environment", rule: mapOf(ENV_NAME, ENV_VALUE, `a map of ${ENV_NAME.allowed} to ${ENV_VALUE.allowed}`) },
  {
    field: "extra_security_group_ids",
    rule: inputRule(
      `at most 4 ${RULES.securityGroupId.allowed} (an interface takes 5 groups, the kit's own included)`,
      (v: string[]) => Array.isArray(v) && v.length <= 4 && v.every((id) => new RegExp(RULES.securityGroupId.pattern).test(id)),
      (r) => `length(${r}) <= 4 && alltrue([for item in ${r} : can(regex(${hclString(RULES.securityGroupId.pattern)}, item))])`,
    ),
  },
  { field: "root_volume_type", rule: oneOf(EBS_VOLUME_TYPES.slice(0, 4)) },
  { field: "root_volume_iops", rule: IOPS },
  { field: "root_volume_throughput", rule: THROUGHPUT },
  {
    field: "extra_volumes",
    rule: inputRule(
      `at most 10 volumes, each with a device_name ${DEVICE_NAME.slice(1, -1)} (not the root), a size from 1 to 16384 GiB, a type among ${EBS_VOLUME_TYPES.join(", ")}, iops 100-256000 or null, throughput 125-2000 or null`,
      (v: NormalizedExtraVolume[]) =>
        Array.isArray(v) &&
        v.length <= 10 &&
        v.every((x) => new RegExp(DEVICE_NAME).test(x.device_name) && integerBetween(1, 16384).check(x.size) && (EBS_VOLUME_TYPES as readonly string[]).includes(x.type) && IOPS.check(x.iops) && THROUGHPUT.check(x.throughput)),
      (r) =>
        `length(${r}) <= 10 && alltrue([for v in ${r} : can(regex(${hclString(DEVICE_NAME)}, v.device_name)) && (${integerBetween(1, 16384).condition("v.size")}) && contains(${JSON.stringify(EBS_VOLUME_TYPES)}, v.type) && (${IOPS.condition("v.iops")}) && (${THROUGHPUT.condition("v.throughput")})])`,
    ),
  },
  { field: "metadata_hop_limit", rule: integerBetween(1, 64) },
  { field: "extra_iam_policy_arns", rule: EXTRA_IAM_POLICY_ARNS },
];
