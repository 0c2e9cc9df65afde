// Where the webhook's per-delivery CPU goes, and old-vs-new ratios at the same load.
//   npx tsx bench/webhook-cpu-profile.ts profile [zip]         one child under --cpu-prof; self time by function and package
//   npx tsx bench/webhook-cpu-profile.ts compare old.zip new.zip [rounds]   interleaved children; per-delivery CPU and ratio
// Not a bench group: a tool for changing the webhook (docs/performance.md, "Webhook").
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SourceMap } from "node:module";
import { promisify } from "node:util";
import { sign } from "@octokit/webhooks-methods";
import { REPO_ROOT } from "../test/helpers/paths.js";
import { LOOPBACK_AWS_ENV, unpackShippedBundle } from "../test/helpers/shipped-zip.js";
import { workflowJobFixture } from "../test/helpers/github.js";
import { startWebhookDoubles } from "../test/helpers/webhook-doubles.js";

const run = promisify(execFile);
const CHILD = join(REPO_ROOT, "bench", "webhook-cpu-child.cjs");
const SECRET = "bench-webhook-secret";
const DIST_ZIP = join(REPO_ROOT, "dist", "lambdas", "webhook.zip");
let nextJob = Number(workflowJobFixture("queued").workflow_job.id) + 1;

async function events(count: number): Promise<unknown[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const jobId = nextJob++;
      const body = JSON.stringify(workflowJobFixture("queued", { jobId }));
      const headers = { "X-Hub-Signature-256": await sign(SECRET, body), "X-GitHub-Event": "workflow_job", "X-GitHub-Delivery": `profile-delivery-${jobId}` };
      return { body, headers, isBase64Encoded: false, httpMethod: "POST", path: "/webhook" };
    }),
  );
}

/** Unpacks `zip` as dist/lambdas/webhook.zip would be (swapping the file in for the unpacker, then back). */
function unpack(zip: string): string {
  if (zip === DIST_ZIP) return unpackShippedBundle("webhook");
  const saved = join(mkdtempSync(join(tmpdir(), "wh-zip-")), "webhook.zip");
  copyFileSync(DIST_ZIP, saved);
  try {
    copyFileSync(zip, DIST_ZIP);
    return unpackShippedBundle("webhook");
  } finally {
    copyFileSync(saved, DIST_ZIP);
  }
}

async function child(root: string, env: Record<string, string>, eventsFile: string, nodeArgs: string[] = []): Promise<{ perRequestMs: number; statuses: Record<string, number> }> {
  const { stdout } = await run(process.execPath, [...nodeArgs, CHILD], {
    env: { PATH: process.env.PATH, ...LOOPBACK_AWS_ENV, POWERTOOLS_LOG_LEVEL: "SILENT", POWERTOOLS_METRICS_DISABLED: "true", ...env, BUNDLE_ROOT: root, EVENTS_FILE: eventsFile, WARM_UP: "30", NODE_OPTIONS: "--enable-source-maps" },
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout);
}

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; children?: number[] }
function summarise(file: string, mapFile: string | undefined): void {
  const map = mapFile === undefined ? undefined : new SourceMap(JSON.parse(readFileSync(mapFile, "utf8")));
  const profile = JSON.parse(readFileSync(file, "utf8")) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  let total = 0;
  for (const [id, us] of self) if (!["(idle)", "(program)"].includes(byId.get(id)!.callFrame.functionName)) total += us;
  const fn = new Map<string, number>();
  const pkg = new Map<string, number>();
  for (const [id, us] of self) {
    let { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === "(idle)" || functionName === "(program)") continue;
    const { columnNumber } = byId.get(id)!.callFrame;
    if (map !== undefined && url.endsWith("task/index.js")) {
      const entry = map.findEntry(lineNumber, columnNumber) as { originalSource?: string; originalLine?: number; name?: string };
      if (entry.originalSource !== undefined) {
        url = entry.originalSource;
        lineNumber = (entry.originalLine ?? 0) + 1;
      }
    }
    const where = url.includes("node_modules/") ? url.slice(url.lastIndexOf("node_modules/") + 13).split("/").slice(0, url.includes("node_modules/@") ? 2 : 1).join("/") : url === "" ? "(native)" : url.replace(/^.*\/(task|lambdas)\//, "$1/");
    fn.set(`${functionName || "(anon)"} ${where}:${lineNumber}`, (fn.get(`${functionName || "(anon)"} ${where}:${lineNumber}`) ?? 0) + us);
    pkg.set(where, (pkg.get(where) ?? 0) + us);
  }
  const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`).join("\n");
  console.log(`busy sampled ${(total / 1000).toFixed(0)} ms\n-- by file/package --\n${top(pkg, 25)}\n-- by function --\n${top(fn, 45)}`);
}

async function main(): Promise<void> {
  const [mode = "profile", ...args] = process.argv.slice(2);
  const labels = workflowJobFixture("queued").workflow_job.labels as string[];
  const doubles = await startWebhookDoubles({ secret: SECRET, pools: { linux: labels } });
  const work = mkdtempSync(join(tmpdir(), "wh-prof-"));
  try {
    if (mode === "profile") {
      const root = unpack(args[0] ?? DIST_ZIP);
      const eventsFile = join(work, "events.json");
      writeFileSync(eventsFile, JSON.stringify(await events(Number(args[1] ?? 1000))));
      const result = await child(root, doubles.env, eventsFile, ["--cpu-prof", `--cpu-prof-dir=${work}`, "--cpu-prof-interval=100"]);
      console.log(`per delivery ${result.perRequestMs.toFixed(2)} ms (with the profiler on), answers ${JSON.stringify(result.statuses)}`);
      const prof = readdirSync(work).find((f) => f.endsWith(".cpuprofile"))!;
      copyFileSync(join(work, prof), "/tmp/wh/last.cpuprofile");
      summarise(join(work, prof), args[2] ?? (args[0] === undefined ? DIST_ZIP.replace(/\.zip$/, ".js.map") : undefined));
    } else {
      const [oldZip, newZip, rounds = "4"] = args;
      const roots = [unpack(oldZip!), unpack(newZip!)];
      const figures: number[][] = [[], []];
      for (let r = 0; r < Number(rounds); r++) {
        for (const i of r % 2 === 0 ? [0, 1] : [1, 0]) {
          const eventsFile = join(work, `events-${r}-${i}.json`);
          writeFileSync(eventsFile, JSON.stringify(await events(300)));
          const before = doubles.sent().length;
          const result = await child(roots[i]!, doubles.env, eventsFile);
          if (doubles.sent().length - before !== 300) throw new Error(`zip ${i} queued ${doubles.sent().length - before} of 300 (${JSON.stringify(result.statuses)})`);
          figures[i]!.push(result.perRequestMs);
        }
      }
      const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
      console.log(`old ${figures[0]!.map((v) => v.toFixed(2)).join(" ")} ms  mean ${mean(figures[0]!).toFixed(2)}`);
      console.log(`new ${figures[1]!.map((v) => v.toFixed(2)).join(" ")} ms  mean ${mean(figures[1]!).toFixed(2)}`);
      console.log(`ratio new/old ${(mean(figures[1]!) / mean(figures[0]!)).toFixed(3)} (CPU seconds of the handler's process, same minutes, interleaved)`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
    await doubles.stop();
  }
}

void main();
