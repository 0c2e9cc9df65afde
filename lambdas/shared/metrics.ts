import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";

/** Default CloudWatch namespace when POWERTOOLS_METRICS_NAMESPACE is not set (see docs/contracts.md). */
export const DEFAULT_METRICS_NAMESPACE = "SelfRunners";

/** The one Powertools Metrics instance of a function. */
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? DEFAULT_METRICS_NAMESPACE,
});

export { MetricUnit };

/** Publishes what the invocation recorded; skips the empty flush Powertools would warn about. */
export function flushMetrics(): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}
