import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { POWERTOOLS_ENV } from "../../contracts/common.js";
import { METRICS } from "../../contracts/metrics.js";
import type { MetricSpec } from "../../contracts/metrics.js";
import { parseEnv } from "./config.js";

export { METRICS };

/** Default CloudWatch namespace when POWERTOOLS_METRICS_NAMESPACE is not set (contracts/common.ts). */
export const DEFAULT_METRICS_NAMESPACE = POWERTOOLS_ENV.powertoolsMetricsNamespace.default;

const namespace = parseEnv(POWERTOOLS_ENV).powertoolsMetricsNamespace;

/**
 * Powertools (2.35) warns on every flush when two dimension sets of one record name the same key
 * ([Pool] and [Pool, Market]), which our tables do by design. emitMetric gives every set its values
 * from one map, so the values never differ and the warning says nothing: it is dropped here, and every
 * other warning goes to the console as Powertools would print it.
 */
const SAME_KEY_IN_TWO_DIMENSION_SETS = /^EMF key "[^"]+" is defined as both a dimension set and dimension set;/;
const buffersLogger: NonNullable<ConstructorParameters<typeof Metrics>[0]>["logger"] = {
  debug: (...content: unknown[]) => console.debug(...content),
  info: (...content: unknown[]) => console.info(...content),
  error: (...content: unknown[]) => console.error(...content),
  warn: (...content: unknown[]) => {
    if (typeof content[0] === "string" && SAME_KEY_IN_TWO_DIMENSION_SETS.test(content[0])) return;
    console.warn(...content);
  },
};

/** The one Powertools Metrics instance of a function; flushed with the per-dimension buffers (flushMetrics). */
export const metrics = new Metrics({ namespace });

/** The value published for a dimension the caller left empty. */
export const UNKNOWN_DIMENSION_VALUE = "unknown";

/** The dimension names a table entry's sets use (`never` for a deployment-wide metric). */
type DimensionNamesOf<S extends MetricSpec> = S["dimensions"][number][number];

/** One value per dimension of a table entry: a missing one is a type error. */
export type MetricDimensionValues<S extends MetricSpec> = { readonly [D in DimensionNamesOf<S>]: string };

type DimensionArgs<S extends MetricSpec> = [DimensionNamesOf<S>] extends [never] ? [] : [dimensions: MetricDimensionValues<S>];

/**
 * One buffer per dimension sets and values: a Powertools Metrics buffer publishes every metric it holds
 * under all of its dimension sets, so data points with different dimensions must not share one. The
 * buffers live as long as the execution environment (creating a Metrics instance per data point, as
 * `singleMetric()` does, cost more than the work most data points count).
 */
const buffers = new Map<string, { readonly buffer: Metrics; readonly sets: ReadonlyArray<Readonly<Record<string, string>>> }>();

/** Above this many distinct dimension combinations the idle buffers are dropped at the next flush. */
const MAX_KEPT_BUFFERS = 64;

/**
 * Records one data point of a table entry (contracts/metrics.ts): its unit from the table, with the
 * plain `[service]` dimension set plus each of the table's sets (Powertools `addDimensions` adds an
 * independent set; the empty one is `[service]` alone). Buffered until {@link flushMetrics} (the
 * handlers call it once per invocation), so an invocation prints one EMF record per combination of
 * dimensions, not one per data point.
 */
export function emitMetric<S extends MetricSpec>(spec: S, value: number, ...[dimensions]: DimensionArgs<S>): void {
  const values = (dimensions ?? {}) as Readonly<Record<string, string>>;
  // The buffer's key as a string, the sets' objects only for a new buffer: this runs per data point.
  // Names are identifiers and values JSON-quoted, so two different sets never share a key.
  let key = "";
  for (const set of spec.dimensions) {
    key += "[";
    for (const name of set) key += `${name}=${JSON.stringify(dimensionValue(values, name))},`;
    key += "]";
  }
  let entry = buffers.get(key);
  if (entry === undefined) {
    const sets = spec.dimensions.map((set) => Object.fromEntries(set.map((name) => [name, dimensionValue(values, name)])));
    entry = { buffer: new Metrics({ namespace, logger: buffersLogger }), sets };
    buffers.set(key, entry);
  }
  // Powertools clears the dimensions with each publish (ours, and its own at 100 stored metrics).
  if (!entry.buffer.hasStoredMetrics()) {
    entry.buffer.addDimensions({});
    for (const set of entry.sets) entry.buffer.addDimensions(set);
  }
  entry.buffer.addMetric(spec.name, MetricUnit[spec.unit], value);
}

function dimensionValue(values: Readonly<Record<string, string>>, name: string): string {
  const value = values[name];
  // Only reachable through a cast or an empty string. A metric must never fail the work it counts, and
  // Powertools would drop an empty dimension (and so the per-pool series) with a warning.
  return value === undefined || value === "" ? UNKNOWN_DIMENSION_VALUE : value;
}

/** Publishes what the invocation recorded (one EMF record per buffer); skips the empty flushes Powertools would warn about. */
export function flushMetrics(): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  for (const { buffer } of buffers.values()) {
    if (buffer.hasStoredMetrics()) buffer.publishStoredMetrics();
  }
  if (buffers.size > MAX_KEPT_BUFFERS) buffers.clear();
}
