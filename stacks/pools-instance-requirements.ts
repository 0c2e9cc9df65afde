/**
 * Attribute-based instance selection for a pool (issue 12, item 5), an attribute group composed by
 * ./pools.ts: instead of a list of `instance_types`, a pool may give `instance_requirements` (vCPU and
 * memory ranges, generations, burstable on/off, allowed or excluded types), which scale-up passes to
 * CreateFleet as `InstanceRequirements` so spot capacity comes from every type that fits. Exactly one of
 * the two per pool. The architecture is the pool's `architecture` (EC2 Fleet picks only types that run
 * the launch template's AMI).
 */
import { Fn, TerraformIterator, Token } from "./cdktf.js";
import type { IResolvable } from "./cdktf.js";
import { RULES } from "./errors.js";
import { eachItem, integerBetween, matching, nonEmptyList, oneOf, type InputRule } from "./module/rules.js";

/** Attribute-based selection as a CDKTF user gives it (the camelCase of the module's attributes). */
export interface InstanceRequirementsProps {
  /** Fewest vCPUs an instance type may have. */
  readonly vcpuMin: number;
  /**
   * Most vCPUs.
   * @default - no upper bound
   */
  readonly vcpuMax?: number;
  /** Least memory in MiB. */
  readonly memoryMibMin: number;
  /**
   * Most memory in MiB.
   * @default - no upper bound
   */
  readonly memoryMibMax?: number;
  /**
   * Instance generations: "current" and/or "previous".
   * @default ["current"]
   */
  readonly instanceGenerations?: Array<"current" | "previous">;
  /**
   * Burstable (T) types: "included", "excluded" or "required". Excluded by default: a CI job spends
   * the CPU credits of a small T type within minutes and then runs throttled.
   * @default "excluded"
   */
  readonly burstablePerformance?: "included" | "excluded" | "required";
  /**
   * Only these types (EC2 wildcards allowed: `m7*.*`, `c*`); exclusive with `excludedInstanceTypes`.
   * @default [] - any type matching the other attributes
   */
  readonly allowedInstanceTypes?: string[];
  /**
   * Never these types (wildcards allowed); exclusive with `allowedInstanceTypes`.
   * @default []
   */
  readonly excludedInstanceTypes?: string[];
}

/** The module's shape of `instance_requirements` once Terraform filled in the defaults. */
export interface NormalizedInstanceRequirements {
  readonly vcpu_min: number;
  readonly vcpu_max: number | null;
  readonly memory_mib_min: number;
  readonly memory_mib_max: number | null;
  readonly instance_generations: Array<"current" | "previous">;
  readonly burstable_performance: "included" | "excluded" | "required";
  readonly allowed_instance_types: string[];
  readonly excluded_instance_types: string[];
}

export const INSTANCE_REQUIREMENTS_DEFAULTS = {
  instance_generations: ["current"],
  burstable_performance: "excluded",
} as const;

/** The attribute's Terraform type, a line of the `pools` object type. */
export function instanceRequirementsType(): string {
  const d = INSTANCE_REQUIREMENTS_DEFAULTS;
  return [
    "    instance_requirements = optional(object({",
    "      vcpu_min                = number",
    "      vcpu_max                = optional(number)",
    "      memory_mib_min          = number",
    "      memory_mib_max          = optional(number)",
    `      instance_generations    = optional(list(string), ${JSON.stringify(d.instance_generations)})`,
    `      burstable_performance   = optional(string, "${d.burstable_performance}")`,
    "      allowed_instance_types  = optional(list(string), [])",
    "      excluded_instance_types = optional(list(string), [])",
    "    }))",
  ].join("\n");
}

/** Fills the defaults of a CDKTF user's requirements; undefined stays null (instance types instead). */
export function normalizeInstanceRequirements(r: InstanceRequirementsProps | undefined): NormalizedInstanceRequirements | null {
  if (r === undefined) return null;
  return {
    vcpu_min: r.vcpuMin,
    vcpu_max: r.vcpuMax ?? null,
    memory_mib_min: r.memoryMibMin,
    memory_mib_max: r.memoryMibMax ?? null,
    instance_generations: r.instanceGenerations ?? [...INSTANCE_REQUIREMENTS_DEFAULTS.instance_generations],
    burstable_performance: r.burstablePerformance ?? INSTANCE_REQUIREMENTS_DEFAULTS.burstable_performance,
    allowed_instance_types: r.allowedInstanceTypes ?? [],
    excluded_instance_types: r.excludedInstanceTypes ?? [],
  };
}

/** An EC2 instance type, or a pattern of one with `*` wildcards (InstanceRequirements' own syntax). */
export const INSTANCE_TYPE_WILDCARD = { pattern: "^[a-z0-9*][a-z0-9*-]*(\\.[a-z0-9*-]+)?$", allowed: "EC2 instance types or patterns with * wildcards (m7i.large, m7*.*, c*)" };

/** The largest vCPU count and memory of any EC2 type today (u7in-32tb: 896 vCPUs, 32 TiB), rounded up. */
const MAX_VCPUS = 1024;
const MAX_MEMORY_MIB = 33554432;

