import { describe, expect, it } from "vitest";
import { METRICS, type MetricSpec } from "../../../contracts/metrics.js";
import { dashboardBody } from "../../../stacks/operations/dashboard.js";
import { GRID_COLUMNS, dashboardWidgets, type DashboardSeries, type GridPosition, type MetricWidgetDefinition } from "../../../stacks/operations/dashboard-widgets.js";
import { sloDefinitions } from "../../../stacks/operations/slo-alarms.js";

const slos = sloDefinitions({ prefix: "ci" });
const widgets = dashboardWidgets({ prefix: "ci", slos });
const metricWidgets = widgets.filter((w): w is MetricWidgetDefinition => w.type === "metric");
const specs = Object.values(METRICS as Readonly<Record<string, MetricSpec>>);

/** The table metric of a name and publishing service, and whether `extra` is one of its dimension sets. */
function published(name: string, service: string, extra: readonly string[]): MetricSpec | undefined {
  const spec = specs.find((s) => s.name === name && s.source === service);
  const key = [...extra].sort().join();
  if (spec === undefined) return undefined;
  return extra.length === 0 || spec.dimensions.some((set) => [...set].sort().join() === key) ? spec : undefined;
}

const overlaps = (a: GridPosition, b: GridPosition): boolean => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe("dashboard widgets", () => {
  it("fit the 24-column grid without overlapping, with unique titles", () => {
    for (const { position: p, title } of widgets) {
      expect(p.x, title).toBeGreaterThanOrEqual(0);
      expect(p.y, title).toBeGreaterThanOrEqual(0);
      expect(p.width, title).toBeGreaterThan(0);
      expect(p.height, title).toBeGreaterThan(0);
      expect(p.x + p.width, title).toBeLessThanOrEqual(GRID_COLUMNS);
    }
    for (const [i, a] of widgets.entries()) {
      for (const b of widgets.slice(i + 1)) expect(overlaps(a.position, b.position), `${a.title} / ${b.title}`).toBe(false);
    }
    expect(new Set(widgets.map((w) => w.title)).size).toBe(widgets.length);
  });

  it("show only table metrics, with the widget's unit and a published dimension set", () => {
    let checked = 0;
    for (const widget of metricWidgets) {
      for (const series of widget.series) {
        if (series.kind === "kit" || series.kind === "search") {
          const spec = METRICS[series.metric];
          const extra = series.kind === "search" ? series.by : Object.keys(series.dimensions ?? {});
          expect(published(spec.name, spec.source, extra), `${widget.title}: ${spec.name} by ${extra.join()}`).toBeDefined();
          expect(spec.unit, `${widget.title}: ${spec.name}`).toBe(widget.unit);
          checked++;
        }
        if (series.kind === "alarm-query" && series.query.metric !== undefined) {
          const { metricName, dimensions } = series.query.metric;
          const { service, ...extra } = dimensions as Record<string, string>;
          expect(published(metricName ?? "", service, Object.keys(extra)), metricName).toBeDefined();
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it("render every SelfRunners metric and SEARCH of the body from the table (namespace, name, service, dimension set)", () => {
    const rows = dashboardBody(widgets, "ci", "eu-west-1").widgets.flatMap((w) => ((w.properties as { metrics?: unknown[][] }).metrics ?? []));
    let searches = 0;
    for (const row of rows) {
      if (typeof row[0] === "string" && row[0].startsWith("SelfRunners/")) {
        expect(row[0]).toBe("SelfRunners/ci");
        const pairs = row.slice(2, -1) as string[];
        const dims = Object.fromEntries(pairs.flatMap((v, i) => (i % 2 === 0 ? [[v, pairs[i + 1]]] : [])));
        const { service, ...extra } = dims;
        expect(published(row[1] as string, service, Object.keys(extra)), String(row[1])).toBeDefined();
      }
      const expression = (row[0] as { expression?: string }).expression ?? "";
      const match = /^SEARCH\('\{"SelfRunners\/ci",service((?:,\w+)*)\} MetricName="(\w+)" service="([\w-]+)"', '(\w+)', 300\)$/.exec(expression);
      if (expression.startsWith("SEARCH('{\"SelfRunners")) {
        expect(match, expression).not.toBeNull();
        const [, by, name, service] = match as RegExpExecArray;
        expect(published(name, service, by.split(",").filter(Boolean)), expression).toBeDefined();
        searches++;
      }
    }
    expect(searches).toBe(10);
  });

  it("show time to runner per pool as p50, p90 and p99 with the SLO line, from a SEARCH over {service, Pool}", () => {
    const ttr = dashboardBody(widgets, "ci", "eu-west-1").widgets.find((w) => (w.properties as { title?: string }).title?.startsWith("Time to runner"));
    const props = ttr?.properties as { metrics: Array<[{ expression: string }]>; annotations: unknown; region: string };
    expect(props.metrics.map(([m]) => m.expression)).toEqual(
      ["p50", "p90", "p99"].map((stat) => `SEARCH('{"SelfRunners/ci",service,Pool} MetricName="TimeToRunner" service="webhook"', '${stat}', 300)`),
    );
    expect(props.annotations).toEqual({ horizontal: [{ label: "SLO", value: 180 }] });
    expect(props.region).toBe("eu-west-1");
  });

  it("cover what issue 11 asks for: jobs, runners by state, markets, DLQ, budget per App, Lambda health, reconcile", () => {
    const searched = (metric: string) => metricWidgets.flatMap((w) => w.series).filter((s): s is Extract<DashboardSeries, { kind: "search" }> => s.kind === "search" && s.metric === metric);
    expect(searched("runnersByState")[0]?.by).toEqual(["Pool", "State"]);
    expect(searched("runnersLaunched")[0]?.by).toEqual(["Pool", "Market"]);
    expect(searched("gitHubBudgetRemaining")[0]?.by).toEqual(["App"]);
    const aws = metricWidgets.flatMap((w) => w.series).flatMap((s) => (s.kind === "aws" ? [`${s.metricName} ${s.dimensions.FunctionName}`] : []));
    for (const metric of ["Duration", "Errors", "Throttles"]) {
      expect(aws.filter((a) => a.startsWith(metric))).toEqual(["webhook", "scale-up", "reconcile", "spot-interruption"].map((f) => `${metric} ci-${f}`));
    }
    const dlq = metricWidgets.find((w) => w.title === "Dead-letter queue depth");
    expect(dashboardBody([dlq as MetricWidgetDefinition], "ci", "r").widgets[0].properties).toMatchObject({
      metrics: [[{ expression: `SEARCH('{AWS/SQS,QueueName} MetricName="ApproximateNumberOfMessagesVisible" ci AND dlq', 'Maximum', 300)` }]],
    });
    const kits = metricWidgets.flatMap((w) => w.series).flatMap((s) => (s.kind === "kit" ? [s.metric] : []));
    expect(kits).toEqual(expect.arrayContaining(["jobsQueued", "jobsDispatched", "jobsDispatchFailed", "instancesTerminated", "jobsRelaunched", "reconcileErrors", "spotFallbacks"]));
  });

  it("chart each SLO's burn rate from the alarms' own bad-ratio queries over 1 h, divided by the error budget", () => {
    const burn = metricWidgets.filter((w) => w.title.startsWith("SLO burn rate"));
    expect(burn.map((w) => w.title)).toEqual(["SLO burn rate: time to runner", "SLO burn rate: dispatch success"]);
    for (const [i, widget] of burn.entries()) {
      const queries = widget.series.flatMap((s) => (s.kind === "alarm-query" ? [s.query] : []));
      expect(queries).toEqual(slos[i].badRatio(3600).map((q) => ({ ...q, returnData: false })));
      expect(widget.lines).toEqual([{ label: "page 14.4x", value: 14.4 }, { label: "ticket 6x", value: 6 }]);
    }
    expect(burn.map((w) => w.series.at(-1))).toEqual([
      { kind: "math", id: "burn", expression: "bad / 0.1", label: "burn rate" },
      { kind: "math", id: "burn", expression: "bad / 0.005", label: "burn rate" },
    ]);
  });
});
