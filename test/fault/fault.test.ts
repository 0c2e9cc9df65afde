import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SCENARIOS } from "./scenarios.js";
import { faultTable } from "./table.js";
import type { ScenarioResult } from "./table.js";
import { installInvocationPatches, uninstallInvocationPatches } from "./world/invocations.js";
import { World } from "./world/world.js";

// The fault-injection suite (docs/reliability.md): every scenario drives the shipped handler zips
// (npm run build:lambdas) through a simulated world until it is quiet, then checks the four
// invariants. FAULT_ONLY=<text> runs the scenarios whose title contains it; FAULT_RESULTS=<file>
// writes the figures for `npm run fault:table`.

const results: ScenarioResult[] = [];
const startedAt = performance.now();
const only = process.env.FAULT_ONLY;

beforeAll(() => installInvocationPatches());

afterAll(() => {
  uninstallInvocationPatches();
  if (results.length === 0) return;
  const wallSeconds = (performance.now() - startedAt) / 1000;
  console.log(`\nFault-injection scenarios (${results.length}, ${wallSeconds.toFixed(1)} s wall time):\n\n${faultTable(results)}\n`);
  if (process.env.FAULT_RESULTS) writeFileSync(process.env.FAULT_RESULTS, JSON.stringify({ wallSeconds, results }, null, 2));
});

describe("fault injection: the shipped control plane in a simulated world", () => {
  for (const scenario of SCENARIOS) {
    it.skipIf(only !== undefined && !scenario.title.includes(only))(`${scenario.title}: no job lost, no duplicate runner, no busy runner terminated, no orphan`, async () => {
      const world = new World(scenario.world);
      await world.start();
      try {
        await scenario.script(world);
        const report = await world.run();
        results.push({ title: scenario.title, figures: report.figures });
        if (process.env.FAULT_VERBOSE) console.log(scenario.title, JSON.stringify(report.figures), JSON.stringify(report.details.realMs), "\n" + (report.details.log as string[]).join("\n"));
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
    }, 600_000);
  }
});
