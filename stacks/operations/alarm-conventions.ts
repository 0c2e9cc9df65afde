import { Fn, Op, Token } from "../cdktf.js";
import { METRICS, metricsNamespace, type MetricDimension, type MetricKey } from "../../contracts/metrics.js";
import { DEFAULT_RUNBOOK_BASE_URL } from "../module/inputs-operations.js";

/**
 * The runbook anchors of docs/runbooks.md, one per alarm (and per SLO and cost alert): every alarm
 * description ends with `<runbook base>#<id>`, so these ids are a contract with that page.
 */
export const RUNBOOK_IDS = [
  "dlq-not-empty",
  "queue-age-high",
  "function-errors",
  "function-throttles",
  "reconcile-not-running",
  "github-budget-low",
  "launch-failures",
  "fleet-failures",
  "nat-failover",
  "nat-no-healthy-target",
  "waf-blocked-spike",
  "slo-time-to-runner",
  "slo-dispatch-success",
  "cost-budget",
  "cost-anomaly",
] as const;
export type RunbookId = (typeof RUNBOOK_IDS)[number];

/** `<what> Runbook: <base>#<id>`; CloudWatch allows 1024 characters, so `what` stays one sentence. */
export function alarmDescription(what: string, id: RunbookId, runbookBaseUrl: string = DEFAULT_RUNBOOK_BASE_URL): string {
  return `${what} Runbook: ${runbookBaseUrl}#${id}`;
}

/** Where one of the kit's own metrics lives: its namespace, name and the dimensions of one series. */
export interface KitMetric {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
}

/**
 * A series of the metric table: `service` is the publishing function (Powertools adds it), `extra`
 * the values of one of the metric's extra dimension sets; none reads the deployment-wide series.
 * Throws when `extra` names dimensions that are not one of the metric's sets, so an alarm cannot
 * watch a series nobody publishes.
 */
export function kitMetric(prefix: string, key: MetricKey, extra: Partial<Record<MetricDimension, string>> = {}): KitMetric {
  const spec = METRICS[key];
  const names = Object.keys(extra).sort();
  const published = names.length === 0 || spec.dimensions.some((set) => [...set].sort().join() === names.join());
  if (!published) throw new Error(`${spec.name} is not published with the dimensions ${names.join(", ")}`);
  return { namespace: metricsNamespace(prefix), metricName: spec.name, dimensions: { service: spec.source, ...extra } };
}

/**
 * Seconds between two scheduled runs of an EventBridge schedule: N minutes or hours for `rate(...)`,
 * one hour for `cron(...)` (its gaps vary; an hour bounds the kit's own schedules). At least 60, at most
 * 12 hours, so two periods fit CloudWatch's one-day limit on period x evaluation periods.
 */
export function schedulePeriodSeconds(expression: string): number {
  if (Token.isUnresolved(expression)) {
    const isRate = Fn.can(Fn.regex("^rate", expression));
    const count = Fn.tonumber(Fn.try([Fn.regex("[0-9]+", expression), "60"]));
    // Both products spelled out: cdktf does not parenthesise a conditional inside an arithmetic operator.
    const rate = Fn.conditional(Op.gte(Fn.lengthOf(Fn.regexall("hour", expression)), 1), Op.mul(count, 3600), Op.mul(count, 60));
    return Token.asNumber(Fn.min([Fn.max([Fn.conditional(isRate, rate, 3600), 60]), 43200]));
  }
  const match = /^rate\((\d+) (minute|minutes|hour|hours)\)$/.exec(expression);
  const seconds = match === null ? 3600 : Number(match[1]) * (match[2].startsWith("hour") ? 3600 : 60);
  return Math.min(Math.max(seconds, 60), 43200);
}
