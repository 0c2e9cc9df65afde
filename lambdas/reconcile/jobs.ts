import { limitKeys } from "../libs/ledger/phases.js";
import type { Phase } from "../libs/ledger/phases.js";

/**
 * The reconciler's decisions about jobs (docs/reliability.md), pure like decide.ts: which limit slots
 * to free, what the counters should read, which jobs to check at GitHub for a relaunch or a requeue,
 * and which interrupted jobs to re-run.
 */

/** A ledger job as the reconciler needs it. */
export interface JobView {
  readonly key: string;
  /** Warm-pool runners' synthetic jobs are never checked at GitHub. */
  readonly warm: boolean;
  readonly phase: Phase;
  readonly jobId: number;
  readonly repository: string | undefined;
  readonly installationId: number | undefined;
  readonly pool: string | undefined;
  readonly scopeOwner: string | undefined;
  readonly instanceId: string | undefined;
  readonly runnerName: string | undefined;
  readonly slotHeld: boolean;
  /** Epoch ms of the claim's lease end, while `launching`. */
  readonly claimExpiresAt: number | undefined;
  readonly launchedAt: Date | undefined;
  readonly updatedAt: Date;
  readonly ranOn: string | undefined;
  readonly interrupted: boolean;
  readonly rerunRequested: boolean;
}

/** A live instance as the job decisions need it. */
export interface LiveRunner {
  readonly instanceId: string;
  readonly pool: string | undefined;
  readonly owner: string | undefined;
  readonly runnerName: string;
  /** Busy at GitHub or running a job per the ledger. */
  readonly busy: boolean;
  readonly stopped: boolean;
}

export interface JobsInput {
  readonly jobs: readonly JobView[];
  readonly runners: readonly LiveRunner[];
  /** Counter values read before the ledger scan. */
  readonly counters: ReadonlyMap<string, number>;
  readonly now: Date;
  /** A launched job whose runner is gone or took another job waits this long before it is checked. */
  readonly relaunchGraceSeconds: number;
  /** A `received` job untouched this long has lost its queue message (scale-up touches waiting jobs more often). */
  readonly requeueAfterSeconds: number;
  /** Instances younger than this may not show in DescribeInstances yet; their slots are kept. */
  readonly instanceListingLagSeconds: number;
  readonly draining: boolean;
  readonly rerunInterrupted: boolean;
  /** GitHub calls this round may spend on job checks. */
  readonly maxJobChecks: number;
}

export interface JobCheck {
  readonly key: string;
  readonly jobId: number;
  readonly repository: string;
  readonly installationId: number;
  readonly instanceId: string | undefined;
  readonly reason: string;
}

export interface JobsDecision {
  /** Jobs holding a slot for an instance that is gone. */
  readonly releaseSlots: ReadonlyArray<{ readonly key: string; readonly instanceId: string; readonly pool: string; readonly owner: string }>;
  /** Counters outside the units surely held and those plus live claims: set only if unchanged since read. */
  readonly recount: ReadonlyArray<{ readonly key: string; readonly observed: number; readonly actual: number }>;
  /** Launched jobs without a usable runner: relaunch if GitHub still has them queued. */
  readonly relaunchChecks: readonly JobCheck[];
  /** Received jobs whose queue message is lost: queue again if GitHub still has them queued. */
  readonly requeueChecks: readonly JobCheck[];
  /** Failed jobs whose runner was a reclaimed spot instance. */
  readonly reruns: readonly JobCheck[];
}

