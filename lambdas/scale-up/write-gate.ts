import { childLogger } from "../shared/index.js";
import type { WriteBlock } from "../shared/index.js";
import { interval, turnGraceMs } from "../libs/governor/bucket.js";
import type { KeptTurn, WriteGovernor } from "../libs/governor/port.js";

const log = childLogger("scale-up");

/** A job's reserved GitHub write token: the App's bucket and the moment it is due (epoch ms). */
export type WriteTurn = KeptTurn;

/** A job at the gate: its SQS record, and the turn its message kept when it last waited (if any). */
export interface GateJob {
  readonly recordId: string;
  readonly writeTurn?: WriteTurn;
}

/** A job whose token's turn has not come yet. */
export interface WaitingForWrite<J extends GateJob = GateJob> {
  readonly job: J;
  readonly waitSeconds: number;
  /** The reserved turn the job keeps while it waits; absent when it must reserve again. */
  readonly turn?: WriteTurn;
}

/** A job with a token: its JIT POST may go at `writeAt` (epoch ms; absent: at once). */
export type Admitted<J extends GateJob> = J & { readonly writeAt?: number };

export interface WriteGateResult<J extends GateJob = GateJob> {
  /** Jobs whose JIT POST has a token: launch them now, in batch order. */
  readonly allowed: Admitted<J>[];
  readonly waiting: WaitingForWrite<J>[];
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
 * Whether a job whose turn is `turnAt` waits for it inside the invocation (at most `waitHereMs` away: a
 * few seconds of Lambda time, no call) or on the queue (a visibility change and a kept turn).
 */
export function waitsHere(turnAt: number, now: number, waitHereMs: number): boolean {
  return turnAt - now <= waitHereMs;
}

/**
 * One GitHub write token per job (its JIT config POST) from the shared bucket of the job's App
 * (docs/performance.md, "GitHub write governor"), asked before the job is claimed:
 * - a job back at its reserved turn (`writeTurn`, kept for its message) uses that token and
 *   registers with the App it was reserved on (`appOf` is updated; `apps` are the configured ones),
 *   with no call to the governor; one back early waits again for the same turn; a turn inside a wait
 *   GitHub asked for since the last batch (`blocks`) is given up and reserved again, behind the wait;
 * - the others reserve, one request per App for the batch: tokens due now launch, later turns wait on
 *   the queue and keep their turn, instead of sleeping inside the invocation or asking again later.
 * A store failure lets one job per App through and sends the rest back for one bucket refill: a stuck
 * table must not stop every launch, nor let a burst through unpaced.
 */
export async function takeWriteTokens<J extends GateJob>(
  jobs: readonly J[],
  appOf: Map<string, number>,
  apps: readonly number[],
  governor: WriteGovernor,
  now: Date,
  blocks: readonly WriteBlock[] = [],
  waitHereMs = 0,
  lines: ReadonlyMap<number, number> = new Map(),
): Promise<WriteGateResult<J>> {
  const at = now.getTime();
  const grace = turnGraceMs(governor.settings);
  /** Admitted jobs by record id, with the moment their JIT POST may go. */
  const allowedIds = new Map<string, number>();
  const waiting: WaitingForWrite<J>[] = [];
  const waitFor = (job: J, turn: WriteTurn | undefined, until: number): void => {
    waiting.push({ job, waitSeconds: Math.max(1, Math.ceil((until - at) / 1000)), ...(turn === undefined ? {} : { turn }) });
  };
  const fresh = new Map<number, J[]>();
  for (const job of jobs) {
    // A turn on an App no longer configured is given up, and so is one inside a wait GitHub just asked for.
    const kept = job.writeTurn;
    const blocked = kept !== undefined && blocks.some((block) => block.appId === kept.appId && block.until > kept.at);
    const turn = kept !== undefined && apps.includes(kept.appId) && !blocked ? kept : undefined;
    const action = turn === undefined ? "reserve" : keptTurnAction(turn, at, grace);
    if (action === "wait" && !waitsHere((turn as WriteTurn).at, at, waitHereMs)) waitFor(job, turn, (turn as WriteTurn).at);
    else if (action !== "reserve") {
      appOf.set(job.recordId, (turn as WriteTurn).appId);
      allowedIds.set(job.recordId, (turn as WriteTurn).at);
    } else {
      const appId = appOf.get(job.recordId) as number;
      fresh.set(appId, [...(fresh.get(appId) ?? []), job]);
    }
  }
  await Promise.all(
    [...fresh].map(async ([appId, appJobs]) => {
      try {
        const turns = await governor.reserve(appId, appJobs.length, at, lines.get(appId));
        appJobs.forEach((job, index) => {
          const turnAt = turns[index] as number;
          if (waitsHere(turnAt, at, waitHereMs)) allowedIds.set(job.recordId, turnAt);
          else waitFor(job, { appId, at: turnAt }, turnAt);
        });
      } catch (error) {
        log.warn("write governor unavailable; one launch per App for this batch", { error, appId });
        const [first, ...rest] = appJobs;
        if (first !== undefined) allowedIds.set(first.recordId, at);
        for (const job of rest) waitFor(job, undefined, at + governor.settings.burst * interval(governor.settings));
      }
    }),
  );
  const allowed = jobs.flatMap((job): Admitted<J>[] => {
    const writeAt = allowedIds.get(job.recordId);
    if (writeAt === undefined) return [];
    return [writeAt > at ? { ...job, writeAt } : job];
  });
  return { allowed, waiting };
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
 * Scale-up's one call into the governor, before any job is claimed: first the waits GitHub asked for
 * since the last batch go into the shared buckets, then the batch takes its tokens; the jobs whose turn
 * is at most `waitHereMs` away are admitted with it (`writeAt`: their JIT POST waits for it in the
 * invocation), those whose turn is later are handed to `wait` (a "write-rate" deferral: the message
 * comes back at its turn) and their turns are kept for their messages in one batched write. A waiting
 * job costs no claim and no release. Resolves to the jobs to claim and launch.
 */
export async function governWrites<J extends GateJob>(
  jobs: readonly J[],
  appOf: Map<string, number>,
  apps: readonly number[],
  deps: WriteGateDeps,
  now: Date,
  wait: (job: J, waitSeconds: number) => void,
  waitHereMs = 0,
  lines: ReadonlyMap<number, number> = new Map(),
): Promise<Admitted<J>[]> {
  const governor = deps.writeGovernor;
  if (governor === undefined) return [...jobs];
  const blocks = deps.drainWriteBlocks?.() ?? [];
  await reportWriteBlocks(blocks, governor);
  if (jobs.length === 0) return [];
  const { allowed, waiting } = await takeWriteTokens(jobs, appOf, apps, governor, now, blocks, waitHereMs, lines);
  for (const { job, waitSeconds } of waiting) wait(job, waitSeconds);
  const kept = new Map(waiting.flatMap(({ job, turn }) => (turn === undefined ? [] : [[job.recordId, turn] as const])));
  if (kept.size > 0) {
    // Written before the visibility changes that send the messages away; a crash in between or a failed
    // write only makes them reserve again when they come back.
    await governor.keepTurns(kept).catch((error: unknown) => log.warn("keeping write turns failed; those jobs reserve again", { error, waiting: kept.size }));
  }
  if (waiting.length > 0) log.info("jobs wait for GitHub write tokens", { waiting: waiting.length, allowed: allowed.length });
  return allowed;
}
