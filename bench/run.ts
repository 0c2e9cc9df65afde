// Every figure of issue 14's table, each printed beside its target, written to bench/results.json.
// Run: npm run bench                          all groups (build and synth time included: minutes)
//      npm run bench -- --only zip,webhook    groups whose name contains one of the words
//      npm run bench -- --compare old.json    also print new/old per figure (times on a shared
//                                             machine are noise; ratios on one machine are not)
// A group is one file exporting a BenchGroup (bench/figures.ts); add it to GROUPS with one line. A group
// that fails is printed and recorded in results.json, the others still run, and the exit code is 1.
import { readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "../test/helpers/paths.js";
import { buildCache } from "./build-cache.js";
import { buildTime } from "./build-time.js";
import { callsPerRunnerGroup } from "./calls-per-runner.js";
import { compareFigures, type BenchGroup, type BenchResults } from "./figures.js";
import { governorGroup } from "./governor.js";
import { hotPaths } from "./hot-paths.js";
import { natFailover } from "./nat-failover.js";
import { reconcileCallsGroup } from "./reconcile-calls.js";
import { runGroups } from "./run-groups.js";
import { webhookCpu } from "./webhook-cpu.js";
import { webhookCalls } from "./webhook-delivery.js";
import { zipSizes } from "./zip-size.js";

// Build first: the other groups read the zips it writes.
// The governor group replays two 1,000-job bursts in the fault world: minutes, last, in a child under `nice`.
const GROUPS: readonly BenchGroup[] = [buildTime, zipSizes, webhookCpu, webhookCalls, callsPerRunnerGroup, reconcileCallsGroup, hotPaths, natFailover, buildCache, governorGroup];

const { values } = parseArgs({ options: { only: { type: "string" }, compare: { type: "string" }, out: { type: "string" } } });
const words = values.only?.split(",").map((w) => w.trim().toLowerCase()).filter(Boolean);
const chosen = words ? GROUPS.filter((g) => words.some((w) => g.name.toLowerCase().includes(w))) : GROUPS;
if (chosen.length === 0) {
  console.error(`--only ${values.only} matches no group; groups: ${GROUPS.map((g) => g.name).join("; ")}`);
  process.exit(2);
}

const results: BenchResults = { node: process.version, cpus: availableParallelism(), startedAt: new Date().toISOString(), figures: [] };
console.log(`node ${results.node}, ${results.cpus} cores`);
const { figures, failures } = await runGroups(chosen);
const out = values.out ?? join(REPO_ROOT, "bench", "results.json");
writeFileSync(out, `${JSON.stringify({ ...results, figures, failures }, null, 2)}\n`);
console.log(`\nwrote ${out}`);

if (values.compare) {
  const previous = JSON.parse(readFileSync(values.compare, "utf8")) as BenchResults;
  console.log(`\nnew / old (${values.compare}, ${previous.startedAt}):`);
  for (const line of compareFigures(figures, previous.figures, { listDropped: words === undefined })) console.log(`  ${line}`);
}

// Every group ran; a failed one makes the whole run fail, after the others' figures were written.
if (failures.length > 0) {
  console.error(`\n${failures.length} group(s) failed: ${failures.map((f) => f.group).join("; ")} (recorded in ${out})`);
  process.exitCode = 1;
}
