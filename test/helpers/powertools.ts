import type { LogLevel } from "@aws-lambda-powertools/logger/types";
import { logger, metrics } from "../../lambdas/shared/index.js";

/**
 * Keeps Powertools quiet in a handler test (TEST_LOG_LEVEL=DEBUG shows the logs), through the logger
 * and metrics objects rather than process.env set before an import.
 */
export function quietPowertools(): void {
  logger.setLogLevel((process.env.TEST_LOG_LEVEL ?? "SILENT") as LogLevel);
  metrics.publishStoredMetrics = () => {
    metrics.clearMetrics();
    return metrics;
  };
}
