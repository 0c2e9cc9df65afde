import { Construct } from "constructs";
import { Token } from "../cdktf.js";
import { CloudwatchDashboard } from "../aws.js";
import { countIf, localCondition } from "../private/conditions.js";
import { METRICS, metricsNamespace } from "../../contracts/metrics.js";
import { kitMetric } from "./alarm-conventions.js";
import { dashboardWidgets, type DashboardSeries, type WidgetDefinition } from "./dashboard-widgets.js";
import type { SloDefinition } from "./slo-alarms.js";

/** Props of {@link Dashboard}. */
export interface DashboardProps {
  /** Deployment prefix: the dashboard's name, and the metrics namespace `SelfRunners/<prefix>`. */
  readonly prefix: string;
  /**
   * Create the dashboard.
   * @default true
   */
  readonly enabled?: boolean;
  /** Region of the metrics (every metric widget names it). */
  readonly region: string;
  /** The SLOs of SloAlarms, for the burn-rate widgets. */
  readonly slos: readonly SloDefinition[];
  /**
   * The time-to-runner SLO in seconds (a line on the time-to-runner widget).
   * @default 180
   */
  readonly timeToRunnerSeconds?: number;
  /**
   * The github-budget-low threshold (a line on the budget widget).
   * @default 1000
   */
  readonly githubBudgetMin?: number;
}

/** One CloudWatch dashboard `<prefix>` of the widgets in ./dashboard-widgets.ts (docs/alarms.md, "Dashboard"). */
export class Dashboard extends Construct {
  readonly widgets: readonly WidgetDefinition[];
  readonly dashboard: CloudwatchDashboard;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    this.widgets = dashboardWidgets(props);
    this.dashboard = new CloudwatchDashboard(this, "dashboard", {
      count: countIf(localCondition(this, "enabled", props.enabled ?? true)),
      dashboardName: props.prefix,
      dashboardBody: dashboardBodyJson(this.widgets, props.prefix, props.region),
    });
  }
}

/**
 * The body as a JSON string in which the prefix, the region and the SLO inputs may be Terraform
 * expressions: they stay `${...}` interpolations of the string. Not Fn.jsonencode: cdktf does not
 * escape double quotes in strings inside function arguments, and SEARCH expressions are full of them.
 * A number known only at plan is written as an unquoted interpolation, so the JSON value stays a number.
 */
export function dashboardBodyJson(widgets: readonly WidgetDefinition[], prefix: string, region: string): string {
  const numbers: string[] = [];
  const json = JSON.stringify(dashboardBody(widgets, prefix, region), (_key, value: unknown) => {
    if (typeof value !== "number" || !Token.isUnresolved(value)) return value;
    numbers.push(Token.asString(value));
    return `${NUMBER_MARK}${numbers.length - 1}`;
  });
  return json.replace(new RegExp(`"${NUMBER_MARK}(\\d+)"`, "g"), (_match, index: string) => numbers[Number(index)]);
}

const NUMBER_MARK = "@@self-runners-number@@";

/** The dashboard body (CloudWatch's dashboard body structure) of typed widgets. */
export function dashboardBody(widgets: readonly WidgetDefinition[], prefix: string, region: string): { widgets: Array<Record<string, unknown>> } {
  return { widgets: widgets.map((widget) => renderWidget(widget, prefix, region)) };
}

function renderWidget(widget: WidgetDefinition, prefix: string, region: string): Record<string, unknown> {
  const { x, y, width, height } = widget.position;
  if (widget.type === "text") return { type: "text", x, y, width, height, properties: { markdown: widget.markdown } };
  const properties: Record<string, unknown> = {
    title: widget.title,
    region,
    view: "timeSeries",
    stacked: widget.stacked ?? false,
    period: widget.periodSeconds,
    metrics: widget.series.map((series, i) => renderSeries(series, i, prefix, widget.periodSeconds)),
    yAxis: { left: { label: widget.unit, showUnits: false } },
  };
  if (widget.lines !== undefined) properties.annotations = { horizontal: widget.lines.map((line) => ({ label: line.label, value: line.value })) };
  return { type: "metric", x, y, width, height, properties };
}

/** One entry of a metric widget's `metrics`: `[namespace, name, dim, value, ..., options]` or `[{ expression }]`. */
function renderSeries(series: DashboardSeries, index: number, prefix: string, period: number): unknown[] {
  const dims = (dimensions: Record<string, string>): string[] => Object.entries(dimensions).flat();
  switch (series.kind) {
    case "kit": {
      const m = kitMetric(prefix, series.metric, series.dimensions);
      return [m.namespace, m.metricName, ...dims(m.dimensions), { stat: series.stat, label: series.label }];
    }
    case "search": {
      // The schema {namespace, service, <dims>} matches exactly that dimension set; quoted names hold "/" and "-".
      const spec = METRICS[series.metric];
      const schema = ["service", ...series.by].join(",");
      const expression = `SEARCH('{"${metricsNamespace(prefix)}",${schema}} MetricName="${spec.name}" service="${spec.source}"', '${series.stat}', ${period})`;
      return [{ id: `s${index}`, expression, label: series.label }];
    }
    case "aws-search":
      return [{ id: `s${index}`, expression: `SEARCH('{${series.namespace},${series.dimension}} MetricName="${series.metricName}" ${series.terms}', '${series.stat}', ${period})`, label: series.label }];
    case "aws":
      return [series.namespace, series.metricName, ...dims(series.dimensions), { stat: series.stat, label: series.label }];
    case "alarm-query": {
      const { query } = series;
      if (query.metric === undefined) return [{ id: query.id, expression: query.expression, label: query.label ?? query.id, visible: query.returnData ?? false }];
      const m = query.metric;
      return [m.namespace, m.metricName, ...dims((m.dimensions ?? {}) as Record<string, string>), { id: query.id, stat: m.stat, period: m.period, visible: query.returnData ?? false }];
    }
    case "math":
      return [{ id: series.id, expression: series.expression, label: series.label }];
  }
}
