// Wall time of `npm run build` (zips, CLI, plan-comment, synth and the module emitter) and of
// `npm run synth` alone. Wall time on a shared machine is noise: compare runs on one machine
// (--compare). No CPU figure: a shell's `times` counted 7.7 s for a build that bundles for longer
// than that; not every helper process (esbuild's service among them) is waited for, so it undercounts.
import { spawn } from "node:child_process";
import { REPO_ROOT } from "../test/helpers/paths.js";
import type { BenchGroup, Figure } from "./figures.js";

/** Runs an npm script quietly (its output only when it fails); wall seconds. */
async function timeNpm(script: string): Promise<number> {
  const started = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const child = spawn("npm", ["run", "--silent", script], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`npm run ${script} exited with ${code}:\n${output}`))));
  });
  return Number(process.hrtime.bigint() - started) / 1e9;
}

export const buildTime: BenchGroup = {
  name: "build and synth time",
  async run() {
    const figures: Figure[] = [
      { id: "build.wall-s", label: "npm run build, wall", value: await timeNpm("build"), unit: "s" },
      { id: "synth.wall-s", label: "npm run synth, wall", value: await timeNpm("synth"), unit: "s" },
    ];
    return figures;
  },
};
