import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/paths.js";
import { SCENARIOS } from "./scenarios.js";
import { faultTable, percentile, tableScenarios, withFaultTable } from "./table.js";
import type { Figures } from "./world/world.js";

const figures: Figures = { jobs: 3, runnersLaunched: 4, createFleetCalls: 2, gitHubCalls: 11, redeliveries: 1, simulatedMs: 95 * 60_000, timeToRunnerSeconds: [40, 95, 61, 300], timeToLastRunnerSeconds: 312.4, gitHub403s: 0, jobsLost: 0, duplicateRunners: 0, busyRunnersTerminated: 0, orphans: 0 };

describe("the fault table in docs/reliability.md", () => {
  it("lists every scenario of test/fault/scenarios.ts, in order (npm run fault:table rewrites it)", () => {
    const doc = readFileSync(join(REPO_ROOT, "docs", "reliability.md"), "utf8");
    expect(tableScenarios(doc)).toEqual(SCENARIOS.map((scenario) => scenario.title));
  });

  it("shows zero for every invariant in the committed figures", () => {
    const doc = readFileSync(join(REPO_ROOT, "docs", "reliability.md"), "utf8");
    const rows = doc.split("\n").filter((line) => SCENARIOS.some((s) => line.startsWith(`| ${s.title} |`)));
    for (const row of rows) expect(row.split(" | ").slice(-4).join(" | "), row).toBe("0 | 0 | 0 | 0 |");
  });

  it("round-trips: a written table reads back as its scenarios", () => {
    const doc = "# x\n\n<!-- fault-table:start -->\n<!-- fault-table:end -->\n";
    const table = faultTable([{ title: "crash after claim", figures, order: 0 }]);
    const written = withFaultTable(doc, table, "note");
    expect(tableScenarios(written)).toEqual(["crash after claim"]);
    expect(written).toContain("| crash after claim | 3 | 4 | 2 | 11 | 1 | 1 h 35 min | 61 s / 300 s | 312 s | 0 | 0 | 0 | 0 | 0 |");
    expect(withFaultTable(written, table, "note")).toBe(written);
  });

  it("reports time to runner as nearest-rank p50 / p90, and a dash when no job was taken", () => {
    expect([50, 90, 100].map((p) => percentile([5, 1, 4, 2, 3, 6, 7, 8, 9, 10], p))).toEqual([5, 9, 10]);
    expect(percentile([], 50)).toBeUndefined();
    expect(faultTable([{ title: "none", figures: { ...figures, timeToRunnerSeconds: [] }, order: 0 }])).toContain("| 1 h 35 min | - | 312 s | 0 | 0 |");
  });

  it("fails when the markers are missing", () => {
    expect(() => tableScenarios("# no table")).toThrow(/markers/);
  });
});
