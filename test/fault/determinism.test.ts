import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SCENARIOS, boundsOf } from "./scenarios.js";
import type { Scenario } from "./scenarios.js";
import { faultTable } from "./table.js";
import { installInvocationPatches, uninstallInvocationPatches } from "./world/client-patches.js";
import { takeCallTrace } from "./world/call-trace.js";
import { World } from "./world/world.js";

/**
 * The fault world gives the same figures on every run (docs/reliability.md, "Runs repeat"): a
 * scenario that used to vary between runs runs twice in this process, the second time while a CPU
 * hog competes for the machine, and both runs must give the same table row, the same world log and
 * the same call schedule and the same details of the world's report. One runs under the call
 * scheduler; the other runs its invocations one at a time, and used to make an extra ledger write in
 * some runs (the SDK's clock-skew retry, world/server-clock.ts).
 * DETERMINISM_ONLY=<text>[|<text>...] picks other scenarios by title; DETERMINISM_RUNS=<n> runs each
 * n times (default 2, the last beside the hogs); DETERMINISM_DUMP=<dir> writes each run's row,
 * details, log and schedule there, and with FAULT_TRACE_CALLS=1 every DynamoDB call and random draw
 * (world/call-trace.ts): diff two dumps to find where two runs part.
 */

const DEFAULT_SCENARIOS = ["interleaved: scale-up outlives the visibility timeout", "SQS redelivery and visibility expiry"];

interface Run {
  readonly row: string;
  readonly log: readonly string[];
  readonly schedule: readonly string[];
  /** The report's details, but the real milliseconds each part took (and the log, compared apart). */
  readonly details: string;
  /** FAULT_TRACE_CALLS: for the dump only (claim tokens are random UUIDs where invocations are not seeded). */
  readonly calls: readonly string[];
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
    const named = (line: string): string => line.replace(/(scale-up|webhook|reconcile|spot-interruption)-\d+/g, (id) => name(id));
    const log = world.log.map(named);
    const { realMs: _realMs, log: _log, ...details } = report.details;
    return { row, log, schedule, details: named(JSON.stringify(details, null, 1)), calls: takeCallTrace().map(named) };
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
    it(`${scenario.title}: the same row, details, log and schedule idle and under a CPU hog`, async () => {
      const runs: Run[] = [];
      const idleRuns = Math.max(1, Number(process.env.DETERMINISM_RUNS ?? 2) - 1);
      for (let i = 0; i < idleRuns; i += 1) runs.push(await runOnce(scenario));
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
        runs.forEach((run, i) => writeFileSync(join(dump, `${slug}.${i}.txt`), [run.row, "", run.details, "", ...run.log, "", ...run.schedule, "", ...run.calls].join("\n")));
      }
      const [first, ...others] = runs as [Run, ...Run[]];
      for (const [i, run] of others.entries()) {
        const which = `run ${i + 2} of ${runs.length}${i === others.length - 1 ? ", beside the hogs" : ""}`;
        expect(run.row, which).toBe(first.row);
        expect(run.details, which).toBe(first.details);
        expect(run.log, which).toEqual(first.log);
        expect(run.schedule, which).toEqual(first.schedule);
      }
    }, 900_000);
  }
});
