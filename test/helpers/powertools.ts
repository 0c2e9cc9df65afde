import { logger, metrics } from "../../lambdas/shared/index.js";

/**
 * Keeps Powertools quiet in a core or handler test (set TEST_LOG_LEVEL to see the logs), through the
 * logger and metrics objects rather than POWERTOOLS_* set in process.env before an import. Child
 * loggers copy their level when created (at import), so printing is switched off on the class.
 */
export function quietPowertools(): void {
  if (process.env.TEST_LOG_LEVEL === undefined) (Object.getPrototypeOf(logger) as { printLog: () => void }).printLog = () => undefined;
  metrics.publishStoredMetrics = () => {
    metrics.clearMetrics();
    return metrics;
  };
}
