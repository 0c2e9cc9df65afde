import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { POWERTOOLS_ENV } from "../../contracts/common.js";
import { parseEnv } from "./config.js";

/** Default CloudWatch namespace when POWERTOOLS_METRICS_NAMESPACE is not set (contracts/common.ts). */
export const DEFAULT_METRICS_NAMESPACE = POWERTOOLS_ENV.powertoolsMetricsNamespace.default;

/** The one Powertools Metrics instance of a function. */
export const metrics = new Metrics({ namespace: parseEnv(POWERTOOLS_ENV).powertoolsMetricsNamespace });

export { MetricUnit };

/** Publishes what the invocation recorded; skips the empty flush Powertools would warn about. */
export function flushMetrics(): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}
