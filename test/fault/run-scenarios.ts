import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { REPO_ROOT } from "../helpers/paths.js";
import { SCENARIOS, boundsOf } from "./scenarios.js";
import type { Scenario } from "./scenarios.js";
import { INTERLEAVED_SCENARIOS } from "./scenarios-interleaved.js";
import { SLOW_GITHUB_SCENARIOS } from "./scenarios-slow-github.js";
import { TABLE_END, TABLE_START, faultTable, rowDifferences, tableRows } from "./table.js";
import type { ScenarioResult } from "./table.js";
import { installInvocationPatches, uninstallInvocationPatches } from "./world/client-patches.js";
import { World } from "./world/world.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Where each fault test file leaves its figures for the combined table (global-setup.ts). */
    faultResultsDir: string;
  }
}

/**
 * The scenarios of fault.test.ts (`half` 0) and fault-second-half.test.ts (`half` 1): all but the heavy
 * ones (burst.test.ts), the interleaved (interleaved.test.ts) and the slow GitHub (slow-github.test.ts),
 * every other one to each file, so that the two vitest workers run them side by side in about equal
 * time (a scenario added anywhere in scenarios.ts lands in one of the two).
 */
export function generalScenarios(half: 0 | 1): Scenario[] {
  const general = SCENARIOS.filter((scenario) => scenario.heavy !== true && !INTERLEAVED_SCENARIOS.includes(scenario) && !SLOW_GITHUB_SCENARIOS.includes(scenario));
  return general.filter((_, index) => index % 2 === half);
}

/**
 * Runs `scenarios` in this test file, one test each: a fresh world with the shipped zips, the script,
 * the world run to quiescence, then the five invariants and the scenario's bounds (test/fault/oracle.ts),
 * the doubles' own health and the scenario's evidence; last, docs/reliability.md's rows of these
 * scenarios must show this run's figures. FAULT_ONLY=<text>[|<text>...] runs only titles containing one of them; FAULT_VERBOSE=1 prints each world's log;
 * FAULT_PROGRESS=1 prints the state of the world every 5 simulated minutes.
 */
export function runScenarios(file: string, scenarios: readonly Scenario[], options: { readonly inReliabilityTable?: boolean } = {}): void {
  const results: ScenarioResult[] = [];
  const startedAt = performance.now();
  const only = process.env.FAULT_ONLY;

  beforeAll(() => installInvocationPatches());

  afterAll(() => {
    uninstallInvocationPatches();
    if (results.length === 0) return;
    const wallSeconds = (performance.now() - startedAt) / 1000;
    console.log(`\n${file}: ${results.length} scenario(s), ${wallSeconds.toFixed(1)} s wall time\n\n${faultTable(results)}\n`);
    const dir = inject("faultResultsDir");
    if (dir !== undefined && dir !== "") {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${file}.json`), JSON.stringify({ wallSeconds, results }));
    }
  });

  describe("fault injection: the shipped control plane in a simulated world", () => {
    for (const scenario of scenarios) {
      it.skipIf(only !== undefined && !only.split("|").some((part) => scenario.title.includes(part)))(
        `${scenario.title}: no job lost, no duplicate runner, no busy runner terminated, no orphan, never above a limit`,
        async () => {
          const world = new World(scenario.world);
          await world.start();
          try {
            await scenario.script(world);
            const report = await world.run();
            const bounds = boundsOf(scenario);
            results.push({ title: scenario.title, figures: report.figures, order: SCENARIOS.indexOf(scenario), bounds });
            if (process.env.FAULT_VERBOSE) console.log(scenario.title, JSON.stringify(report.figures), JSON.stringify(report.details.realMs), `\n${(report.details.log as string[]).join("\n")}`);
            const { jobsLost, duplicateRunners, busyRunnersTerminated, orphans, aboveLimit } = report.figures;
            const explain = `figures ${JSON.stringify(report.figures)}\ndetails ${JSON.stringify(report.details, null, 1)}`;
            expect({ jobsLost, duplicateRunners, busyRunnersTerminated, orphans, aboveLimit }, explain).toEqual({ jobsLost: 0, duplicateRunners: 0, busyRunnersTerminated: 0, orphans: 0, aboveLimit: 0 });
            expect(report.figures.wastedInstances, `instances launched and never configured ${JSON.stringify(report.details.wastedInstances)}`).toBeLessThanOrEqual(bounds.wastedInstances);
            expect(Math.max(0, ...report.figures.timeToRunnerSeconds), "the slowest job's wait for a runner").toBeLessThanOrEqual(bounds.timeToRunnerSeconds);
            expect(report.details.reachedTimeLimit, explain).toBe(false);
            expect(report.details.awsErrors, "a world double failed").toEqual([]);
            expect((report.details.gitHub as { schemaErrors: string[] }).schemaErrors, "answers and webhooks match GitHub's OpenAPI description").toEqual([]);
            scenario.evidence(report, world);
          } finally {
            await world.stop();
          }
        },
        scenario.timeoutMs ?? 600_000,
      );
    }

    // The governor's bursts are not in the table (their figures are bench/governor.ts's).
    if (options.inReliabilityTable === false) return;
    // npm run fault:table (FAULT_RESULTS) is about to rewrite the table: nothing to compare with yet.
    const rewriting = process.env.FAULT_RESULTS !== undefined;
    if (rewriting) console.log(`${file}: the committed table is not compared (npm run fault:table rewrites it from this run)`);
    it.skipIf(rewriting)("docs/reliability.md's fault table shows this run's figures (npm run fault:table rewrites it)", () => {
      if (results.length === 0) {
        console.log(`${file}: no scenario ran, no row to compare`);
        return;
      }
      const committed = tableRows(readFileSync(join(REPO_ROOT, "docs", "reliability.md"), "utf8"));
      const fresh = tableRows(`${TABLE_START}\n${faultTable(results)}\n${TABLE_END}`);
      const differences = [...fresh].flatMap(([title, row]) => rowDifferences(committed.get(title), row).map((d) => `${title}: ${d}`));
      expect(differences, "figures changed: run npm run fault:table and commit docs/reliability.md").toEqual([]);
    });
  });
}
