import { Token } from "../cdktf.js";
import type { CloudwatchMetricAlarmMetricQuery } from "../aws.js";
import { metricsNamespace, type MetricDimension, type MetricKey, type MetricUnitName } from "../../contracts/metrics.js";
import { OPERATIONS_INPUTS } from "../module/inputs-operations.js";
import { BURN_RATE_WINDOWS, errorBudget } from "./burn-rate.js";
import type { SloDefinition } from "./slo-alarms.js";

/**
 * The dashboard's widgets as typed definitions (docs/alarms.md, "Dashboard"): ./dashboard.ts renders
 * them into the CloudWatch dashboard body, scripts/dashboard-svg.ts draws their layout.
 */

/** A place on CloudWatch's 24-column grid (rows are unbounded). */
export interface GridPosition {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Dashboard grid width in columns. */
export const GRID_COLUMNS = 24;

/** One series of a metric widget. */
export type DashboardSeries =
  /** A series of the metric table: the deployment-wide one, or one of its extra dimension sets. */
  | { readonly kind: "kit"; readonly metric: MetricKey; readonly stat: string; readonly label: string; readonly dimensions?: Partial<Record<MetricDimension, string>> }
  /** Every series of a table metric over one of its dimension sets (pools, Apps, states: keys unknown at synth). */
  | { readonly kind: "search"; readonly metric: MetricKey; readonly by: readonly MetricDimension[]; readonly stat: string; readonly label: string }
  /** Every series of an AWS metric whose dimension value matches `terms` (CloudWatch search terms). */
  | { readonly kind: "aws-search"; readonly namespace: string; readonly metricName: string; readonly dimension: string; readonly terms: string; readonly stat: string; readonly label: string }
  /** One AWS metric series. */
  | { readonly kind: "aws"; readonly namespace: string; readonly metricName: string; readonly dimensions: Record<string, string>; readonly stat: string; readonly label: string }
  /** The queries of an alarm (the SLO burn-rate alarms' own), shown as metric math. */
  | { readonly kind: "alarm-query"; readonly query: CloudwatchMetricAlarmMetricQuery }
  /** Metric math over the ids of the other series. */
  | { readonly kind: "math"; readonly id: string; readonly expression: string; readonly label: string };

export interface MetricWidgetDefinition {
  readonly type: "metric";
  readonly title: string;
  /** What the widget answers, for docs/alarms.md. */
  readonly doc: string;
  readonly position: GridPosition;
  /** Unit of every table metric it shows (the left axis label). */
  readonly unit: MetricUnitName | "Ratio of budget";
  readonly series: readonly DashboardSeries[];
  readonly periodSeconds: number;
  /** Horizontal lines: a threshold or objective. */
  readonly lines?: ReadonlyArray<{ readonly label: string; readonly value: number }>;
  readonly stacked?: boolean;
}

export interface TextWidgetDefinition {
  readonly type: "text";
  readonly title: string;
  readonly doc: string;
  readonly position: GridPosition;
  readonly markdown: string;
}

export type WidgetDefinition = MetricWidgetDefinition | TextWidgetDefinition;

/** Inputs of {@link dashboardWidgets}. */
export interface DashboardWidgetsInput {
  readonly prefix: string;
  /** The SLOs of SloAlarms (their bad-ratio queries are reused, not rewritten). */
  readonly slos: readonly SloDefinition[];
  readonly timeToRunnerSeconds?: number;
  readonly githubBudgetMin?: number;
}

/** The kit's handler functions (nat-failover and github-hooks-ipset are optional; their alarms watch them). */
export const DASHBOARD_FUNCTIONS = ["webhook", "scale-up", "reconcile", "spot-interruption"] as const;

const at = (x: number, y: number, width: number, height: number): GridPosition => ({ x, y, width, height });
const kit = (metric: MetricKey, stat: string, label: string): DashboardSeries => ({ kind: "kit", metric, stat, label });
const search = (metric: MetricKey, by: readonly MetricDimension[], stat: string, label: string): DashboardSeries => ({ kind: "search", metric, by, stat, label });

/** The widgets, top to bottom: what users feel first, then the fleet, the plumbing and the SLO burn. */
export function dashboardWidgets(input: DashboardWidgetsInput): WidgetDefinition[] {
  const { prefix } = input;
  const sloSeconds = input.timeToRunnerSeconds ?? OPERATIONS_INPUTS.sloTimeToRunnerSeconds.default;
  const budgetMin = input.githubBudgetMin ?? OPERATIONS_INPUTS.alarmGitHubBudgetMin.default;
  const lambda = (metricName: string, stat: string): DashboardSeries[] =>
    DASHBOARD_FUNCTIONS.map((name) => ({ kind: "aws", namespace: "AWS/Lambda", metricName, dimensions: { FunctionName: `${prefix}-${name}` }, stat, label: name }));
  const widgets: WidgetDefinition[] = [
    {
      type: "text", title: "About", position: at(0, 0, 24, 2),
      doc: "the deployment's name, and where each widget and alarm is explained",
      markdown: `# self-runners ${prefix}\nMetrics in namespace \`${metricsNamespace(prefix)}\` (docs/metrics.md). Widgets and alarms: docs/alarms.md; runbooks: docs/runbooks.md.`,
    },
    {
      type: "metric", title: "Time to runner per pool (p50, p90, p99)", position: at(0, 2, 12, 6), unit: "Seconds", periodSeconds: 300,
      doc: "how long jobs wait for a runner, `created_at` to `in_progress`, per pool; the line is the time-to-runner SLO",
      series: [search("timeToRunner", ["Pool"], "p50", "p50"), search("timeToRunner", ["Pool"], "p90", "p90"), search("timeToRunner", ["Pool"], "p99", "p99")],
      lines: [{ label: "SLO", value: sloSeconds }],
    },
    {
      type: "metric", title: "Jobs queued, dispatched, given up", position: at(12, 2, 12, 6), unit: "Count", periodSeconds: 300,
      doc: "jobs the webhook queued, jobs that got a runner, jobs given up (the dispatch SLO's good and bad events)",
      series: [kit("jobsQueued", "Sum", "queued"), kit("jobsStarted", "Sum", "started"), kit("jobsDispatched", "Sum", "dispatched"), kit("jobsDispatchFailed", "Sum", "given up")],
    },
    {
      type: "metric", title: "Jobs waiting over limits per pool", position: at(0, 8, 8, 6), unit: "Count", periodSeconds: 300,
      doc: "jobs held back by `max_runners` (global, pool or owner), as the reconciler counts them",
      series: [search("jobsWaitingOverLimits", ["Pool"], "Maximum", "")],
    },
    {
      type: "metric", title: "Oldest waiting job per pool", position: at(8, 8, 8, 6), unit: "Seconds", periodSeconds: 300,
      doc: "age of the oldest job without a runner, per pool",
      series: [search("oldestWaitingJobAge", ["Pool"], "Maximum", "")],
    },
    {
      type: "metric", title: "Jobs deferred by reason", position: at(16, 8, 8, 6), unit: "Count", periodSeconds: 300, stacked: true,
      doc: "jobs put back on their queue to wait (draining, limit, budget, in flight, launch failed), per pool and reason",
      series: [search("jobsDeferred", ["Pool", "Reason"], "Sum", "")],
    },
    {
      type: "metric", title: "Runners by state", position: at(0, 14, 8, 6), unit: "Count", periodSeconds: 300, stacked: true,
      doc: "the kit's instances per pool and state (booting, idle, busy, offline), as the reconciler counts them",
      series: [search("runnersByState", ["Pool", "State"], "Maximum", "")],
    },
    {
      type: "metric", title: "Launches: spot vs on-demand", position: at(8, 14, 8, 6), unit: "Count", periodSeconds: 300, stacked: true,
      doc: "instances launched per pool and market, and the CreateFleet calls that fell back to on-demand",
      series: [search("runnersLaunched", ["Pool", "Market"], "Sum", ""), kit("spotFallbacks", "Sum", "spot fallbacks"), kit("spotInterruptions", "Sum", "spot interruptions")],
    },
    {
      type: "metric", title: "Dead-letter queue depth", position: at(16, 14, 8, 6), unit: "Count", periodSeconds: 300,
      doc: "messages in each pool's dead-letter queue: jobs whose runner never came (alarm dlq-not-empty)",
      series: [{ kind: "aws-search", namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", dimension: "QueueName", terms: `${prefix} AND dlq`, stat: "Maximum", label: "" }],
    },
    {
      type: "metric", title: "GitHub budget per App", position: at(0, 20, 8, 6), unit: "Count", periodSeconds: 300,
      doc: "GitHub REST requests left in each App's hourly budget; the line is `alarm_github_budget_min`",
      series: [search("gitHubBudgetRemaining", ["App"], "Minimum", "App")],
      lines: [{ label: "alarm", value: budgetMin }],
    },
    {
      type: "metric", title: "Reconcile actions", position: at(8, 20, 8, 6), unit: "Count", periodSeconds: 300, stacked: true,
      doc: "what the reconciler repaired: instances terminated (orphans, timeouts, impaired), registrations and records deleted, jobs relaunched, requeued or re-run, and its errors",
      series: [
        kit("instancesTerminated", "Sum", "instances terminated"),
        kit("impairedRunnersTerminated", "Sum", "impaired terminated"),
        kit("registrationsDeleted", "Sum", "registrations deleted"),
        kit("recordsDeleted", "Sum", "records deleted"),
        kit("jobsRelaunched", "Sum", "jobs relaunched"),
        kit("jobsRequeued", "Sum", "jobs requeued"),
        kit("interruptedJobsRerun", "Sum", "interrupted re-run"),
        kit("reconcileErrors", "Sum", "errors"),
      ],
    },
    {
      type: "metric", title: "Dispatch latency per pool (p90)", position: at(16, 20, 8, 6), unit: "Seconds", periodSeconds: 300,
      doc: "webhook received to instance requested, per pool",
      series: [search("dispatchLatency", ["Pool"], "p90", "p90")],
    },
    {
      type: "metric", title: "Lambda duration (p90)", position: at(0, 26, 8, 6), unit: "Milliseconds", periodSeconds: 300,
      doc: "p90 duration of the four handlers", series: lambda("Duration", "p90"),
    },
    {
      type: "metric", title: "Lambda errors", position: at(8, 26, 8, 6), unit: "Count", periodSeconds: 300,
      doc: "failed invocations of the four handlers (alarm function-errors)", series: lambda("Errors", "Sum"),
    },
    {
      type: "metric", title: "Lambda throttles", position: at(16, 26, 8, 6), unit: "Count", periodSeconds: 300,
      doc: "throttled invocations of the four handlers (alarm function-throttles)", series: lambda("Throttles", "Sum"),
    },
  ];
  input.slos.forEach((slo, i) => widgets.push(sloBurnWidget(slo, at(i * 12, 32, 12, 6))));
  return widgets;
}

/**
 * Burn rate of one SLO over the page alarm's long window (1 h): its bad ratio, from the very queries the
 * alarms use, divided by the error budget; the lines are the page and ticket factors.
 */
function sloBurnWidget(slo: SloDefinition, position: GridPosition): MetricWidgetDefinition {
  const page = BURN_RATE_WINDOWS.find((w) => w.severity === "page") ?? BURN_RATE_WINDOWS[0];
  const queries = slo.badRatio(page.longSeconds).map((query): DashboardSeries => ({ kind: "alarm-query", query: { ...query, returnData: false } }));
  // Same budget as burnRateThreshold; for a variable objective as metric math, 1 - O / 100 (Terraform's
  // own arithmetic would print 0.005 with a hundred digits).
  const objective = slo.objectivePercent;
  const budget = Token.isUnresolved(objective) ? `(1 - ${Token.asString(objective)} / 100)` : String(errorBudget(objective));
  return {
    type: "metric", title: `SLO burn rate: ${slo.what}`, position, unit: "Ratio of budget", periodSeconds: page.longSeconds,
    doc: `the ${slo.id} SLO's error budget burn over 1 h (bad ratio / (1 - objective)); the page fires at ${BURN_RATE_WINDOWS.map((w) => `${w.factor}x (${w.severity})`).join(", ")} in both its windows`,
    series: [...queries, { kind: "math", id: "burn", expression: `bad / ${budget}`, label: "burn rate" }],
    lines: BURN_RATE_WINDOWS.map((w) => ({ label: `${w.severity} ${w.factor}x`, value: w.factor })),
  };
}
