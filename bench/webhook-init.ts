// Module init CPU of a shipped handler zip: the median over fresh Node processes of the CPU time (user +
// system) spent in `require()` of the zip's index.js, laid out as Lambda does (the layer on NODE_PATH
// when the function has one). CPU, not wall time, because the 2-core machine is shared.
// Run: npx tsx bench/webhook-init.ts [handler] [runs]   (npm run build:lambdas first)
// Import measureInitCpu from bench/run.ts to print it with the other figures.
import { execFileSync } from "node:child_process";
import { rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { unpackShippedBundle } from "../test/helpers/shipped-zip.js";

const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "..");

export interface InitCpuFigure {
  readonly handler: string;
  readonly zipBytes: number;
  readonly runs: number;
  /** Median CPU milliseconds of `require(index.js)` in a fresh process. */
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
}

/** What the child runs: the CPU its require() took, in microseconds, on stdout. */
const CHILD = "const s=process.cpuUsage();require(process.argv[1]);const u=process.cpuUsage(s);process.stdout.write(String(u.user+u.system))";

export function measureInitCpu(handler = "webhook", runs = 20): InitCpuFigure {
  const unpacked = unpackShippedBundle(handler, { skipSourceMaps: true });
  try {
    const entry = join(unpacked, "task", "index.js");
    const env = {
      PATH: process.env.PATH ?? "",
      NODE_PATH: join(unpacked, "opt", "nodejs", "node_modules"),
      AWS_REGION: "eu-west-1",
      AWS_LAMBDA_FUNCTION_NAME: `sr-${handler}`,
      POWERTOOLS_LOG_LEVEL: "SILENT",
    };
    const samples = Array.from({ length: runs }, () => Number(execFileSync(process.execPath, ["-e", CHILD, entry], { env, encoding: "utf8" })) / 1000).sort((a, b) => a - b);
    const middle = Math.floor(runs / 2);
    const medianMs = runs % 2 === 1 ? (samples[middle] ?? 0) : ((samples[middle - 1] ?? 0) + (samples[middle] ?? 0)) / 2;
    return { handler, zipBytes: statSync(join(root, "dist", "lambdas", `${handler}.zip`)).size, runs, medianMs, minMs: samples[0] ?? 0, maxMs: samples[runs - 1] ?? 0 };
  } finally {
    rmSync(unpacked, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const figure = measureInitCpu(process.argv[2] ?? "webhook", Number(process.argv[3] ?? 20));
  console.log(
    `${figure.handler}: zip ${figure.zipBytes} B; module init CPU median ${figure.medianMs.toFixed(1)} ms over ${figure.runs} fresh processes (min ${figure.minMs.toFixed(1)}, max ${figure.maxMs.toFixed(1)})`,
  );
}
