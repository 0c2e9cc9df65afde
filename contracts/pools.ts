import { json, required } from "./env.js";
import type { JsonField, JsonFields } from "./env.js";

/**
 * Every field a function may read from its POOLS document, and where the stack takes it from:
 * a `pools` input attribute (`val.<attribute>`) or a per-pool resource (`<resource>[key].<attribute>`).
 * Each function's POOLS picks the fields it needs ({@link poolsVariable}); the stack's HCL
 * for-expression is generated from the same list (stacks/private/environment.ts).
 */
export const POOL_FIELDS = {
  labels: { shape: { kind: "strings" }, source: { pool: "labels" }, doc: "the labels the pool serves", example: ["linux", "x64"] },
  maxRunners: { shape: { kind: "integer", min: 0 }, source: { pool: "max_runners" }, doc: "the pool's runner limit", example: 10 },
  instanceTypes: {
    shape: { kind: "list", item: { kind: "string" } },
    source: { pool: "instance_types" },
    doc: "instance types, in order of preference; empty when the pool selects by `instanceRequirements`",
    example: ["m7i.large"],
  },
  instanceRequirements: {
    // The pool's `instance_requirements` attribute as the module holds it, hence snake_case inside.
    shape: {
      kind: "object",
      fields: {
        vcpu_min: { shape: { kind: "integer", min: 1 }, doc: "fewest vCPUs" },
        vcpu_max: { shape: { kind: "integer", min: 1 }, optional: true, doc: "most vCPUs (null: no bound)" },
        memory_mib_min: { shape: { kind: "integer", min: 1 }, doc: "least memory, MiB" },
        memory_mib_max: { shape: { kind: "integer", min: 1 }, optional: true, doc: "most memory, MiB (null: no bound)" },
        instance_generations: { shape: { kind: "strings" }, doc: "`current` and/or `previous`" },
        burstable_performance: { shape: { kind: "string" }, doc: "`included`, `excluded` or `required`" },
        allowed_instance_types: { shape: { kind: "list", item: { kind: "string" } }, doc: "only these types (wildcards allowed); empty: any" },
        excluded_instance_types: { shape: { kind: "list", item: { kind: "string" } }, doc: "never these types (wildcards allowed)" },
      },
    },
    optional: true,
    source: { pool: "instance_requirements" },
    doc: "attribute-based selection (CreateFleet `InstanceRequirements`) instead of `instanceTypes`; null: the list",
    example: null,
  },
  subnetIds: { shape: { kind: "strings" }, source: { pool: "subnet_ids" }, doc: "subnets runners launch in", example: ["subnet-1"] },
  launchTemplateName: {
    shape: { kind: "string" },
    source: { resource: "launchTemplates", attribute: "name" },
    doc: "the pool's launch template (`<prefix>-<pool>`)",
    example: "sr-linux",
  },
  spot: { shape: { kind: "boolean" }, source: { pool: "spot" }, doc: "launch spot instances", example: true },
  onDemandFallback: {
    shape: { kind: "boolean" },
    optional: true,
    default: false,
    source: { pool: "on_demand_fallback" },
    doc: "fall back to on-demand when spot has no capacity",
    example: true,
  },
  runnerGroupId: {
    shape: { kind: "integer", min: 1 },
    optional: true,
    default: 1,
    source: { pool: "runner_group_id" },
    doc: "runner group for org scope (repository runners always join the default group 1)",
    example: 1,
  },
  allowPublicRepositories: {
    shape: { kind: "boolean" },
    optional: true,
    default: false,
    source: { pool: "allow_public_repositories" },
    doc: "serve jobs of public repositories (refused otherwise: a fork's pull request would run on the runner)",
    example: false,
  },
  queueUrl: { shape: { kind: "string" }, source: { resource: "queues", attribute: "url" }, doc: "the pool's job queue", example: "https://sqs.eu-west-1.amazonaws.com/123456789012/sr-linux.fifo" },
  queueArn: {
    shape: { kind: "string" },
    source: { resource: "queues", attribute: "arn" },
    doc: "the queue's ARN, to map an SQS record to its pool",
    example: "arn:aws:sqs:eu-west-1:123456789012:sr-linux.fifo",
  },
  deadLetterQueueUrl: {
    shape: { kind: "string" },
    source: { resource: "deadLetterQueues", attribute: "url" },
    doc: "the pool's dead-letter queue: jobs that cannot be served go there with their reason",
    example: "https://sqs.eu-west-1.amazonaws.com/123456789012/sr-linux-dlq.fifo",
  },
  warmSize: { shape: { kind: "integer", min: 0 }, optional: true, default: 0, source: { pool: "warm_pool_size" }, doc: "idle runners kept ready (0: none)", example: 0 },
  warmOwner: { shape: { kind: "text" }, optional: true, source: { pool: "warm_pool_owner" }, doc: "the org or `owner/repo` warm runners register to", example: "" },
  warmSchedule: {
    shape: { kind: "text" },
    optional: true,
    source: { pool: "warm_pool_schedule" },
    doc: 'UTC windows `<days> HH:MM-HH:MM` separated by `;` (days `Mon-Fri`, `Sat,Sun`, `*`), "" for always',
    example: "",
  },
} as const satisfies Readonly<Record<string, JsonField & { readonly example: unknown }>>;

export type PoolFieldName = keyof typeof POOL_FIELDS;

/** The subset of {@link POOL_FIELDS} one function reads. */
export function poolFields<const K extends PoolFieldName>(keys: readonly K[]): { readonly [P in K]: (typeof POOL_FIELDS)[P] } {
  return Object.fromEntries(keys.map((key) => [key, POOL_FIELDS[key]])) as { readonly [P in K]: (typeof POOL_FIELDS)[P] };
}

/** POOLS: a JSON object keyed by pool name whose values hold `fields`. */
export function poolsVariable<const F extends JsonFields>(fields: F, doc: string) {
  const example = JSON.stringify({ linux: Object.fromEntries(Object.keys(fields).map((key) => [key, (POOL_FIELDS as Record<string, { example: unknown }>)[key]?.example])) });
  return required("POOLS", json({ kind: "map", value: { kind: "object", fields } }), doc, example);
}
