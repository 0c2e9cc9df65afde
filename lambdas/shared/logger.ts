import { AsyncLocalStorage } from "node:async_hooks";
import { LogFormatter, LogItem, Logger } from "@aws-lambda-powertools/logger";
import type { LogAttributes, UnformattedAttributes } from "@aws-lambda-powertools/logger/types";
import type { LogCorrelationKey } from "../../contracts/metrics.js";
import { redactSecrets } from "./redact.js";

/** Values of the correlation keys (contracts/metrics.ts, docs/metrics.md) known for a piece of work. */
export type Correlation = { readonly [K in LogCorrelationKey]?: string | number | undefined };

const correlation = new AsyncLocalStorage<Readonly<Record<string, string | number>>>();

/**
 * Runs `work` with `keys` added to every log line written inside it (and inside what it awaits),
 * on top of the keys of an enclosing scope. Why not `logger.appendKeys`: Powertools child loggers copy
 * the parent's keys when created (at import), and records processed concurrently would share and
 * overwrite one logger's keys; an async-local scope reaches every logger and ends with the work, so
 * keys never leak from one record or invocation into the next.
 */
export function withCorrelation<T>(keys: Correlation, work: () => T): T {
  const outer = correlation.getStore();
  let scope: Record<string, string | number> | undefined;
  for (const key in keys) {
    const value = keys[key as LogCorrelationKey];
    if (value === undefined || value === "" || outer?.[key] === value) continue;
    scope ??= { ...outer };
    scope[key] = value;
  }
  // Nothing new (e.g. the webhook's delivery id, set by the handler and again by handleWebhook): no new
  // async scope, whose creation and propagation the webhook pays per delivery.
  return scope === undefined ? work() : correlation.run(scope, work);
}

/** The correlation keys in force here (tests, and code that copies them into tags). */
export function currentCorrelation(): Readonly<Record<string, string | number>> {
  return correlation.getStore() ?? {};
}

/**
 * Powertools' own record layout plus the correlation scope's keys, between the standard keys and the
 * call's own fields (which win). Written here because Powertools does not export its formatter.
 */
class CorrelatedLogFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additionalLogAttributes: LogAttributes): LogItem {
    const base: LogAttributes = {
      level: attributes.logLevel,
      message: attributes.message,
      timestamp: this.formatTimestamp(attributes.timestamp),
      service: attributes.serviceName,
      cold_start: attributes.lambdaContext?.coldStart,
      function_arn: attributes.lambdaContext?.invokedFunctionArn,
      function_memory_size: attributes.lambdaContext?.memoryLimitInMB,
      function_name: attributes.lambdaContext?.functionName,
      function_request_id: attributes.lambdaContext?.awsRequestId,
      sampling_rate: attributes.sampleRateValue,
      xray_trace_id: attributes.xRayTraceId,
    };
    return new LogItem({ attributes: base }).addAttributes({ ...currentCorrelation() }).addAttributes(additionalLogAttributes);
  }
}

/**
 * The one Powertools logger of a function; service name and level come from POWERTOOLS_* env vars.
 * Every record goes through redactSecrets (tokens, keys, JIT configs, signatures never reach the logs)
 * and carries the correlation keys of its scope (withCorrelation).
 */
export const logger = new Logger({ jsonReplacerFn: redactSecrets, logFormatter: new CorrelatedLogFormatter() });

/** A child logger per module: same settings and context, plus a `module` key. */
export function childLogger(name: string): Logger {
  return logger.createChild({ persistentKeys: { module: name } });
}
