// The GitHub write governor: time to the last runner configured in a 1,000-job burst with 1 and 3
// Apps, beside the target (within 10 % of the limit-implied minimum, 1,000 ÷ the allowed rate) and the
// GitHub rate-limit answers received (target 0). The figures come from the fault world's simulated
// clock (test/fault/scenarios.ts, "paced by the GitHub write governor"), so they follow from the
// configured rate, not from this machine's speed. The world needs vitest (fake clock), hence the
// child run, under `nice -n 10`, printing the world's progress every 5 simulated minutes. Run: npx tsx bench/governor.ts, or from bench/run.ts through `benchGovernor()`.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { inputDefault } from "../stacks/module/inputs.js";
import type { ScenarioResult } from "../test/fault/table.js";
import type { BenchGroup, Figure } from "./figures.js";

const repoRoot = resolve(fileURLToPath(import.meta.url), "..", "..");

export interface GovernorFigure {
  readonly apps: number;
  readonly timeToLastRunnerSeconds: number | undefined;
  /** 1,000 ÷ (Apps × github_writes_per_minute), in seconds. */
  readonly minimumSeconds: number;
  readonly gitHub403s: number;
  /** Within 10 % of the minimum, with no rate-limit answer. */
  readonly met: boolean;
}

/** Runs the two governed-burst scenarios and prints one line per App count; resolves to the figures. */
export async function benchGovernor(): Promise<GovernorFigure[]> {
  const scratch = mkdtempSync(join(tmpdir(), "self-runners-bench-governor-"));
  const resultsFile = join(scratch, "results.json");
  try {
    // Under `nice`: minutes of CPU that should not slow the short test runs sharing the machine.
    const child = spawn("nice", ["-n", "10", "npx", "vitest", "run", "test/fault/governor.test.ts"], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, FAULT_GOVERNOR: "1", FAULT_ONLY: "paced by the GitHub write governor", FAULT_RESULTS: resultsFile, FAULT_PROGRESS: "1" },
    });
    // The world's progress line every 5 simulated minutes, up to its call counts (live runners, queued
    // messages, invocations, DynamoDB calls), so a long run shows whether it is working, not only alive.
    createInterface({ input: child.stdout }).on("line", (line) => {
      const progress = /sim \+\d+ min, real \d+ ms, cpu \d+ ms, done \d+\/\d+, live \d+, queued \d+, invocations \d+, dynamodb \d+/.exec(line);
      if (progress) console.log(`    ${progress[0]}`);
    });
    const stderr: string[] = [];
    createInterface({ input: child.stderr }).on("line", (line) => stderr.push(line));
    const [status] = (await once(child, "exit")) as [number | null];
    // Vitest ends its report with separator lines: the failures' own lines say why.
    const plain = stderr.map((line) => line.replace(/\u001b\[[0-9;]*m/g, "").trim());
    const why = plain.filter((line) => /^(FAIL|AssertionError|Error)\b/.test(line)).slice(0, 4);
    if (status !== 0) throw new Error(`the governed-burst scenarios failed (exit ${String(status)}): ${(why.length > 0 ? why : plain.slice(-5)).join(" | ")}; run FAULT_GOVERNOR=1 FAULT_ONLY="paced by the GitHub write governor" npx vitest run test/fault/governor.test.ts`);
    const { results } = JSON.parse(readFileSync(resultsFile, "utf8")) as { results: ScenarioResult[] };
    const rate = Number(inputDefault("github_writes_per_minute"));
    const figures = results.map((result): GovernorFigure => {
      const apps = Number(/(\d+) Apps?/.exec(result.title)?.[1]);
      const minimumSeconds = (1000 / (apps * rate)) * 60;
      const seconds = result.figures.timeToLastRunnerSeconds;
      const met = seconds !== undefined && seconds <= minimumSeconds * 1.1 && result.figures.gitHub403s === 0;
      return { apps, timeToLastRunnerSeconds: seconds, minimumSeconds, gitHub403s: result.figures.gitHub403s, met };
    });
    for (const f of figures) {
      const time = f.timeToLastRunnerSeconds === undefined ? "-" : `${Math.round(f.timeToLastRunnerSeconds)} s`;
      console.log(
        `${`governor: 1,000-job burst, ${f.apps} App${f.apps === 1 ? "" : "s"}, time to last runner`.padEnd(58)} ${time.padStart(7)}  target ≤ ${Math.round(f.minimumSeconds * 1.1)} s (minimum ${Math.round(f.minimumSeconds)} s)  GitHub 403s ${f.gitHub403s} (target 0)  ${f.met ? "met" : "MISSED"}`,
      );
    }
    return figures;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Time to last runner of the governed 1,000-job bursts, beside 110 % of the limit-implied minimum. */
export const governorGroup: BenchGroup = {
  name: "GitHub write governor",
  async run() {
    return (await benchGovernor()).flatMap((f): Figure[] => [
      {
        id: `governor.apps-${f.apps}.time-to-last-runner-s`,
        label: `governor: 1,000-job burst, ${f.apps} App${f.apps === 1 ? "" : "s"}, time to last runner`,
        value: f.timeToLastRunnerSeconds ?? Number.NaN,
        unit: "s",
        target: Math.round(f.minimumSeconds * 1.1),
        note: `limit-implied minimum ${Math.round(f.minimumSeconds)} s`,
      },
      { id: `governor.apps-${f.apps}.github-403s`, label: `governor: 1,000-job burst, ${f.apps} App${f.apps === 1 ? "" : "s"}, GitHub 403s`, value: f.gitHub403s, unit: "answers", target: 0 },
    ]);
  },
};

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await benchGovernor();
