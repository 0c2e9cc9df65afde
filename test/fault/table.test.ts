import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/paths.js";
import { SCENARIOS } from "./scenarios.js";
import { DEFAULT_BOUNDS } from "./scenarios.js";
import { INVARIANT_COLUMNS, faultTable, percentile, rowDifferences, tableRows, tableScenarios, withFaultTable } from "./table.js";
import type { Figures } from "./world/world.js";

const figures: Figures = { jobs: 3, runnersLaunched: 4, createFleetCalls: 2, gitHubCalls: 11, redeliveries: 1, simulatedMs: 95 * 60_000, timeToRunnerSeconds: [40, 95, 61, 300], timeToLastRunnerSeconds: 312.4, gitHub403s: 0, jobsLost: 0, duplicateRunners: 0, busyRunnersTerminated: 0, orphans: 0, aboveLimit: 0, wastedInstances: 2 };
const bounds = { ...DEFAULT_BOUNDS, wastedInstances: 3 };

// Whether the committed figures are this code's is checked by the fault suite itself (run-scenarios.ts
// compares each row with its run); these tests check the table's shape and the comparison.
describe("the fault table in docs/reliability.md", () => {
  it("lists every scenario of test/fault/scenarios.ts, in order (npm run fault:table rewrites it)", () => {
    const doc = readFileSync(join(REPO_ROOT, "docs", "reliability.md"), "utf8");
    expect(tableScenarios(doc)).toEqual(SCENARIOS.map((scenario) => scenario.title));
  });

  it("shows zero for every invariant in the committed figures", () => {
    const rows = tableRows(readFileSync(join(REPO_ROOT, "docs", "reliability.md"), "utf8"));
    expect(rows.size).toBe(SCENARIOS.length);
    for (const [title, row] of rows) expect(INVARIANT_COLUMNS.map((column) => row[column]), title).toEqual(INVARIANT_COLUMNS.map(() => "0"));
  });

  it("compares a fresh row with the committed one exactly, in every column", () => {
    const committed = tableRows(withFaultTable("<!-- fault-table:start -->\n<!-- fault-table:end -->", faultTable([{ title: "t", figures, order: 0, bounds }]), "")).get("t");
    const later = (f: Partial<Figures>) => tableRows(withFaultTable("<!-- fault-table:start -->\n<!-- fault-table:end -->", faultTable([{ title: "t", figures: { ...figures, ...f }, order: 0, bounds }]), "")).get("t") as Record<string, string>;
    expect(rowDifferences(committed, later({}))).toEqual([]);
    expect(rowDifferences(committed, later({ gitHubCalls: 12 }))).toEqual(["GitHub calls: 11 → 12"]);
    expect(rowDifferences(committed, later({ simulatedMs: 96 * 60_000, timeToRunnerSeconds: [40, 95, 61, 301] }))).toEqual(["simulated: 1 h 35 min → 1 h 36 min", "time to runner p50 / p90: 61 s / 300 s → 61 s / 301 s", "slowest runner (bound): 300 s (≤ 180 s) → 301 s (≤ 180 s)"]);
    expect(rowDifferences(committed, later({ wastedInstances: 3 }))).toEqual(["wasted instances (bound): 2 (≤ 3) → 3 (≤ 3)"]);
    expect(rowDifferences(undefined, later({}))).toEqual(["the row is missing from docs/reliability.md"]);
  });

  it("round-trips: a written table reads back as its scenarios", () => {
    const doc = "# x\n\n<!-- fault-table:start -->\n<!-- fault-table:end -->\n";
    const table = faultTable([{ title: "crash after claim", figures, order: 0, bounds }]);
    const written = withFaultTable(doc, table, "note");
    expect(tableScenarios(written)).toEqual(["crash after claim"]);
    expect(written).toContain("| crash after claim | 3 | 4 | 2 | 11 | 1 | 1 h 35 min | 61 s / 300 s | 300 s (≤ 180 s) | 312 s | 0 | 0 | 0 | 0 | 0 | 0 | 2 (≤ 3) |");
    expect(withFaultTable(written, table, "note")).toBe(written);
  });

  it("reports time to runner as nearest-rank p50 / p90, and a dash when no job was taken", () => {
    expect([50, 90, 100].map((p) => percentile([5, 1, 4, 2, 3, 6, 7, 8, 9, 10], p))).toEqual([5, 9, 10]);
    expect(percentile([], 50)).toBeUndefined();
    expect(faultTable([{ title: "none", figures: { ...figures, timeToRunnerSeconds: [] }, order: 0, bounds }])).toContain("| 1 h 35 min | - | 0 s (≤ 180 s) | 312 s | 0 | 0 |");
  });

  it("fails when the markers are missing", () => {
    expect(() => tableScenarios("# no table")).toThrow(/markers/);
  });
});
