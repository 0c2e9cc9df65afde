import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SCENARIOS, boundsOf } from "./scenarios.js";
import type { Scenario } from "./scenarios.js";
import { faultTable } from "./table.js";
import { installInvocationPatches, uninstallInvocationPatches } from "./world/client-patches.js";
import { World } from "./world/world.js";

/**
 * The fault world gives the same figures on every run (docs/reliability.md, "Runs repeat"): a
 * scenario that used to vary between runs runs twice in this process, the second time while a CPU
 * hog competes for the machine, and both runs must give the same table row, the same world log and
 * the same call schedule. DETERMINISM_ONLY=<text>[|<text>...] picks other scenarios by title;
 * DETERMINISM_DUMP=<dir> writes each run's row, log and schedule there (to find where two runs part).
 */

const DEFAULT_SCENARIOS = ["interleaved: scale-up outlives the visibility timeout"];

interface Run {
  readonly row: string;
  readonly log: readonly string[];
  readonly schedule: readonly string[];
}

/** A busy loop in its own process, niced so it takes what the machine has left and slows this one. */
function cpuHog(): ChildProcess {
  return spawn("nice", ["-n", "10", process.execPath, "-e", "for(;;){}"], { stdio: "ignore" });
}

async function runOnce(scenario: Scenario): Promise<Run> {
  const interleave = scenario.world.interleave;
  const world = new World({ ...scenario.world, ...(interleave === undefined ? {} : { interleave: { ...interleave, trace: true } }) });
  await world.start();
  try {
    await scenario.script(world);
    const report = await world.run();
    const row = faultTable([{ title: scenario.title, figures: report.figures, order: 0, bounds: boundsOf(scenario) }]).split("\n")[2] as string;
    // Invocation ids count on across worlds of one process: name them by first appearance.
    const names = new Map<string, string>();
    const name = (id: string): string => names.get(id) ?? names.set(id, `${id.replace(/-\d+$/, "")}#${names.size}`).get(id) as string;
    const schedule = ((world.scheduler ?? world.lockstep)?.trace ?? []).map((step) => `${new Date(step.at).toISOString().slice(11, 23)} ${name(step.invocation)} ${step.what}`);
    const log = world.log.map((line) => line.replace(/(scale-up|webhook|reconcile|spot-interruption)-\d+/g, (id) => name(id)));
    return { row, log, schedule };
  } finally {
    await world.stop();
  }
}

const only = process.env.DETERMINISM_ONLY?.split("|") ?? DEFAULT_SCENARIOS;
const chosen = SCENARIOS.filter((scenario) => only.some((part) => scenario.title.includes(part)));

describe("the fault world repeats a run to the last figure, whatever the machine's load", () => {
  beforeAll(() => installInvocationPatches());
  afterAll(() => uninstallInvocationPatches());

  it("finds the scenarios it is asked for", () => {
    expect(chosen.length, `no scenario title contains ${only.join(" or ")}`).toBeGreaterThan(0);
  });

  for (const scenario of chosen) {
    it(`${scenario.title}: the same row, log and schedule idle and under a CPU hog`, async () => {
      const runs: Run[] = [];
      runs.push(await runOnce(scenario));
      const hogs = [cpuHog(), cpuHog()];
      try {
        runs.push(await runOnce(scenario));
      } finally {
        for (const hog of hogs) hog.kill();
      }
      const dump = process.env.DETERMINISM_DUMP;
      if (dump !== undefined) {
        mkdirSync(dump, { recursive: true });
        const slug = scenario.title.replace(/[^a-z0-9]+/gi, "-").slice(0, 60);
        runs.forEach((run, i) => writeFileSync(join(dump, `${slug}.${i}.txt`), [run.row, "", ...run.log, "", ...run.schedule].join("\n")));
      }
      const [idle, loaded] = runs as [Run, Run];
      expect(loaded.row).toBe(idle.row);
      expect(loaded.log).toEqual(idle.log);
      expect(loaded.schedule).toEqual(idle.schedule);
    }, 900_000);
  }
});
