import { POWERTOOLS_ENV } from "../../contracts/common.js";
import { metricsNamespace } from "../../contracts/metrics.js";
import type { EnvContract, EnvInput, JsonFields, JsonShape } from "../../contracts/env.js";
import { POOL_FIELDS } from "../../contracts/pools.js";
import { Fn, TerraformIterator } from "../cdktf.js";
import type { NormalizedPool, PoolMap } from "../pools.js";

/**
 * A function's environment from its contract: `values` has one raw string (literal or Terraform
 * expression) per contract key, so a missing or unknown key is a compile error; the names come from
 * the contract. Variables appear in the order of `values`; unset optional ones are left out.
 */
export function renderEnvironment<C extends EnvContract>(contract: C, values: EnvInput<C>): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [key, value] of Object.entries(values as Record<string, string | undefined>)) {
    const variable = contract[key];
    if (variable === undefined) throw new Error(`${key} is not a variable of this contract`);
    if (value !== undefined) environment[variable.name] = value;
  }
  return environment;
}

/** The Powertools settings every function gets: its service name, and the deployment's metrics namespace (`SelfRunners/<prefix>`). */
export function powertoolsEnvironment(serviceName: string, prefix: string): EnvInput<typeof POWERTOOLS_ENV> {
  return {
    powertoolsServiceName: serviceName,
    powertoolsMetricsNamespace: metricsNamespace(prefix),
    powertoolsLogLevel: POWERTOOLS_ENV.powertoolsLogLevel.default,
  };
}

type FieldsOf<V> = V extends { readonly type: { readonly shape: { readonly kind: "map"; readonly value: { readonly kind: "object"; readonly fields: infer F } } } } ? F : never;
type ResourceNames<F> = { [K in keyof F]: F[K] extends { readonly source: { readonly resource: infer R extends string } } ? R : never }[keyof F];

/** The per-pool resources a POOLS document reads from: resource name (contracts/pools.ts) -> its `for_each` resource's fqn. */
export type PoolResources<V> = { readonly [R in ResourceNames<FieldsOf<V>>]: string };

// Every `pool` source of contracts/pools.ts is an attribute of the module's `pools` input.
type PoolAttributes = { [K in keyof typeof POOL_FIELDS]: (typeof POOL_FIELDS)[K]["source"] extends { readonly pool: infer A } ? A : never }[keyof typeof POOL_FIELDS];
const poolAttributesExist: PoolAttributes extends keyof NormalizedPool ? true : never = true;
void poolAttributesExist;

/**
 * A POOLS variable as `jsonencode({ for key, val in pools : key => { <field> = <source>, ... } })`,
 * generated from the contract's field list: `val.<attribute>` for a pool attribute,
 * `<resource fqn>[key].<attribute>` for a per-pool resource.
 */
export function poolsEnvironment<V extends { readonly type: { readonly kind: "json"; readonly shape: JsonShape } }>(variable: V, pools: PoolMap, resources: PoolResources<V>): string {
  const shape = variable.type.shape;
  if (shape.kind !== "map" || shape.value.kind !== "object") throw new Error("a POOLS variable is a map of objects");
  const fields: JsonFields = shape.value.fields;
  const items = Object.entries(fields).map(([key, field]) => {
    const source = field.source;
    if (source === undefined) throw new Error(`pool field ${key} has no source`);
    if ("pool" in source) return `${key} = val.${source.pool}`;
    const fqn = (resources as Record<string, string>)[source.resource];
    if (fqn === undefined) throw new Error(`pool field ${key} needs the ${source.resource} resource`);
    return `${key} = ${fqn}[key].${source.attribute}`;
  });
  return Fn.jsonencode(TerraformIterator.fromMap(pools).forExpressionForMap("key", `{ ${items.join(", ")} }`));
}
