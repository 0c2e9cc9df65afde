import { childLogger } from "../shared/index.js";
import type { WriteBlock } from "../shared/index.js";
import { interval } from "../libs/governor/bucket.js";
import type { WriteGovernor } from "../libs/governor/port.js";
import type { Claimed } from "./launch-group.js";

const log = childLogger("scale-up");

/** A claimed job the governor has no token for yet, and when its App's bucket will have one for it. */
export interface WaitingForWrite {
  readonly job: Claimed;
  readonly waitSeconds: number;
}

export interface WriteGateResult {
  /** Jobs whose JIT POST has a token: launch them now, in batch order. */
  readonly allowed: Claimed[];
  readonly waiting: WaitingForWrite[];
}

/**
 * Takes one GitHub write token per job (its JIT config POST) from the shared bucket of the job's App,
 * with one request per App for the whole batch (docs/performance.md, "GitHub write governor"). Jobs
 * beyond the grant join the App's waiting line and wait on the queue until their turn, instead of
 * sleeping inside the invocation. A store failure lets the batch through: Octokit's own
 * pacing and the Retry-After handling still apply, and a stuck table must not stop every launch.
 */
export async function takeWriteTokens(jobs: readonly Claimed[], appOf: ReadonlyMap<string, number>, governor: WriteGovernor, now: Date): Promise<WriteGateResult> {
  const byApp = new Map<number, Claimed[]>();
  for (const job of jobs) {
    const appId = appOf.get(job.recordId) as number;
    byApp.set(appId, [...(byApp.get(appId) ?? []), job]);
  }
  const allowedIds = new Set<string>();
  const waiting: WaitingForWrite[] = [];
  const step = interval(governor.settings);
  await Promise.all(
    [...byApp].map(async ([appId, appJobs]) => {
      try {
        const { granted, nextTokenAt } = await governor.take(appId, appJobs.length, now.getTime());
        for (const job of appJobs.slice(0, granted)) allowedIds.add(job.recordId);
        const rest = appJobs.slice(granted);
        if (rest.length === 0) return;
        // Behind every job already waiting for this App, so a backlog comes back at the bucket's rate.
        const firstTurn = await governor.lineUp(appId, rest.length, now.getTime(), nextTokenAt);
        rest.forEach((job, place) => {
          waiting.push({ job, waitSeconds: Math.max(1, Math.ceil((firstTurn - now.getTime() + place * step) / 1000)) });
        });
      } catch (error) {
        log.warn("write governor unavailable; launching without it", { error, appId });
        for (const job of appJobs) allowedIds.add(job.recordId);
      }
    }),
  );
  return { allowed: jobs.filter((job) => allowedIds.has(job.recordId)), waiting };
}

/** Feeds GitHub's rate-limit answers seen in this invocation back into the shared buckets. */
export async function reportWriteBlocks(blocks: readonly WriteBlock[], governor: WriteGovernor): Promise<void> {
  await Promise.all(
    blocks.map((block) =>
      governor.blockUntil(block.appId, block.until).catch((error: unknown) => log.warn("recording a GitHub rate-limit wait failed", { error, appId: block.appId })),
    ),
  );
}

/** What scale-up hands the gate: the governor and the rate-limit answers its GitHub clients saw. */
export interface WriteGateDeps {
  readonly writeGovernor?: WriteGovernor;
  readonly drainWriteBlocks?: () => WriteBlock[];
}

/**
 * Scale-up's one call into the governor: first the waits GitHub asked for since the last batch go into
 * the shared buckets, then the batch takes its tokens; the jobs without one go back to the queue
 * ("write-rate" deferral) with their claims released. Resolves to the jobs to launch.
 */
export async function governWrites(
  jobs: readonly Claimed[],
  appOf: ReadonlyMap<string, number>,
  deps: WriteGateDeps,
  now: Date,
  giveBack: (job: Claimed, kind: "write-rate", reason: string, waitSeconds: number) => Promise<void>,
): Promise<Claimed[]> {
  const governor = deps.writeGovernor;
  if (governor === undefined) return [...jobs];
  await reportWriteBlocks(deps.drainWriteBlocks?.() ?? [], governor);
  if (jobs.length === 0) return [];
  const { allowed, waiting } = await takeWriteTokens(jobs, appOf, governor, now);
  await Promise.all(waiting.map(({ job, waitSeconds }) => giveBack(job, "write-rate", "GitHub write rate: no token yet", waitSeconds)));
  if (waiting.length > 0) log.info("jobs wait for GitHub write tokens", { waiting: waiting.length, allowed: allowed.length });
  return allowed;
}
