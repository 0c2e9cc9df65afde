/**
 * The OS dimension of a pool: the operating system, the Linux distribution, and where the AMI comes
 * from (an SSM parameter, or an owner + name filter). Composed into the pool shape by stacks/pools.ts;
 * the same table feeds the CDKTF props, the module's `pools` type, its defaults and its validation.
 */
import { eachItem, hclString, matching, oneOf, type InputRule } from "./module/rules.js";

/** Operating systems a pool can run. */
export const RUNNER_OPERATING_SYSTEMS = ["linux", "windows"] as const;
export type RunnerOs = (typeof RUNNER_OPERATING_SYSTEMS)[number];

/** Linux distributions with a bootstrap of their own (stacks/templates/runner-bootstrap*.sh.tftpl). */
export const LINUX_DISTRIBUTIONS = ["al2023", "ubuntu-22.04", "ubuntu-24.04"] as const;
export type LinuxDistribution = (typeof LINUX_DISTRIBUTIONS)[number];

/** What a pool boots: a Linux distribution, or Windows Server 2022. Picks the bootstrap and the default AMI. */
export type RunnerHost = LinuxDistribution | "windows";

/**
 * Default AMI per host and architecture: AWS's and Canonical's public SSM parameters, which always point
 * at the latest image (launch templates resolve them at launch, `resolve:ssm:`). Sources:
 * - Amazon Linux 2023: docs.aws.amazon.com/linux/al2023/ug/ec2.html ("al2023-ami-kernel-default-<arch>").
 * - Ubuntu: Canonical, "Finding Ubuntu images with the AWS SSM Parameter Store"
 *   (discourse.ubuntu.com/t/15507): `/aws/service/canonical/ubuntu/server/<release>/stable/current/
 *   <amd64|arm64>/hvm/<volume type>/ami-id`; 22.04 is published for ebs-gp2, 24.04 for ebs-gp3.
 * - Windows: aws.amazon.com/blogs/mt/query-for-the-latest-windows-ami-using-systems-manager-parameter-store
 *   (`/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base`); x64 only.
 */
export const DEFAULT_AMI_PARAMETERS: Readonly<Record<RunnerHost, Readonly<Partial<Record<"x64" | "arm64", string>>>>> = {
  al2023: {
    x64: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
    arm64: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
  },
  "ubuntu-22.04": {
    x64: "/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id",
    arm64: "/aws/service/canonical/ubuntu/server/22.04/stable/current/arm64/hvm/ebs-gp2/ami-id",
  },
  "ubuntu-24.04": {
    x64: "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id",
    arm64: "/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id",
  },
  windows: { x64: "/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base" },
};

/**
 * The AWS Deep Learning Base AMI (NVIDIA driver, CUDA, the NVIDIA container toolkit) on Amazon Linux 2023,
 * for GPU pools (docs/runner-hosts.md, "GPU pools"). Name format from docs.aws.amazon.com/dlami/latest/
 * devguide/find-dlami-id.html: `/aws/service/deeplearning/ami/<arch>/<ami type>/latest/ami-id`.
 */
export const DEEP_LEARNING_BASE_AMI_PARAMETERS = {
  x64: "/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-amazon-linux-2023/latest/ami-id",
  arm64: "/aws/service/deeplearning/ami/arm64/base-oss-nvidia-driver-gpu-amazon-linux-2023/latest/ami-id",
} as const;

/** Root device name per host: AMIs of Amazon Linux boot from /dev/xvda, Ubuntu's and Windows' from /dev/sda1. */
export const ROOT_DEVICE_NAMES: Readonly<Record<RunnerHost, string>> = {
  al2023: "/dev/xvda",
  "ubuntu-22.04": "/dev/sda1",
  "ubuntu-24.04": "/dev/sda1",
  windows: "/dev/sda1",
};

/** The OS fields of a pool as a CDKTF user describes it. */
export interface PoolOsProps {
  /**
   * Operating system of the pool's runners. Windows pools run Windows Server 2022 on x64.
   * @default "linux"
   */
  readonly os?: RunnerOs;
  /**
   * Linux distribution (ignored for Windows pools): picks the bootstrap and the default AMI.
   * @default "al2023"
   */
  readonly linuxDistribution?: LinuxDistribution;
  /**
   * SSM parameter holding the AMI id (launch templates resolve it at launch). Not with `amiNameFilter`.
   * @default - the latest image of the OS and distribution for the architecture ({@link DEFAULT_AMI_PARAMETERS})
   */
  readonly amiSsmParameter?: string;
  /**
   * Owners of the AMI found by `amiNameFilter`: account ids, `self`, `amazon` or `aws-marketplace`.
   * @default []
   */
  readonly amiOwners?: string[];
  /**
   * AMI name filter (wildcards `*`): the newest image of `amiOwners` with that name and the pool's
   * architecture, looked up at plan time. Not with `amiSsmParameter`.
   * @default "" (the AMI comes from the SSM parameter)
   */
  readonly amiNameFilter?: string;
}

/** The OS fields of a pool in the module's snake_case shape, defaults filled in. */
export interface NormalizedPoolOs {
  readonly os: RunnerOs;
  readonly linux_distribution: LinuxDistribution;
  /** "" when the AMI comes from `ami_name_filter`. */
  readonly ami_ssm_parameter: string;
  readonly ami_owners: string[];
  readonly ami_name_filter: string;
}

