/**
 * The pool rules (one table: each checks a CDKTF user's pool and renders the module's `pools` validation)
 * and normalizePools, which validates literal pools and fills in the defaults. The shapes and defaults
 * they work on are in ./pools.ts.
 */
import { Token } from "./cdktf.js";
import { RULES, SelfRunnersValidationError } from "./errors.js";
import { WARM_SCHEDULE_ALLOWED, WARM_SCHEDULE_PATTERN } from "../contracts/patterns.js";
import { eachItem, hclString, integerBetween, matching, nonEmptyList, oneOf, type InputRule } from "./module/rules.js";
import {
  INSTANCE_REQUIREMENTS_RULES,
  INSTANCE_SELECTION_ALLOWED,
  INSTANCE_SELECTION_CONDITION,
  INSTANCE_TYPES_ITEMS,
  normalizeInstanceRequirements,
} from "./pools-instance-requirements.js";
import { POOL_CUSTOMIZATION_RULES, normalizePoolCustomization } from "./pools-customization.js";
import { normalizePoolOs, POOL_OS_RULES } from "./pools-os.js";
import { POOL_DEFAULTS, type NormalizedPool, type RunnerPoolProps } from "./pools.js";
/**
 * Instance types of AWS Graviton (arm64): a `g` among the attribute letters after the generation digit
 * (m7g, c6gn, t4g, r8g, im4gn, is4gen, g5g), and the first-generation a1.
 */
export const GRAVITON_INSTANCE_TYPE_PATTERN = "^([a-z]+[0-9]+[a-z]*g[a-z]*(-[a-z0-9]+)?|a1)\\.[a-z0-9]+$";

/** Which instance families count as Graviton, in words. */
const GRAVITON_INSTANCE_TYPE_NOTE = "a g after the generation digit, such as m7g, c6gn, t4g, r8g, or a1";

/** A rule about one pool, over the module's snake_case shape (what `var.pools` holds once defaults are in). */
export interface PoolRule {
  /** The pool field the rule is about, in snake_case (`""` for the pool's key). */
  readonly field: string;
  /** What is allowed, completing "Every pool's <field> must be …" and "allowed: …". */
  readonly allowed: string;
  check(pool: NormalizedPool, key: string): boolean;
  /** HCL over `p` (the pool) and `k` (its key); optional fields may be null in `var.pools`. */
  condition(pool: string, key: string): string;
}

/** A rule on one field of every pool. */
function field(name: keyof NormalizedPool, rule: InputRule, nullable = false): PoolRule {
  return {
    field: name,
    allowed: rule.allowed,
    check: (pool) => rule.check(pool[name]),
    condition: (p) => rule.condition(nullable ? `(${p}.${name} == null ? [] : ${p}.${name})` : `${p}.${name}`),
  };
}

