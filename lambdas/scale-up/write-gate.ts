import { childLogger } from "../shared/index.js";
import type { WriteBlock } from "../shared/index.js";
import { interval, turnGraceMs } from "../libs/governor/bucket.js";
import type { WriteGovernor } from "../libs/governor/port.js";
import type { WriteTurn } from "../libs/ledger/types.js";
import type { Claimed } from "./launch-group.js";

const log = childLogger("scale-up");

/** A claimed job whose token's turn has not come yet. */
export interface WaitingForWrite {
  readonly job: Claimed;
  readonly waitSeconds: number;
  /** The reserved turn the job keeps in the ledger; absent when it must reserve again. */
  readonly turn?: WriteTurn;
}

export interface WriteGateResult {
  /** Jobs whose JIT POST has a token: launch them now, in batch order. */
  readonly allowed: Claimed[];
  readonly waiting: WaitingForWrite[];
}

/**
 * What a kept turn allows at `now`: a job back at (or up to the grace after) its turn uses the token
 * reserved for it; one back early waits again for the same turn; one back later than the grace has lost
 * it and reserves again (bucket.ts, turnGraceMs: late tokens would bunch the writes).
 */
export function keptTurnAction(turn: WriteTurn, now: number, graceMs: number): "use" | "wait" | "reserve" {
  if (turn.at > now) return "wait";
  return now - turn.at <= graceMs ? "use" : "reserve";
}

/**
 * One GitHub write token per job (its JIT config POST) from the shared bucket of the job's App
 * (docs/performance.md, "GitHub write governor"):
 * - a job back at its reserved turn (`writeTurn`, kept on its ledger record) uses that token and
 *   registers with the App it was reserved on (`appOf` is updated; `apps` are the configured ones),
 *   with no call to the governor; one back early waits again for the same turn; a turn inside a wait
 *   GitHub asked for since the last batch (`blocks`) is given up and reserved again, behind the wait;
 * - the others reserve, one request per App for the batch: tokens due now launch, later turns wait on
 *   the queue and keep their turn, instead of sleeping inside the invocation or asking again later.
 * A store failure lets one job per App through and sends the rest back for one bucket refill: a stuck
 * table must not stop every launch, nor let a burst through unpaced.
 */
export async function takeWriteTokens(
  jobs: readonly Claimed[],
  appOf: Map<string, number>,
  apps: readonly number[],
  governor: WriteGovernor,
  now: Date,
  blocks: readonly WriteBlock[] = [],
): Promise<WriteGateResult> {
  const at = now.getTime();
  const grace = turnGraceMs(governor.settings);
  const allowedIds = new Set<string>();
  const waiting: WaitingForWrite[] = [];
  const waitFor = (job: Claimed, turn: WriteTurn | undefined, until: number): void => {
    waiting.push({ job, waitSeconds: Math.max(1, Math.ceil((until - at) / 1000)), ...(turn === undefined ? {} : { turn }) });
  };
  const fresh = new Map<number, Claimed[]>();
  for (const job of jobs) {
    // A turn on an App no longer configured is given up, and so is one inside a wait GitHub just asked for.
    const kept = job.writeTurn;
    const blocked = kept !== undefined && blocks.some((block) => block.appId === kept.appId && block.until > kept.at);
    const turn = kept !== undefined && apps.includes(kept.appId) && !blocked ? kept : undefined;
    const action = turn === undefined ? "reserve" : keptTurnAction(turn, at, grace);
    if (action === "wait") waitFor(job, turn, (turn as WriteTurn).at);
    else if (action === "use") {
      appOf.set(job.recordId, (turn as WriteTurn).appId);
      allowedIds.add(job.recordId);
    } else {
      const appId = appOf.get(job.recordId) as number;
      fresh.set(appId, [...(fresh.get(appId) ?? []), job]);
    }
  }
  await Promise.all(
    [...fresh].map(async ([appId, appJobs]) => {
      try {
        const turns = await governor.reserve(appId, appJobs.length, at);
        appJobs.forEach((job, index) => {
          const turnAt = turns[index] as number;
          if (turnAt <= at) allowedIds.add(job.recordId);
          else waitFor(job, { appId, at: turnAt }, turnAt);
        });
      } catch (error) {
        log.warn("write governor unavailable; one launch per App for this batch", { error, appId });
        const [first, ...rest] = appJobs;
        if (first !== undefined) allowedIds.add(first.recordId);
        for (const job of rest) waitFor(job, undefined, at + governor.settings.burst * interval(governor.settings));
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

/** Gives a job back to the queue for `waitSeconds`, keeping its reserved turn (if any) in the ledger. */
export type GiveBackForWrite = (job: Claimed, kind: "write-rate", reason: string, waitSeconds: number, turn?: WriteTurn) => Promise<void>;

/**
 * Scale-up's one call into the governor: first the waits GitHub asked for since the last batch go into
 * the shared buckets, then the batch takes its tokens; the jobs whose turn is later go back to the
 * queue ("write-rate" deferral) with their claims released and their turns kept. Resolves to the jobs
 * to launch.
 */
export async function governWrites(
  jobs: readonly Claimed[],
  appOf: Map<string, number>,
  apps: readonly number[],
  deps: WriteGateDeps,
  now: Date,
  giveBack: GiveBackForWrite,
): Promise<Claimed[]> {
  const governor = deps.writeGovernor;
  if (governor === undefined) return [...jobs];
  const blocks = deps.drainWriteBlocks?.() ?? [];
  await reportWriteBlocks(blocks, governor);
  if (jobs.length === 0) return [];
  const { allowed, waiting } = await takeWriteTokens(jobs, appOf, apps, governor, now, blocks);
  await Promise.all(waiting.map(({ job, waitSeconds, turn }) => giveBack(job, "write-rate", "GitHub write rate: waiting for its turn", waitSeconds, turn)));
  if (waiting.length > 0) log.info("jobs wait for GitHub write tokens", { waiting: waiting.length, allowed: allowed.length });
  return allowed;
}
