// Writes the generated section of docs/metrics.md from the metric table, contracts/metrics.ts
// (npm run docs:metrics); test/scripts/docs-metrics.test.ts fails when the committed page is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { LOG_CORRELATION_KEYS, METRICS, METRIC_SOURCES, metricsNamespace } from "../contracts/metrics.js";
import type { MetricSpec } from "../contracts/metrics.js";
import { RUNNER_TAGS } from "../contracts/tags.js";

export const METRICS_DOC = join(fileURLToPath(new URL("..", import.meta.url)), "docs", "metrics.md");
export const METRICS_BEGIN = "<!-- BEGIN GENERATED from contracts/metrics.ts by `npm run docs:metrics`; edit the table, not this section -->";
export const METRICS_END = "<!-- END GENERATED -->";

/** The functions whose log groups hold a job's story (`/aws/lambda/<prefix>-<name>`). */
const JOB_STORY_FUNCTIONS = ["webhook", "scale-up", "reconcile", "spot-interruption"] as const;

const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

function dimensionSets(spec: MetricSpec): string {
  return [["service"], ...spec.dimensions.map((set) => ["service", ...set])].map((set) => `\`[${set.join(", ")}]\``).join(" ");
}

/** The generated section: the metric table by source, namespace, correlation keys and tags, two Logs Insights queries. */
export function renderMetricsDocs(): string {
  const lines: string[] = [
    METRICS_BEGIN,
    "",
    `Namespace: \`${metricsNamespace("<prefix>")}\` (one per deployment; POWERTOOLS_METRICS_NAMESPACE of every function).`,
    "Every record is published with the plain `[service]` dimension set and each set listed, so deployment-wide",
    "alarms read `{service}` and per-pool ones `{service, Pool}` from the same data point.",
  ];
  for (const source of METRIC_SOURCES) {
    const specs = Object.entries(METRICS as Readonly<Record<string, MetricSpec>>).filter(([, spec]) => spec.source === source);
    if (specs.length === 0) continue;
    const origin = source === "runner" ? "CloudWatch Logs metric filters on the runner log group, `service=runner`" : `function \`<prefix>-${source}\`, \`service=${source}\``;
    lines.push("", `### ${source} (${origin})`, "", "| metric | unit | dimension sets | statistic | one data point is | key |", "|---|---|---|---|---|---|");
    for (const [key, spec] of specs) {
      lines.push(`| \`${spec.name}\` | ${spec.unit} | ${dimensionSets(spec)} | ${spec.statistic} | ${cell(spec.doc)} | \`METRICS.${key}\` |`);
    }
  }
  const group = (name: string): string => `/aws/lambda/<prefix>-${name}`;
  lines.push(
    "",
    "### Log correlation",
    "",
    `Every log line carries the keys known for the work it is about: ${LOG_CORRELATION_KEYS.map((key) => `\`${key}\``).join(", ")}.`,
    "The delivery id and job id travel webhook -> queue message -> scale-up -> instance tags, where reconcile and",
    `the spot-interruption handler read them back: ${[RUNNER_TAGS.jobId, RUNNER_TAGS.deliveryId, RUNNER_TAGS.repository, RUNNER_TAGS.pool, RUNNER_TAGS.owner]
      .map((tag) => `\`${tag}\``)
      .join(", ")}.`,
    "",
    "### Logs Insights: a job's whole story",
    "",
    `Log groups: ${JOB_STORY_FUNCTIONS.map((name) => `\`${group(name)}\``).join(", ")}. Replace the job id.`,
    "",
    "```",
    "fields @timestamp, service, level, message, deliveryId, runAttempt, pool, instanceId, runnerName",
    "| filter jobId = 1234567890",
    "| sort @timestamp asc",
    "```",
    "",
    "### Logs Insights: time to runner per pool",
    "",
    `Log group: \`${group(METRICS.timeToRunner.source)}\` (its EMF lines).`,
    "",
    "```",
    `filter ispresent(${METRICS.timeToRunner.name})`,
    `| stats pct(${METRICS.timeToRunner.name}, 50) as p50, pct(${METRICS.timeToRunner.name}, 90) as p90, pct(${METRICS.timeToRunner.name}, 99) as p99, count(*) as jobs by ${"Pool"}`,
    "| sort p90 desc",
    "```",
    "",
    METRICS_END,
  );
  return lines.join("\n");
}

/** `markdown` with its generated section replaced; throws when the markers are missing. */
export function writeMetricsSection(markdown: string): string {
  const begin = markdown.indexOf(METRICS_BEGIN);
  const end = markdown.indexOf(METRICS_END, begin);
  if (begin < 0 || end < 0) throw new Error(`${METRICS_DOC} lacks the markers ${METRICS_BEGIN} ... ${METRICS_END}: put them where the section belongs`);
  return markdown.slice(0, begin) + renderMetricsDocs() + markdown.slice(end + METRICS_END.length);
}

/** The committed generated section (for the staleness test). */
export function committedMetricsSection(markdown: string): string {
  return markdown.slice(markdown.indexOf(METRICS_BEGIN), markdown.indexOf(METRICS_END) + METRICS_END.length);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  writeFileSync(METRICS_DOC, writeMetricsSection(readFileSync(METRICS_DOC, "utf8")));
  console.log(`wrote the generated section of ${METRICS_DOC}`);
}