/** Rules checked per pool, in this order, by the constructs and by the module's `pools` validation. */
export const POOL_RULES: readonly PoolRule[] = [
  { field: "", allowed: RULES.poolKey.allowed, check: (_pool, key) => new RegExp(RULES.poolKey.pattern).test(key), condition: (_p, k) => `can(regex(${hclString(RULES.poolKey.pattern)}, ${k}))` },
  field("labels", nonEmptyList(matching(RULES.label.pattern, RULES.label.allowed))),
  field("instance_types", INSTANCE_TYPES_ITEMS),
  {
    field: "instance_types",
    allowed: INSTANCE_SELECTION_ALLOWED,
    check: (pool) => pool.instance_types.length > 0 !== (pool.instance_requirements !== null),
    condition: (p) => INSTANCE_SELECTION_CONDITION(p),
  },
  // Checked only when the pool has requirements: the conditional evaluates the rule for a set object only.
  ...INSTANCE_REQUIREMENTS_RULES.map(
    (rule): PoolRule => ({
      field: `instance_requirements.${rule.attribute}`,
      allowed: rule.allowed,
      check: (pool) => pool.instance_requirements === null || rule.check(pool.instance_requirements),
      condition: (p) => `${p}.instance_requirements == null ? true : (${rule.condition(`${p}.instance_requirements`)})`,
    }),
  ),
  field("max_runners", integerBetween(1, 10000)),
  field("architecture", oneOf(["x64", "arm64"])),
  {
    field: "instance_types",
    allowed: `Graviton types (${GRAVITON_INSTANCE_TYPE_NOTE}) for architecture "arm64" and only other types for "x64"`,
    check: (pool) => pool.instance_types.every((t) => new RegExp(GRAVITON_INSTANCE_TYPE_PATTERN).test(t) === (pool.architecture === "arm64")),
    condition: (p) => `alltrue([for t in ${p}.instance_types : can(regex(${hclString(GRAVITON_INSTANCE_TYPE_PATTERN)}, t)) == (${p}.architecture == "arm64")])`,
  },
  field("root_volume_size", integerBetween(8, 16384, " GiB")),
  field("subnet_ids", eachItem(matching(RULES.subnetId.pattern, RULES.subnetId.allowed)), true),
  field("runner_group_id", integerBetween(1, 2 ** 53 - 1)),
  field("warm_pool_size", integerBetween(0, 1000)),
  {
    field: "warm_pool_owner",
    allowed: "an organization (org scope) or owner/repo (repo scope) when warm_pool_size > 0",
    check: (pool) => pool.warm_pool_size === 0 || pool.warm_pool_owner !== "",
    condition: (p) => `${p}.warm_pool_size == 0 || length(${p}.warm_pool_owner) > 0`,
  },
  field("warm_pool_schedule", matching(WARM_SCHEDULE_PATTERN, WARM_SCHEDULE_ALLOWED)),
  ...POOL_CUSTOMIZATION_RULES.map(({ field: name, rule }) => field(name, rule)),
  ...POOL_OS_RULES,
];

/** The message of a pool rule in the module's `pools` validation. */
export function poolRuleMessage(rule: PoolRule): string {
  return rule.field === "" ? `Every pool key must be ${rule.allowed}.` : `Every pool's ${rule.field} must be ${rule.allowed}.`;
}

/** Labels a pool offers, as the webhook compares them (lower case, self-hosted implicit). */
function offeredLabels(pool: { readonly labels: readonly string[] }): Set<string> {
  return new Set(["self-hosted", ...pool.labels.map((l) => l.toLowerCase())]);
}

/**
 * The key of an earlier pool (in key order) that offers every label of pool `key`, so that pool can
 * never receive a job: the webhook sends a job to the FIRST pool whose labels hold all of its labels.
 */
export function shadowingPool(pools: Readonly<Record<string, { readonly labels: readonly string[] }>>, key: string): string | undefined {
  const keys = Object.keys(pools).sort();
  const offered = offeredLabels(pools[key]);
  return keys.slice(0, keys.indexOf(key)).find((earlier) => {
    const earlierOffers = offeredLabels(pools[earlier]);
    return [...offered].every((label) => earlierOffers.has(label));
  });
}

/** What the label-shadowing rule allows, in words. */
export const UNSHADOWED_LABELS_ALLOWED =
  "labels that are not all offered by an earlier pool (in key order): a job goes to the first pool whose labels contain all of its runs-on labels, so such a pool could never receive one";

/** Rules over the whole `pools` map, with their HCL over `pools` (a map expression). */
export const POOLS_MAP_RULES = [
  { allowed: "a map of at least one pool", message: "pools must be a map of at least one pool.", condition: (pools: string) => `length(${pools}) > 0` },
  {
    allowed: UNSHADOWED_LABELS_ALLOWED,
    message: `Every pool's labels must be ${UNSHADOWED_LABELS_ALLOWED}.`,
    condition: (pools: string) => {
      const offered = (k: string) => `setunion(["self-hosted"], [for l in ${pools}[${k}].labels : lower(l)])`;
      return `alltrue(flatten([for j, later in keys(${pools}) : [for i, earlier in keys(${pools}) : i >= j || length(setsubtract(${offered("later")}, ${offered("earlier")})) > 0]]))`;
    },
  },
] as const;

