import type { Figures } from "./world/world.js";

/**
 * The scenario table of docs/reliability.md, between these markers. Written by `npm run fault:table`
 * (scripts/fault-table.ts) from a run of the suite; the suite prints the same table.
 */
export const TABLE_START = "<!-- fault-table:start -->";
export const TABLE_END = "<!-- fault-table:end -->";

export interface ScenarioResult {
  readonly title: string;
  readonly figures: Figures;
  /** Position in scenarios.ts, for one table across test files. */
  readonly order: number;
}

const COLUMNS: ReadonlyArray<readonly [string, (f: Figures) => string]> = [
  ["jobs", (f) => String(f.jobs)],
  ["runners launched", (f) => String(f.runnersLaunched)],
  ["CreateFleet calls", (f) => String(f.createFleetCalls)],
  ["GitHub calls", (f) => String(f.gitHubCalls)],
  ["redeliveries", (f) => String(f.redeliveries)],
  ["simulated", (f) => duration(f.simulatedMs)],
  ["time to runner p50 / p90", (f) => timeToRunner(f.timeToRunnerSeconds)],
  ["time to last runner", (f) => (f.timeToLastRunnerSeconds === undefined ? "-" : `${Math.round(f.timeToLastRunnerSeconds)} s`)],
  ["GitHub 403s", (f) => String(f.gitHub403s)],
  ["jobs lost", (f) => String(f.jobsLost)],
  ["duplicate runners", (f) => String(f.duplicateRunners)],
  ["busy runners terminated", (f) => String(f.busyRunnersTerminated)],
  ["orphans after 2 reconciles", (f) => String(f.orphans)],
];

/**
 * Nearest-rank percentile (the smallest value with at least p % of the values at or below it); a
 * three-line rank lookup, not worth a statistics dependency in the tests.
 */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1];
}

function timeToRunner(seconds: readonly number[]): string {
  const p50 = percentile(seconds, 50);
  const p90 = percentile(seconds, 90);
  return p50 === undefined || p90 === undefined ? "-" : `${Math.round(p50)} s / ${Math.round(p90)} s`;
}

function duration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

/** A Markdown table, one row per scenario. */
export function faultTable(results: readonly ScenarioResult[]): string {
  const header = `| scenario | ${COLUMNS.map(([name]) => name).join(" | ")} |`;
  const rule = `|---|${COLUMNS.map(() => "---:").join("|")}|`;
  const rows = results.map((r) => `| ${r.title} | ${COLUMNS.map(([, cell]) => cell(r.figures)).join(" | ")} |`);
  return [header, rule, ...rows].join("\n");
}

/** The scenario titles of the table between the markers of `markdown`. */
export function tableScenarios(markdown: string): string[] {
  const start = markdown.indexOf(TABLE_START);
  const end = markdown.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error("docs/reliability.md has no fault-table markers");
  return markdown
    .slice(start + TABLE_START.length, end)
    .split("\n")
    .filter((line) => line.startsWith("| ") && !line.startsWith("| scenario |"))
    .map((line) => (line.split(" | ")[0] as string).slice(2).trim());
}

/** `markdown` with the table between the markers replaced. */
export function withFaultTable(markdown: string, table: string, note: string): string {
  const start = markdown.indexOf(TABLE_START);
  const end = markdown.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error("docs/reliability.md has no fault-table markers");
  return `${markdown.slice(0, start + TABLE_START.length)}\n${table}\n\n${note}\n${markdown.slice(end)}`;
}
