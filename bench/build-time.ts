// Wall and CPU time of `npm run build` (zips, CLI, plan-comment, synth and the module emitter) and of
// `npm run synth` alone. Wall time on a shared machine is noise: compare runs on the same machine
// (--compare), and read the CPU figure, which other processes disturb less.
import { spawn } from "node:child_process";
import { REPO_ROOT } from "../test/helpers/paths.js";
import type { BenchGroup, Figure } from "./figures.js";

/** Runs an npm script; wall seconds, and CPU seconds of everything it started (children are reaped, so counted). */
async function timeNpm(script: string): Promise<{ wall: number; cpu: number }> {
  const started = process.hrtime.bigint();
  // `time -f` would need GNU time; a shell's `times` prints the children's CPU after the script.
  const shell = `npm run --silent ${script} >/dev/null && times`;
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn("bash", ["-c", shell], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`npm run ${script} exited with ${code}`))));
  });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  // `times` prints two lines (shell, children) of "<m>m<s>s <m>m<s>s" (user, system).
  const children = output.trim().split("\n").at(-1) ?? "";
  const cpu = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
  return { wall, cpu };
}

export const buildTime: BenchGroup = {
  name: "build and synth time",
  async run() {
    const build = await timeNpm("build");
    const synth = await timeNpm("synth");
    const figures: Figure[] = [
      { id: "build.wall-s", label: "npm run build, wall", value: build.wall, unit: "s" },
      { id: "build.cpu-s", label: "npm run build, CPU", value: build.cpu, unit: "s" },
      { id: "synth.wall-s", label: "npm run synth, wall", value: synth.wall, unit: "s" },
      { id: "synth.cpu-s", label: "npm run synth, CPU", value: synth.cpu, unit: "s" },
    ];
    return figures;
  },
};