export function decideJobs(input: JobsInput): JobsDecision {
  const now = input.now.getTime();
  const live = new Map(input.runners.map((runner) => [runner.instanceId, runner]));
  const lagMs = input.instanceListingLagSeconds * 1000;
  const releaseSlots: Array<JobsDecision["releaseSlots"][number]> = [];
  // Units that surely are held, and units that may be: a live claim holds its slot only once its
  // invocation's reservation went through, which the ledger does not record.
  const held = new Map<string, number>();
  const claimed = new Map<string, number>();
  const add = (into: Map<string, number>, pool: string, owner: string): void => {
    for (const key of Object.values(limitKeys(pool, owner))) into.set(key, (into.get(key) ?? 0) + 1);
  };

  // A counter counts runner instances launched and not yet gone, whatever job they run: every listed
  // instance holds its unit. The ledger adds what EC2 cannot list yet. Counting slot-holding jobs
  // instead undercounted an instance whose launch job was relaunched because its runner took another
  // job (the relaunch clears the job's slot while the instance still runs), and the repaired counter
  // let launches exceed the limit.
  for (const runner of input.runners) if (runner.pool !== undefined && runner.owner !== undefined) add(held, runner.pool, runner.owner);
  for (const job of input.jobs) {
    if (job.pool === undefined || job.scopeOwner === undefined) continue;
    const listed = job.instanceId !== undefined && live.has(job.instanceId);
    if (job.slotHeld && job.instanceId !== undefined) {
      const launchedAt = job.launchedAt?.getTime() ?? 0;
      if (!listed && now - launchedAt > lagMs) {
        releaseSlots.push({ key: job.key, instanceId: job.instanceId, pool: job.pool, owner: job.scopeOwner });
        continue;
      }
      // Launched too recently to be listed.
      if (!listed) add(held, job.pool, job.scopeOwner);
    } else if (job.phase === "launching" && (job.claimExpiresAt ?? 0) > now && !listed) {
      // Claimed by an invocation that is launching right now: reserved, or about to try.
      add(claimed, job.pool, job.scopeOwner);
    }
  }
  // The counter is right anywhere from the units surely held to those plus every live claim; only a
  // value outside that range is drift, set back to the nearest end. Raising it to count every claim
  // (found by the interleaved fault world) took units for claims whose reservation then failed: the
  // counter read 4 under a limit of 3 with one instance live, and launches stalled until the next run.
  // A claim that reserves after the counters were read changes the counter, so the recount is refused.
  const recount: Array<JobsDecision["recount"][number]> = [];
  for (const [key, observed] of input.counters) {
    const least = held.get(key) ?? 0;
    const most = least + (claimed.get(key) ?? 0);
    if (observed < least) recount.push({ key, observed, actual: least });
    else if (observed > most) recount.push({ key, observed, actual: most });
  }

  // Relaunch: per pool and owner, only as many jobs as spare runners cannot serve.
  const graceMs = input.relaunchGraceSeconds * 1000;
  const checkable = (job: JobView): job is JobView & { repository: string; installationId: number } =>
    !job.warm && job.repository !== undefined && job.installationId !== undefined;
  const byGroup = new Map<string, { candidates: JobView[]; waiting: number; spare: number }>();
  const group = (pool: string, owner: string) => {
    const key = JSON.stringify([pool, owner]);
    let entry = byGroup.get(key);
    if (entry === undefined) {
      entry = { candidates: [], waiting: 0, spare: 0 };
      byGroup.set(key, entry);
    }
    return entry;
  };
  for (const runner of input.runners) {
    if (runner.pool !== undefined && runner.owner !== undefined && !runner.busy && !runner.stopped) group(runner.pool, runner.owner).spare += 1;
  }
  for (const job of input.jobs) {
    if (job.phase !== "launched" || job.pool === undefined || job.scopeOwner === undefined || !checkable(job)) continue;
    const entry = group(job.pool, job.scopeOwner);
    const runner = job.instanceId === undefined ? undefined : live.get(job.instanceId);
    const old = now - (job.launchedAt?.getTime() ?? now) > graceMs;
    const runnerLost = runner === undefined || runner.busy || runner.stopped;
    if (old && runnerLost) entry.candidates.push(job);
    else entry.waiting += 1;
  }
  const relaunchChecks: JobCheck[] = [];
  for (const entry of byGroup.values()) {
    // Spare runners first serve the jobs whose own runner is still coming; the rest may serve candidates.
    const spareForCandidates = Math.max(0, entry.spare - entry.waiting);
    const needed = Math.max(0, entry.candidates.length - spareForCandidates);
    const oldestFirst = [...entry.candidates].sort((a, b) => (a.launchedAt?.getTime() ?? 0) - (b.launchedAt?.getTime() ?? 0));
    for (const job of oldestFirst.slice(0, needed)) {
      if (!checkable(job)) continue;
      const runner = job.instanceId === undefined ? undefined : live.get(job.instanceId);
      relaunchChecks.push({
        key: job.key,
        jobId: job.jobId,
        repository: job.repository,
        installationId: job.installationId,
        instanceId: job.instanceId,
        reason: runner === undefined ? "runner instance is gone" : runner.stopped ? "runner instance is stopped" : "runner took another job",
      });
    }
  }

  const requeueChecks: JobCheck[] = [];
  if (!input.draining) {
    for (const job of input.jobs) {
      if (job.phase !== "received" || !checkable(job)) continue;
      if (now - job.updatedAt.getTime() <= input.requeueAfterSeconds * 1000) continue;
      requeueChecks.push({ key: job.key, jobId: job.jobId, repository: job.repository, installationId: job.installationId, instanceId: undefined, reason: "queue message lost" });
    }
  }

  const reruns: JobCheck[] = [];
  if (input.rerunInterrupted) {
    for (const job of input.jobs) {
      if (job.phase !== "failed" || !job.interrupted || job.rerunRequested || !checkable(job)) continue;
      reruns.push({ key: job.key, jobId: job.jobId, repository: job.repository, installationId: job.installationId, instanceId: job.instanceId, reason: "runner was a reclaimed spot instance" });
    }
  }

  // GitHub calls are bounded per round; re-runs first (a person is waiting on a red build), then relaunches.
  let budget = input.maxJobChecks;
  const take = <T>(list: readonly T[]): T[] => {
    const taken = list.slice(0, Math.max(0, budget));
    budget -= taken.length;
    return taken;
  };
  const rerunsTaken = take(reruns);
  const relaunchTaken = take(relaunchChecks);
  const requeueTaken = take(requeueChecks);
  return { releaseSlots, recount, relaunchChecks: relaunchTaken, requeueChecks: requeueTaken, reruns: rerunsTaken };
}