export const POOL_OS_DEFAULTS = { os: "linux", linux_distribution: "al2023" } as const;

/** The host a pool boots. */
export function runnerHost(pool: { readonly os: RunnerOs; readonly linux_distribution: LinuxDistribution }): RunnerHost {
  return pool.os === "windows" ? "windows" : pool.linux_distribution;
}

/** The default AMI parameter of a host and architecture ("" where none exists: Windows on arm64 or an unknown host, both refused by a rule). */
export function defaultAmiParameter(host: RunnerHost, architecture: "x64" | "arm64"): string {
  return DEFAULT_AMI_PARAMETERS[host]?.[architecture] ?? "";
}

/** HCL over `p` (a pool of `var.pools`): its host, as {@link runnerHost} computes it. */
export function runnerHostHcl(p: string): string {
  return `(${p}.os == "windows" ? "windows" : ${p}.linux_distribution)`;
}

/** HCL over `p`: the AMI parameter the pool uses, as {@link normalizePoolOs} resolves it. */
export function amiParameterHcl(p: string): string {
  const table = Object.entries(DEFAULT_AMI_PARAMETERS).flatMap(([host, byArch]) =>
    Object.entries(byArch).map(([architecture, parameter]) => `${hclString(`${host}/${architecture}`)} = ${hclString(parameter)}`),
  );
  const fallback = `lookup({ ${table.join(", ")} }, format("%s/%s", ${runnerHostHcl(p)}, ${p}.architecture), "")`;
  return `(${p}.ami_name_filter != "" ? "" : (${p}.ami_ssm_parameter != null ? ${p}.ami_ssm_parameter : ${fallback}))`;
}

/** Lines of the module's `pools` object type for the OS fields (stacks/pools.ts poolsVariableType). */
export function poolOsVariableTypeLines(): string[] {
  return [
    `    os                 = optional(string, "${POOL_OS_DEFAULTS.os}")`,
    `    linux_distribution = optional(string, "${POOL_OS_DEFAULTS.linux_distribution}")`,
    "    ami_ssm_parameter  = optional(string)",
    "    ami_owners         = optional(list(string), [])",
    '    ami_name_filter    = optional(string, "")',
  ];
}

/** AMI owners EC2's DescribeImages accepts. */
const AMI_OWNER: InputRule = matching("^(self|amazon|aws-marketplace|[0-9]{12})$", "account ids (12 digits), self, amazon or aws-marketplace");

/** The pool fields the OS rules read (a subset of stacks/pools.ts NormalizedPool, which imports this file). */
type OsRulePool = NormalizedPoolOs & { readonly architecture: "x64" | "arm64" };

/** A rule on the OS fields, in the shape of stacks/pools.ts PoolRule (`condition` is HCL over a pool `p`). */
export interface PoolOsRule {
  readonly field: keyof OsRulePool;
  readonly allowed: string;
  check(pool: OsRulePool): boolean;
  condition(pool: string): string;
}

/**
 * Rules on the OS fields, checked by the constructs on the normalized pool and by the module on `var.pools`
 * (where `ami_ssm_parameter` is still null when unset).
 */
export const POOL_OS_RULES: readonly PoolOsRule[] = [
  { field: "os", ...onField("os", oneOf(RUNNER_OPERATING_SYSTEMS)) },
  { field: "linux_distribution", ...onField("linux_distribution", oneOf(LINUX_DISTRIBUTIONS)) },
  {
    field: "architecture",
    allowed: '"x64" for Windows pools (there is no Windows Server AMI for Graviton)',
    check: (pool) => pool.os !== "windows" || pool.architecture === "x64",
    condition: (p) => `${p}.os != "windows" || ${p}.architecture == "x64"`,
  },
  { field: "ami_owners", ...onField("ami_owners", eachItem(AMI_OWNER)) },
  {
    field: "ami_name_filter",
    allowed: "set together with ami_owners (the accounts whose images it searches), and not together with ami_ssm_parameter",
    check: (pool) => pool.ami_name_filter === "" || (pool.ami_owners.length > 0 && pool.ami_ssm_parameter === ""),
    condition: (p) => `${p}.ami_name_filter == "" || (length(${p}.ami_owners) > 0 && ${p}.ami_ssm_parameter == null)`,
  },
];

/** A field rule's check and condition. */
function onField(name: keyof NormalizedPoolOs, rule: InputRule): Pick<PoolOsRule, "allowed" | "check" | "condition"> {
  return { allowed: rule.allowed, check: (pool) => rule.check(pool[name]), condition: (p) => rule.condition(`${p}.${name}`) };
}

/** The OS fields of one CDKTF pool, defaults filled in (validated afterwards with {@link POOL_OS_RULES}). */
export function normalizePoolOs(p: PoolOsProps, architecture: "x64" | "arm64"): NormalizedPoolOs {
  const os = p.os ?? POOL_OS_DEFAULTS.os;
  const linuxDistribution = p.linuxDistribution ?? POOL_OS_DEFAULTS.linux_distribution;
  const amiNameFilter = p.amiNameFilter ?? "";
  return {
    os,
    linux_distribution: linuxDistribution,
    ami_ssm_parameter: p.amiSsmParameter ?? (amiNameFilter === "" ? defaultAmiParameter(runnerHost({ os, linux_distribution: linuxDistribution }), architecture) : ""),
    ami_owners: p.amiOwners ?? [],
    ami_name_filter: amiNameFilter,
  };
}
