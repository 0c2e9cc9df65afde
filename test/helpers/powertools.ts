import { Metrics } from "@aws-lambda-powertools/metrics";
import { flushMetrics, logger, metrics } from "../../lambdas/shared/index.js";

/** One EMF record as Powertools would print it (metric values, dimension values and the `_aws` block). */
export type EmfRecord = Readonly<Record<string, unknown>> & {
  readonly _aws: { readonly CloudWatchMetrics: ReadonlyArray<{ readonly Namespace: string; readonly Dimensions: string[][]; readonly Metrics: ReadonlyArray<{ readonly Name: string; readonly Unit: string }> }> };
};

interface PrintingLogger {
  printLog(this: PrintingLogger, level: number, item: { prepareForPrint(): void; getAttributes(): Record<string, unknown> }): void;
  getJsonReplacer(): (key: string, value: unknown) => unknown;
}
const loggerClass = Object.getPrototypeOf(logger) as PrintingLogger;

/**
 * Records every log line printed from now on (as the JSON object CloudWatch would get, after
 * redaction), on top of whatever printing does; returns a reader of the lines so far.
 */
export function captureLogLines(): () => Array<Record<string, unknown>> {
  const lines: Array<Record<string, unknown>> = [];
  const print = loggerClass.printLog;
  loggerClass.printLog = function (level, item) {
    item.prepareForPrint();
    lines.push(JSON.parse(JSON.stringify(item.getAttributes(), this.getJsonReplacer())) as Record<string, unknown>);
    print.call(this, level, item);
  };
  return () => lines;
}

/** The EMF records published since the last `takeEmittedMetrics()` (kept only while quietPowertools is on). */
const emitted: EmfRecord[] = [];

/** Returns and forgets the EMF records published so far, after publishing what is still buffered (a core test has no handler to flush). */
export function takeEmittedMetrics(): EmfRecord[] {
  flushMetrics();
  return emitted.splice(0, emitted.length);
}

/**
 * Keeps Powertools quiet in a core or handler test (set TEST_LOG_LEVEL to see the logs), through the
 * logger and metrics objects rather than POWERTOOLS_* set in process.env before an import. Child
 * loggers copy their level when created (at import), so printing is switched off on the class.
 * Metric records (the shared instance's buffer and emitMetric's per-dimension buffers) are kept for
 * takeEmittedMetrics instead of printed.
 */
export function quietPowertools(): void {
  if (process.env.TEST_LOG_LEVEL === undefined) loggerClass.printLog = () => undefined;
  const publish = function (this: Metrics): Metrics {
    if (this.hasStoredMetrics()) emitted.push(this.serializeMetrics() as unknown as EmfRecord);
    this.clearMetrics();
    this.clearDimensions();
    this.clearMetadata();
    return this;
  };
  Metrics.prototype.publishStoredMetrics = publish;
  metrics.publishStoredMetrics = publish.bind(metrics);
}

/** One data point of an EMF record, as a test asserts it. */
export interface MetricPoint {
  readonly name: string;
  readonly unit: string;
  readonly value: unknown;
  readonly namespace: string;
  /** Dimension name -> value, for every dimension the record names. */
  readonly dimensions: Readonly<Record<string, unknown>>;
  readonly dimensionSets: readonly string[][];
}

/** The data points of `records` (default: taken from what was emitted), optionally only those named `name`. */
export function metricPoints(name?: string, records: readonly EmfRecord[] = takeEmittedMetrics()): MetricPoint[] {
  return records.flatMap((record) =>
    record._aws.CloudWatchMetrics.flatMap((block) =>
      block.Metrics.filter((metric) => name === undefined || metric.Name === name).map((metric) => ({
        name: metric.Name,
        unit: metric.Unit,
        value: record[metric.Name],
        namespace: block.Namespace,
        dimensions: Object.fromEntries([...new Set(block.Dimensions.flat())].map((dimension) => [dimension, record[dimension]])),
        dimensionSets: block.Dimensions,
      })),
    ),
  );
}
