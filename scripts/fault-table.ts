/**
 * `npm run fault:table`: runs the fault-injection suite (test/fault) and writes its table into
 * docs/reliability.md between the fault-table markers. The suite itself never writes docs; it prints
 * the same table and, as its last test per file, compares the committed rows with its run
 * (test/fault/run-scenarios.ts), a comparison this script's run skips (FAULT_RESULTS is set).
 * `npm run fault:table -- test/fault/interleaved.test.ts ...` runs only those files and rewrites only
 * their rows; the other rows and the note stay as committed.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SCENARIOS } from "../test/fault/scenarios.js";
import { TABLE_END, TABLE_START, faultTable, withFaultTable } from "../test/fault/table.js";
import type { ScenarioResult } from "../test/fault/table.js";

const repoRoot = resolve(fileURLToPath(import.meta.url), "..", "..");
const scratch = mkdtempSync(join(tmpdir(), "self-runners-fault-table-"));
const resultsFile = join(scratch, "results.json");
const ALL_FILES = ["test/fault/fault.test.ts", "test/fault/fault-second-half.test.ts", "test/fault/interleaved.test.ts", "test/fault/slow-github.test.ts", "test/fault/burst.test.ts"];
const chosen = process.argv.slice(2);
for (const file of chosen) if (!ALL_FILES.includes(file)) throw new Error(`${file} is not a fault table file (${ALL_FILES.join(", ")})`);
const env: NodeJS.ProcessEnv = { ...process.env, FAULT_RESULTS: resultsFile };
// Every scenario, whatever the shell says.
delete env.FAULT_ONLY;
try {
  // The scenarios only: the unit tests of the table code have nothing to say about its figures.
  // FAULT_TABLE_RESULTS=<file>: the results of a run already made (FAULT_RESULTS=<file> npx vitest run <files>).
  const earlier = process.env.FAULT_TABLE_RESULTS;
  if (earlier === undefined) {
    const run = spawnSync("npx", ["vitest", "run", ...(chosen.length > 0 ? chosen : ALL_FILES)], { cwd: repoRoot, stdio: "inherit", env });
    if (run.status !== 0) throw new Error(`the fault-injection suite failed (exit ${String(run.status)}); docs/reliability.md is unchanged`);
  }
  const { wallSeconds, results } = JSON.parse(readFileSync(earlier ?? resultsFile, "utf8")) as { wallSeconds: number; results: ScenarioResult[] };
  const docPath = join(repoRoot, "docs", "reliability.md");
  if (chosen.length > 0) {
    writeFileSync(docPath, withRowsOf(readFileSync(docPath, "utf8"), results));
    console.log(`docs/reliability.md: ${results.length} rows rewritten`);
    process.exit(0);
  }
  const note =
    `${results.length} scenarios; ${Math.round(wallSeconds)} s wall time on ${cpus().length} cores (Node ${process.version}), ` +
    "the test files in parallel. Simulated is the world's clock from the first webhook to the second reconcile run after everything settled.";
  writeFileSync(docPath, withFaultTable(readFileSync(docPath, "utf8"), faultTable(results), note));
  console.log(`docs/reliability.md: table of ${results.length} scenarios written`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

/** `markdown` with the rows of `results` rewritten, every other scenario's row as committed, in the order of scenarios.ts. */
function withRowsOf(markdown: string, results: readonly ScenarioResult[]): string {
  const start = markdown.indexOf(TABLE_START) + TABLE_START.length;
  const end = markdown.indexOf(TABLE_END);
  const lines = markdown.slice(start, end).split("\n");
  const titleOf = (line: string) => (line.split(" | ")[0] as string).slice(2).trim();
  const committed = new Map(lines.filter((line) => line.startsWith("| ") && !line.startsWith("| scenario |")).map((line) => [titleOf(line), line]));
  const [header, rule, ...freshRows] = faultTable(results).split("\n");
  const fresh = new Map(freshRows.map((line) => [titleOf(line), line]));
  const rows = SCENARIOS.map((scenario) => {
    const row = fresh.get(scenario.title) ?? committed.get(scenario.title);
    if (row === undefined) throw new Error(`no row for "${scenario.title}": run its test file too`);
    return row;
  });
  const lastRow = lines.reduce((last, line, i) => (line.startsWith("| ") ? i : last), 0);
  const note = lines.slice(lastRow + 1).join("\n");
  return `${markdown.slice(0, start)}\n${[header, rule, ...rows].join("\n")}\n${note}${markdown.slice(end)}`;
}
