// Build cache (issue 16): a 200 MB actions/cache save and restore through the agent on loopback, the
// requests one restore costs, and the fixture monorepo's turbo sequence (hit ratio, wall times), each
// in a fresh clone. Every hop is loopback in this process or its children: agent -> signed function
// URL -> fake function -> s3rver (test/helpers/cache-agent-world.ts). Figures are ratios between runs
// on one machine; s3rver writes every part to local disk, so S3 itself is the slow end here.
// Run: npm run bench -- --only cache
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as cache from "@actions/cache";
import { clientEnvironment } from "../cache-agent/index.js";
import { startCacheAgentWorld, type CacheAgentWorld } from "../test/helpers/cache-agent-world.js";
import { runMonorepoSequence, type TurboRun } from "../test/helpers/monorepo.js";
import { scratchDir } from "../test/helpers/paths.js";
import type { BenchGroup, Figure } from "./figures.js";

const CACHE_MIB = 200;
const MIB = 1024 * 1024;

/**
 * @actions/cache reads its service from the environment on each call: set it for this process, then
 * restore it. Its workflow commands (::debug::, [command]) go to stdout; they are dropped meanwhile.
 */
async function withEnv<T>(values: Record<string, string>, body: () => Promise<T>): Promise<T> {
  const before = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  Object.assign(process.env, values);
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return await body();
  } finally {
    process.stdout.write = write;
    for (const [name, value] of Object.entries(before)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

async function actionsCacheFigures(world: CacheAgentWorld): Promise<Figure[]> {
  const work = scratchDir("bench-build-cache");
  const dir = join(work, "big");
  mkdirSync(dir, { recursive: true });
  mkdirSync(join(work, "temp"));
  // Random bytes: zstd cannot shrink them, so the archive stays ~200 MiB.
  for (let i = 0; i < CACHE_MIB / 50; i += 1) writeFileSync(join(dir, `part-${i}.bin`), randomBytes(50 * MIB));
  const env = { ...clientEnvironment(world.agent.url, ["actions"]), ACTIONS_RUNTIME_TOKEN: "not-checked", RUNNER_TEMP: join(work, "temp"), GITHUB_SERVER_URL: "https://github.com" };
  return withEnv(env, async () => {
    let started = performance.now();
    if ((await cache.saveCache([dir], "bench-200mib")) <= 0) throw new Error("the 200 MiB save was not stored");
    const saveSeconds = (performance.now() - started) / 1000;
    rmSync(dir, { recursive: true });
    const before = { ...world.agent.stats };
    started = performance.now();
    if ((await cache.restoreCache([dir], "bench-200mib")) !== "bench-200mib") throw new Error("the 200 MiB restore missed");
    const restoreSeconds = (performance.now() - started) / 1000;
    const functionRequests = world.agent.stats.lookups - before.lookups;
    const s3Requests = world.agent.stats.s3Requests - before.s3Requests;
    rmSync(work, { recursive: true, force: true });
    return [
      { id: "build-cache.actions.save-200mib.mibps", label: `Build cache: ${CACHE_MIB} MiB actions/cache save via the agent (loopback)`, value: CACHE_MIB / saveSeconds, unit: "MiB/s", target: 50, higherIsBetter: true, note: `${saveSeconds.toFixed(1)} s, tar+zstd included` },
      { id: "build-cache.actions.restore-200mib.mibps", label: `Build cache: ${CACHE_MIB} MiB actions/cache restore via the agent (loopback)`, value: CACHE_MIB / restoreSeconds, unit: "MiB/s", target: 100, higherIsBetter: true, note: `${restoreSeconds.toFixed(1)} s, untar included` },
      { id: "build-cache.actions.restore.function-requests", label: "Build cache: cache function requests per restore", value: functionRequests, unit: "calls", target: 1 },
      { id: "build-cache.actions.restore.s3-requests", label: `Build cache: S3 requests per ${CACHE_MIB} MiB restore (parallel ranged GETs)`, value: s3Requests, unit: "calls", target: Math.ceil((CACHE_MIB * MIB) / (8 * MIB)) + 1, note: "8 MiB ranges" },
    ];
  });
}

function describeRun(run: TurboRun): string {
  return `${run.executed.length} of ${run.tasks} tasks run, ${run.cached.length} from the cache`;
}

async function monorepoFigures(world: CacheAgentWorld): Promise<Figure[]> {
  const env = clientEnvironment(world.agent.url, ["turborepo"]);
  const runs = await runMonorepoSequence({ api: env.TURBO_API!, token: env.TURBO_TOKEN!, team: env.TURBO_TEAM! });
  const sequence = [runs.first, runs.unchanged, runs.changedAll, runs.changedAffected];
  const failed = sequence.find((run) => run.status !== 0);
  if (failed) throw new Error(`turbo failed: ${failed.output}`);
  const hits = sequence.reduce((sum, run) => sum + run.cached.length, 0);
  const total = sequence.reduce((sum, run) => sum + run.tasks, 0);
  const first = runs.first.wallMs / 1000;
  const wall = (id: string, label: string, run: TurboRun, target?: number): Figure => ({
    id: `build-cache.monorepo.${id}.s`,
    label: `Monorepo (turbo, fresh clone): ${label}`,
    value: run.wallMs / 1000,
    unit: "s",
    ...(target === undefined ? {} : { target }),
    note: describeRun(run),
  });
  return [
    wall("first", "first run", runs.first),
    wall("unchanged", "second run, no change", runs.unchanged, first / 3),
    wall("changed", "one package changed, every task", runs.changedAll, first),
    wall("changed-affected", "one package changed, --affected", runs.changedAffected, first),
    { id: "build-cache.monorepo.hit-ratio", label: "Monorepo: tasks restored from the cache over the sequence", value: (100 * hits) / total, unit: "%", note: `${hits} of ${total} tasks in 4 runs` },
  ];
}

export const buildCache: BenchGroup = {
  name: "build cache (agent on loopback: actions/cache 200 MiB, turbo monorepo)",
  async run() {
    const world = await startCacheAgentWorld();
    try {
      return [...(await actionsCacheFigures(world)), ...(await monorepoFigures(world))];
    } finally {
      await world.close();
    }
  },
};
