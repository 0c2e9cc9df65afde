import type { ScenarioBounds } from "./scenario.js";
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
  readonly bounds: ScenarioBounds;
}

const COLUMNS: ReadonlyArray<readonly [string, (f: Figures, b: ScenarioBounds) => string]> = [
  ["jobs", (f) => String(f.jobs)],
  ["runners launched", (f) => String(f.runnersLaunched)],
  ["CreateFleet calls", (f) => String(f.createFleetCalls)],
  ["GitHub calls", (f) => String(f.gitHubCalls)],
  ["redeliveries", (f) => String(f.redeliveries)],
  ["simulated", (f) => duration(f.simulatedMs)],
  ["time to runner p50 / p90", (f) => timeToRunner(f.timeToRunnerSeconds)],
  ["slowest runner (bound)", (f, b) => `${Math.round(Math.max(0, ...f.timeToRunnerSeconds))} s (≤ ${b.timeToRunnerSeconds} s)`],
  ["time to last runner", (f) => (f.timeToLastRunnerSeconds === undefined ? "-" : `${Math.round(f.timeToLastRunnerSeconds)} s`)],
  ["GitHub 403s", (f) => String(f.gitHub403s)],
  ["jobs lost", (f) => String(f.jobsLost)],
  ["duplicate runners", (f) => String(f.duplicateRunners)],
  ["busy runners terminated", (f) => String(f.busyRunnersTerminated)],
  ["orphans after 2 reconciles", (f) => String(f.orphans)],
  ["above a limit", (f) => String(f.aboveLimit)],
  ["wasted instances (bound)", (f, b) => `${f.wastedInstances} (≤ ${b.wastedInstances})`],
];

/** The columns that are invariants: 0 in every row. */
export const INVARIANT_COLUMNS = ["jobs lost", "duplicate runners", "busy runners terminated", "orphans after 2 reconciles", "above a limit"];

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
  const rows = results.map((r) => `| ${r.title} | ${COLUMNS.map(([, cell]) => cell(r.figures, r.bounds)).join(" | ")} |`);
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

/** Each row of the table between the markers, by scenario title: cells by column name. */
export function tableRows(markdown: string): Map<string, Record<string, string>> {
  const start = markdown.indexOf(TABLE_START);
  const end = markdown.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error("docs/reliability.md has no fault-table markers");
  const lines = markdown.slice(start + TABLE_START.length, end).split("\n").filter((line) => line.startsWith("| "));
  const cellsOf = (line: string) => line.slice(2, -2).split(" | ").map((cell) => cell.trim());
  const [header, ...rows] = lines;
  const names = header === undefined ? [] : cellsOf(header).slice(1);
  return new Map(rows.filter((row) => !row.startsWith("|---")).map((row) => {
    const [title, ...cells] = cellsOf(row);
    return [title as string, Object.fromEntries(names.map((name, i) => [name, cells[i] ?? ""]))];
  }));
}

/**
 * The differences between a committed row and a fresh one ("column: committed → fresh"), compared
 * exactly: the world repeats a run to the last figure (docs/reliability.md, "Runs repeat").
 */
export function rowDifferences(committed: Readonly<Record<string, string>> | undefined, fresh: Readonly<Record<string, string>>): string[] {
  if (committed === undefined) return ["the row is missing from docs/reliability.md"];
  const out: string[] = [];
  for (const [column, value] of Object.entries(fresh)) {
    const was = committed[column];
    if (was === undefined) out.push(`${column}: missing → ${value}`);
    else if (was !== value) out.push(`${column}: ${was} → ${value}`);
  }
  return out;
}