/** The module's `pools` validation blocks, from the same rules the constructs check. */
export function poolsValidation(): Array<{ condition: string; errorMessage: string }> {
  return [
    ...POOLS_MAP_RULES.map((rule) => ({ condition: rule.condition("var.pools"), errorMessage: rule.message })),
    ...POOL_RULES.map((rule) => ({ condition: `alltrue([for k, p in var.pools : ${rule.condition("p", "k")}])`, errorMessage: poolRuleMessage(rule) })),
  ];
}

/** `warm_pool_size` -> `warmPoolSize`. */
function camel(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** Validates CDKTF users' pools and fills in the defaults, producing the module's shape. */
export function normalizePools(
  constructPath: string,
  pools: Record<string, RunnerPoolProps>,
  defaultSubnetIds: string[],
): Record<string, NormalizedPool> {
  const keys = Object.keys(pools);
  if (keys.length === 0) throw new SelfRunnersValidationError(constructPath, "pools", pools, POOLS_MAP_RULES[0].allowed);
  const out: Record<string, NormalizedPool> = {};
  for (const key of keys.sort()) {
    const p = pools[key];
    const architecture = p.architecture ?? POOL_DEFAULTS.architecture;
    const pool: NormalizedPool = {
      labels: p.labels,
      instance_types: p.instanceTypes ?? [],
      instance_requirements: normalizeInstanceRequirements(p.instanceRequirements),
      max_runners: p.maxRunners ?? POOL_DEFAULTS.max_runners,
      spot: p.spot ?? POOL_DEFAULTS.spot,
      on_demand_fallback: p.onDemandFallback ?? POOL_DEFAULTS.on_demand_fallback,
      architecture,
      ...normalizePoolOs(p, architecture),
      root_volume_size: p.rootVolumeSize ?? POOL_DEFAULTS.root_volume_size,
      subnet_ids: p.subnetIds ?? defaultSubnetIds,
      runner_group_id: p.runnerGroupId ?? POOL_DEFAULTS.runner_group_id,
      warm_pool_size: p.warmPoolSize ?? POOL_DEFAULTS.warm_pool_size,
      warm_pool_owner: p.warmPoolOwner ?? "",
      warm_pool_schedule: p.warmPoolSchedule ?? "",
      allow_public_repositories: p.allowPublicRepositories ?? POOL_DEFAULTS.allow_public_repositories,
      ...normalizePoolCustomization(p),
    };
    for (const rule of POOL_RULES) {
      const value = rule.field === "" ? key : fieldValue(pool, rule.field);
      if (containsToken(value)) continue;
      if (!rule.check(pool, key)) {
        throw new SelfRunnersValidationError(constructPath, `pools.${key}.${rule.field === "" ? "(key)" : camel(rule.field)}`, value, rule.allowed);
      }
    }
    out[key] = pool;
  }
  for (const key of keys) {
    if (containsToken(out[key].labels)) continue;
    const earlier = shadowingPool(out, key);
    if (earlier !== undefined) {
      throw new SelfRunnersValidationError(constructPath, `pools.${key}.labels`, out[key].labels, `${UNSHADOWED_LABELS_ALLOWED} (pool "${earlier}" offers all of them)`);
    }
  }
  return out;
}

/** A pool's value at a field path (`instance_requirements.vcpu_min`); undefined under a null object. */
function fieldValue(pool: NormalizedPool, path: string): unknown {
  return path.split(".").reduce<unknown>((value, name) => (value === null || value === undefined ? undefined : (value as Record<string, unknown>)[name]), pool);
}

/** True when a value, or an item of a list, is known only at apply time. */
function containsToken(value: unknown): boolean {
  return Token.isUnresolved(value) || (Array.isArray(value) && value.some((v) => Token.isUnresolved(v)));
}
