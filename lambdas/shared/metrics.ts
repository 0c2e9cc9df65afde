import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { POWERTOOLS_ENV } from "../../contracts/common.js";
import { METRICS } from "../../contracts/metrics.js";
import type { MetricSpec } from "../../contracts/metrics.js";
import { parseEnv } from "./config.js";

export { METRICS };

/** Default CloudWatch namespace when POWERTOOLS_METRICS_NAMESPACE is not set (contracts/common.ts). */
export const DEFAULT_METRICS_NAMESPACE = POWERTOOLS_ENV.powertoolsMetricsNamespace.default;

/** The one Powertools Metrics instance of a function; records are made from it (emitMetric). */
export const metrics = new Metrics({ namespace: parseEnv(POWERTOOLS_ENV).powertoolsMetricsNamespace });

/** The value published for a dimension the caller left empty. */
export const UNKNOWN_DIMENSION_VALUE = "unknown";

/** The dimension names a table entry's sets use (`never` for a deployment-wide metric). */
type DimensionNamesOf<S extends MetricSpec> = S["dimensions"][number][number];

/** One value per dimension of a table entry: a missing one is a type error. */
export type MetricDimensionValues<S extends MetricSpec> = { readonly [D in DimensionNamesOf<S>]: string };

type DimensionArgs<S extends MetricSpec> = [DimensionNamesOf<S>] extends [never] ? [] : [dimensions: MetricDimensionValues<S>];

/**
 * Publishes one data point of a table entry (contracts/metrics.ts) at once: its unit from the table,
 * with the plain `[service]` dimension set plus each of the table's sets (Powertools `addDimensions`
 * adds an independent set; the empty one is `[service]` alone). A single-metric record, so the
 * dimensions of one data point never mix with another's in a shared buffer.
 */
export function emitMetric<S extends MetricSpec>(spec: S, value: number, ...[dimensions]: DimensionArgs<S>): void {
  const values = (dimensions ?? {}) as Readonly<Record<string, string>>;
  const record = metrics.singleMetric();
  record.addDimensions({});
  for (const set of spec.dimensions) {
    record.addDimensions(Object.fromEntries(set.map((name) => [name, dimensionValue(values, name)])));
  }
  record.addMetric(spec.name, MetricUnit[spec.unit], value);
}

function dimensionValue(values: Readonly<Record<string, string>>, name: string): string {
  const value = values[name];
  // Only reachable through a cast or an empty string. A metric must never fail the work it counts, and
  // Powertools would drop an empty dimension (and so the per-pool series) with a warning.
  return value === undefined || value === "" ? UNKNOWN_DIMENSION_VALUE : value;
}

/** Publishes what the invocation recorded; skips the empty flush Powertools would warn about. */
export function flushMetrics(): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}
