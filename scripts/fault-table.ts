/**
 * `npm run fault:table`: runs the fault-injection suite (test/fault) and writes its table into
 * docs/reliability.md between the fault-table markers. The suite itself never writes docs; it prints
 * the same table and, as its last test per file, compares the committed rows with its run
 * (test/fault/run-scenarios.ts), a comparison this script's run skips (FAULT_RESULTS is set).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { faultTable, withFaultTable } from "../test/fault/table.js";
import type { ScenarioResult } from "../test/fault/table.js";

const repoRoot = resolve(fileURLToPath(import.meta.url), "..", "..");
const scratch = mkdtempSync(join(tmpdir(), "self-runners-fault-table-"));
const resultsFile = join(scratch, "results.json");
const env: NodeJS.ProcessEnv = { ...process.env, FAULT_RESULTS: resultsFile };
// Every scenario, whatever the shell says.
delete env.FAULT_ONLY;
try {
  // The scenarios only: the unit tests of the table code have nothing to say about its figures.
  const run = spawnSync("npx", ["vitest", "run", "test/fault/fault.test.ts", "test/fault/fault-second-half.test.ts", "test/fault/interleaved.test.ts", "test/fault/slow-github.test.ts", "test/fault/burst.test.ts"], { cwd: repoRoot, stdio: "inherit", env });
  if (run.status !== 0) throw new Error(`the fault-injection suite failed (exit ${String(run.status)}); docs/reliability.md is unchanged`);
  const { wallSeconds, results } = JSON.parse(readFileSync(resultsFile, "utf8")) as { wallSeconds: number; results: ScenarioResult[] };
  const docPath = join(repoRoot, "docs", "reliability.md");
  const note =
    `${results.length} scenarios; ${Math.round(wallSeconds)} s wall time on ${cpus().length} cores (Node ${process.version}), ` +
    "the test files in parallel. Simulated is the world's clock from the first webhook to the second reconcile run after everything settled.";
  writeFileSync(docPath, withFaultTable(readFileSync(docPath, "utf8"), faultTable(results), note));
  console.log(`docs/reliability.md: table of ${results.length} scenarios written`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
