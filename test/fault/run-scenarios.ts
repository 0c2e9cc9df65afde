import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SCENARIOS } from "./scenarios.js";
import type { Scenario } from "./scenarios.js";
import { faultTable } from "./table.js";
import type { ScenarioResult } from "./table.js";
import { installInvocationPatches, uninstallInvocationPatches } from "./world/invocations.js";
import { World } from "./world/world.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Where each fault test file leaves its figures for the combined table (global-setup.ts). */
    faultResultsDir: string;
  }
}

/**
 * Runs `scenarios` in this test file, one test each: a fresh world with the shipped zips, the script,
 * the world run to quiescence, then the four invariants, the doubles' own health and the scenario's
 * evidence. FAULT_ONLY=<text> runs only titles containing it; FAULT_VERBOSE=1 prints each world's log;
 * FAULT_PROGRESS=1 prints the state of the world every 5 simulated minutes.
 */
export function runScenarios(file: string, scenarios: readonly Scenario[]): void {
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
      it.skipIf(only !== undefined && !scenario.title.includes(only))(
        `${scenario.title}: no job lost, no duplicate runner, no busy runner terminated, no orphan`,
        async () => {
          const world = new World(scenario.world);
          await world.start();
          try {
            await scenario.script(world);
            const report = await world.run();
            results.push({ title: scenario.title, figures: report.figures, order: SCENARIOS.indexOf(scenario) });
            if (process.env.FAULT_VERBOSE) console.log(scenario.title, JSON.stringify(report.figures), JSON.stringify(report.details.realMs), `\n${(report.details.log as string[]).join("\n")}`);
            const { jobsLost, duplicateRunners, busyRunnersTerminated, orphans } = report.figures;
            const explain = `figures ${JSON.stringify(report.figures)}\ndetails ${JSON.stringify(report.details, null, 1)}`;
            expect({ jobsLost, duplicateRunners, busyRunnersTerminated, orphans }, explain).toEqual({ jobsLost: 0, duplicateRunners: 0, busyRunnersTerminated: 0, orphans: 0 });
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
  });
}
