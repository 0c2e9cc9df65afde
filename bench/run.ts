// Every figure of issue 14's table, each printed beside its target, written to bench/results.json.
// Run: npm run bench                          all groups (build and synth time included: minutes)
//      npm run bench -- --only zip,webhook    groups whose name contains one of the words
//      npm run bench -- --compare old.json    also print new/old per figure (times on a shared
//                                             machine are noise; ratios on one machine are not)
// A group is one file exporting a BenchGroup (bench/figures.ts); add it to GROUPS with one line.
import { readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "../test/helpers/paths.js";
import { buildCache } from "./build-cache.js";
import { buildTime } from "./build-time.js";
import { callsPerRunnerGroup } from "./calls-per-runner.js";
import { compareFigures, formatFigure, type BenchGroup, type BenchResults, type Figure } from "./figures.js";
import { governorGroup } from "./governor.js";
import { hotPaths } from "./hot-paths.js";
import { natFailover } from "./nat-failover.js";
import { reconcileCallsGroup } from "./reconcile-calls.js";
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

/** CPU seconds of this process plus its waited-for children (Linux /proc; this process only elsewhere). */
function cpuSeconds(): number {
  const own = process.cpuUsage();
  let children = 0;
  try {
    // Fields 16 and 17 (cutime, cstime) after the parenthesised command name, in clock ticks (100 a second on Linux).
    const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]?.split(" ") ?? [];
    children = (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    // Not Linux: the groups that run children count only this process.
  }
  return (own.user + own.system) / 1e6 + (Number.isFinite(children) ? children : 0);
}

const results: BenchResults = { node: process.version, cpus: availableParallelism(), startedAt: new Date().toISOString(), figures: [] };
const figures: Figure[] = [];
console.log(`node ${results.node}, ${results.cpus} cores`);
for (const [i, group] of chosen.entries()) {
  console.log(`\n[${i + 1}/${chosen.length}] ${group.name}`);
  const wallStart = performance.now();
  const cpuStart = cpuSeconds();
  for (const figure of await group.run()) {
    figures.push(figure);
    console.log(`  ${formatFigure(figure)}`);
  }
  console.log(`  (${Math.round((performance.now() - wallStart) / 1000)} s wall, ${Math.round(cpuSeconds() - cpuStart)} s CPU in this process and the children it waited for)`);
}
const out = values.out ?? join(REPO_ROOT, "bench", "results.json");
writeFileSync(out, `${JSON.stringify({ ...results, figures }, null, 2)}\n`);
console.log(`\nwrote ${out}`);

if (values.compare) {
  const previous = JSON.parse(readFileSync(values.compare, "utf8")) as BenchResults;
  console.log(`\nnew / old (${values.compare}, ${previous.startedAt}):`);
  for (const line of compareFigures(figures, previous.figures, { listDropped: words === undefined })) console.log(`  ${line}`);
}