/** One rule on an attribute of `instance_requirements`, checked only when the pool has requirements. */
export interface RequirementsRule {
  readonly attribute: string;
  readonly allowed: string;
  check(r: NormalizedInstanceRequirements): boolean;
  /** HCL over `r` (the non-null requirements object). */
  condition(r: string): string;
}

function attribute(name: keyof NormalizedInstanceRequirements, rule: InputRule): RequirementsRule {
  return { attribute: name, allowed: rule.allowed, check: (r) => rule.check(r[name]), condition: (r) => rule.condition(`${r}.${name}`) };
}

/** A bound that is null (none) or a whole number from the lower bound to `max`. */
function upperBound(name: "vcpu_max" | "memory_mib_max", lower: "vcpu_min" | "memory_mib_min", max: number, unit: string): RequirementsRule {
  return {
    attribute: name,
    allowed: `null (no bound) or a whole number from ${lower} to ${max}${unit}`,
    check: (r) => r[name] === null || (Number.isInteger(r[name]) && (r[name] as number) >= r[lower] && (r[name] as number) <= max),
    // The conditional evaluates the comparison only for a bound that is set.
    condition: (r) => `${r}.${name} == null ? true : (${r}.${name} >= ${r}.${lower} && ${r}.${name} <= ${max} && floor(${r}.${name}) == ${r}.${name})`,
  };
}

/** The rules of `instance_requirements`, in order (the CDKTF props and the module's validation share them). */
export const INSTANCE_REQUIREMENTS_RULES: readonly RequirementsRule[] = [
  attribute("vcpu_min", integerBetween(1, MAX_VCPUS)),
  upperBound("vcpu_max", "vcpu_min", MAX_VCPUS, ""),
  attribute("memory_mib_min", integerBetween(512, MAX_MEMORY_MIB, " MiB")),
  upperBound("memory_mib_max", "memory_mib_min", MAX_MEMORY_MIB, " MiB"),
  attribute("instance_generations", nonEmptyList(oneOf(["current", "previous"]))),
  attribute("burstable_performance", oneOf(["included", "excluded", "required"])),
  attribute("allowed_instance_types", eachItem(matching(INSTANCE_TYPE_WILDCARD.pattern, INSTANCE_TYPE_WILDCARD.allowed))),
  attribute("excluded_instance_types", eachItem(matching(INSTANCE_TYPE_WILDCARD.pattern, INSTANCE_TYPE_WILDCARD.allowed))),
  {
    attribute: "allowed_instance_types",
    allowed: "empty when excluded_instance_types is set (EC2 accepts only one of the two)",
    check: (r) => r.allowed_instance_types.length === 0 || r.excluded_instance_types.length === 0,
    condition: (r) => `length(${r}.allowed_instance_types) == 0 || length(${r}.excluded_instance_types) == 0`,
  },
];

/** What the exactly-one rule allows, in words. */
export const INSTANCE_SELECTION_ALLOWED =
  "a non-empty list (and then no instance_requirements), or empty when instance_requirements is set: a pool selects its types by list or by attributes, exactly one of the two";

/** Exactly one of `instance_types` and `instance_requirements`, over the pool `p`. */
export const INSTANCE_SELECTION_CONDITION = (p: string): string => `(length(${p}.instance_types) > 0) != (${p}.instance_requirements != null)`;

/** The instance type list's own rule (items only; emptiness is the exactly-one rule's business). */
export const INSTANCE_TYPES_ITEMS = eachItem(matching(RULES.instanceType.pattern, RULES.instanceType.allowed));

/** The pool attributes {@link launchableInstanceTypes} reads. */
interface InstanceSelection {
  readonly instance_types: readonly string[];
  readonly instance_requirements: NormalizedInstanceRequirements | null;
}

/**
 * The instance types (IAM `StringLike` patterns) launches may request, for the launch policy: every
 * pool's list; for an attribute-based pool its `allowed_instance_types`, or `*` without them (EC2
 * chooses among all types that fit, so no narrower list exists before launch).
 */
export function launchableInstanceTypes(pools: Readonly<Record<string, InstanceSelection>> | IResolvable): string[] {
  const of = (pool: InstanceSelection): readonly string[] =>
    pool.instance_types.length > 0 ? pool.instance_types : pool.instance_requirements?.allowed_instance_types.length ? pool.instance_requirements.allowed_instance_types : ["*"];
  if (!Token.isUnresolved(pools)) {
    const types = [...new Set(Object.values(pools as Record<string, InstanceSelection>).flatMap(of))];
    if (!types.some((t) => Token.isUnresolved(t))) return types;
  }
  const r = "val.instance_requirements";
  return Fn.distinct(
    Fn.flatten(
      TerraformIterator.fromMap(pools).forExpressionForList(
        `length(val.instance_types) > 0 ? val.instance_types : (length(${r}.allowed_instance_types) > 0 ? ${r}.allowed_instance_types : ["*"])`,
      ),
    ),
  );
}
