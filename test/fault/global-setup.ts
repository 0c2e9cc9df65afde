import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { faultTable } from "./table.js";
import type { ScenarioResult } from "./table.js";

/**
 * Gives the fault test files a directory for their figures and, after the run, prints one table of
 * every scenario that ran (in the order of scenarios.ts). With FAULT_RESULTS=<file> it also writes
 * them there, for `npm run fault:table`. Does nothing visible when no fault test ran.
 */
export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), "self-runners-fault-"));
  project.provide("faultResultsDir", dir);
  return () => {
    const files = existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith(".json")) : [];
    const runs = files.map((name) => JSON.parse(readFileSync(join(dir, name), "utf8")) as { wallSeconds: number; results: ScenarioResult[] });
    rmSync(dir, { recursive: true, force: true });
    if (runs.length === 0) return;
    const results = runs.flatMap((run) => run.results).sort((a, b) => a.order - b.order);
    const wallSeconds = Math.max(...runs.map((run) => run.wallSeconds));
    console.log(`\nFault-injection suite: ${results.length} scenarios, ${wallSeconds.toFixed(1)} s wall time (files in parallel)\n\n${faultTable(results)}\n`);
    if (process.env.FAULT_RESULTS) writeFileSync(process.env.FAULT_RESULTS, JSON.stringify({ wallSeconds, results }, null, 2));
  };
}
