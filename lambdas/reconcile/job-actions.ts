import { childLogger, jobGroupId, runnerName } from "../shared/index.js";
import { carryRunnerInterruption } from "../libs/ledger/interrupted-runner.js";
import type { Correlation, JobMessage, RunnerScope, WorkflowJobState } from "../shared/index.js";
import type { LimitCounters, Ledger } from "../libs/ledger/port.js";
import type { JobRecord, LedgerSnapshot } from "../libs/ledger/types.js";
import { finishedPhase, limitKeys } from "../libs/ledger/phases.js";
import { messageFromRecord, relaunchDeduplicationId } from "../libs/ledger/requeue.js";
import { execute } from "./execute.js";
import type { ActionFailure } from "./execute.js";
import { decideJobs } from "./jobs.js";
import type { JobCheck, JobsDecision, LiveRunner } from "./jobs.js";
import { jobView, runningOn, warmCounts } from "./ledger-views.js";
import { warmShortfalls } from "./warm.js";
import type { WarmPool } from "./warm.js";

const log = childLogger("reconcile");

/** What the job half of the reconciler needs (reconcile.ts adds the runner half). */
export interface ReconcileJobsDeps {
  readonly prefix: string;
  readonly now: () => Date;
  readonly ledger: Ledger;
  readonly counters: LimitCounters;
  /** GitHub's view of single jobs (the few the reconciler doubts) and re-runs. */
  readonly jobs: {
    get(installationId: number, repository: string, jobId: number): Promise<WorkflowJobState>;
    rerun(installationId: number, repository: string, jobId: number): Promise<void>;
  };
  /** Queues a job message again; the queue URL by pool. */
  readonly requeue: (pool: string, body: string, groupId: string, deduplicationId: string) => Promise<void>;
  readonly isDraining: () => Promise<boolean>;
  readonly relaunchGraceSeconds: number;
  readonly requeueAfterSeconds: number;
  readonly rerunInterrupted: boolean;
  readonly maxJobChecks: number;
  /** Warm pools by pool key (undefined: none). */
  readonly warmPools: Readonly<Record<string, WarmPool | undefined>>;
  readonly scope: RunnerScope;
  /** The primary App's installation on an owner (looked up as the App, cached). */
  readonly installationFor: (owner: string) => Promise<number>;
}

/** What the reconciler does about jobs, decided before anything is done (jobs.ts, warm.ts). */
type JobAction =
  | { readonly kind: "release-slot"; readonly slot: JobsDecision["releaseSlots"][number] }
  | { readonly kind: "recount"; readonly item: JobsDecision["recount"][number] }
  | { readonly kind: "relaunch"; readonly check: JobCheck }
  | { readonly kind: "requeue"; readonly check: JobCheck }
  | { readonly kind: "rerun"; readonly check: JobCheck }
  | { readonly kind: "request-warm"; readonly shortfall: ReturnType<typeof warmShortfalls>[number] };

/** The job (and instance) a job action is about, for its log lines. */
function jobActionCorrelation(action: JobAction): Correlation {
  if (action.kind === "relaunch" || action.kind === "requeue" || action.kind === "rerun") {
    const { jobId, repository, instanceId } = action.check;
    return { jobId, repository, instanceId };
  }
  return {};
}

function jobActionFailure(action: JobAction): ActionFailure {
  switch (action.kind) {
    case "release-slot":
      return { message: "releasing slot failed", fields: { key: action.slot.key } };
    case "recount":
      return { message: "recounting failed", fields: { key: action.item.key } };
    case "relaunch":
      return { message: "relaunch check failed", fields: { key: action.check.key } };
    case "requeue":
      return { message: "requeue check failed", fields: { key: action.check.key } };
    case "rerun":
      return { message: "re-running interrupted job failed", fields: { key: action.check.key } };
    case "request-warm":
      return { message: "requesting warm runners failed", fields: { pool: action.shortfall.pool } };
  }
}

/**
 * The ledger as source of truth next to EC2 and GitHub: frees slots of gone instances, repairs
 * counters, relaunches jobs whose runner is gone or took another job while GitHub still has them
 * queued, queues again jobs whose message was lost, and re-runs jobs failed by a spot interruption.
 */
export async function reconcileJobs(
  deps: ReconcileJobsDeps,
  snapshot: LedgerSnapshot,
  countersBefore: ReadonlyMap<string, number>,
  instances: ReadonlyArray<{ instanceId: string; state: string; pool: string | undefined; owner: string | undefined }>,
  registrations: ReadonlyMap<string, ReadonlyArray<{ name: string; busy: boolean }>>,
): Promise<{ slotsReleased: number; countersRepaired: number; relaunched: number; requeued: number; rerun: number; warmRequested: number; errors: number }> {
  const now = deps.now();
  const running = runningOn(snapshot);
  const busyNames = new Set([...registrations.values()].flatMap((list) => list.filter((r) => r.busy).map((r) => r.name)));
  const runners: LiveRunner[] = instances.map((instance) => {
    const name = runnerName(deps.prefix, instance.instanceId);
    return {
      instanceId: instance.instanceId,
      pool: instance.pool,
      owner: instance.owner,
      runnerName: name,
      busy: busyNames.has(name) || running.has(name),
      stopped: instance.state === "stopping" || instance.state === "stopped",
    };
  });
  let draining = false;
  try {
    draining = await deps.isDraining();
  } catch (error) {
    // Unknown: assume draining, which only holds back requeues.
    draining = true;
    log.warn("reading the draining switch failed", { error });
  }
  const decision = decideJobs({
    jobs: snapshot.jobs.map(jobView),
    runners,
    counters: countersBefore,
    now,
    relaunchGraceSeconds: deps.relaunchGraceSeconds,
    requeueAfterSeconds: deps.requeueAfterSeconds,
    instanceListingLagSeconds: 120,
    draining,
    rerunInterrupted: deps.rerunInterrupted,
    maxJobChecks: deps.maxJobChecks,
  });
  const byKey = new Map(snapshot.jobs.map((job) => [job.pk, job]));
  const freeSlot = async (pool: string, owner: string): Promise<void> => {
    const keys = limitKeys(pool, owner);
    await Promise.all([deps.counters.release(keys.global, 1), deps.counters.release(keys.pool, 1), deps.counters.release(keys.owner, 1)]);
  };

  const requeue = async (job: JobRecord, deduplicationId: string, relaunchedAt?: Date): Promise<void> => {
    const message = messageFromRecord(job, relaunchedAt);
    if (message === undefined) throw new Error(`job ${job.pk} lacks the fields of a queue message`);
    await deps.requeue(message.pool, JSON.stringify(message), jobGroupId(message), deduplicationId);
  };
  /** Asks GitHub about a doubted job; records in the ledger what GitHub says when it is not queued. */
  const stillQueued = async (check: JobCheck): Promise<boolean> => {
    const job = byKey.get(check.key) as JobRecord;
    const state = await deps.jobs.get(check.installationId, check.repository, check.jobId);
    const facts = { jobId: job.jobId, runAttempt: job.runAttempt };
    if (state.status === "in_progress") await deps.ledger.start(facts, state.runnerName ?? undefined, now);
    if (state.status === "completed") await deps.ledger.finish(facts, finishedPhase(state.conclusion), state.conclusion ?? undefined, now);
    // Its runner may have had a spot warning before any webhook named the job (issue 15).
    if (state.status !== "queued") await carryRunnerInterruption(deps.ledger, job.pk, state.runnerName ?? undefined, now);
    return state.status === "queued";
  };
  // Warm pools: ask for the shortfall through the pool's queue (limits and ledger apply as usual).
  const shortfalls = draining ? [] : warmShortfalls(deps.warmPools, warmCounts(snapshot, runners), now);
  // Synthetic job ids, unique across the round's pools: warm ledger keys (warm#<id>) carry no pool.
  const base = Math.floor(now.getTime() / 1000) * 1000;
  let sequence = 0;

  let slotsReleased = 0;
  let countersRepaired = 0;
  let relaunched = 0;
  let requeued = 0;
  let rerun = 0;
  let warmRequested = 0;
  const perform = async (action: JobAction): Promise<void> => {
    switch (action.kind) {
      case "release-slot": {
        const { slot } = action;
        const released = await deps.ledger.releaseSlot(slot.key, slot.instanceId, now);
        if (released === undefined) return;
        await freeSlot(slot.pool, slot.owner);
        slotsReleased += 1;
        // A warm runner's synthetic job ends with its instance.
        if (released.kind === "warm") await deps.ledger.finish({ jobId: released.jobId, runAttempt: released.runAttempt, kind: "warm" }, "completed", "warm runner gone", now);
        return;
      }
      case "recount": {
        const { item } = action;
        if (await deps.counters.recount(item.key, item.observed, item.actual)) {
          countersRepaired += 1;
          log.warn("limit counter repaired", { key: item.key, was: item.observed, now: item.actual });
        }
        return;
      }
      case "relaunch": {
        const { check } = action;
        if (!(await stillQueued(check))) return;
        const old = await deps.ledger.relaunch(check.key, check.instanceId ?? "", check.reason, now);
        if (old === undefined) return;
        const instanceGone = !runners.some((runner) => runner.instanceId === check.instanceId);
        if (old.slotHeld === true && instanceGone && old.pool !== undefined && old.scopeOwner !== undefined) await freeSlot(old.pool, old.scopeOwner);
        // GitHub said just now that the job is still queued: its age counts from here (requeue.ts).
        await requeue(old, relaunchDeduplicationId(old, (old.relaunches ?? 0) + 1), now);
        relaunched += 1;
        log.info("job relaunched", { key: check.key, reason: check.reason });
        return;
      }
      case "requeue": {
        const { check } = action;
        if (!(await stillQueued(check))) return;
        const job = byKey.get(check.key) as JobRecord;
        await requeue(job, `${job.jobId}-${job.runAttempt}-q${Date.parse(job.updatedAt ?? "") || 0}`);
        await deps.ledger.noteRequeued(check.key, now);
        requeued += 1;
        log.warn("lost job queued again", { key: check.key });
        return;
      }
      case "rerun": {
        const { check } = action;
        // Marked first: a crash after the re-run must not re-run the job a second time.
        if (!(await deps.ledger.markRerunRequested(check.key, now))) return;
        await deps.jobs.rerun(check.installationId, check.repository, check.jobId);
        rerun += 1;
        log.info("interrupted job re-run", { key: check.key, jobId: check.jobId });
        return;
      }
      case "request-warm": {
        const { shortfall } = action;
        const installationId = await deps.installationFor(shortfall.owner);
        for (let i = 0; i < shortfall.count; i += 1) {
          const jobId = base + sequence++;
          const message: JobMessage = {
            version: 1,
            kind: "warm",
            deliveryId: "warm-pool",
            pool: shortfall.pool,
            jobId,
            runId: jobId,
            runAttempt: 1,
            repository: deps.scope === "repo" ? shortfall.owner : `${shortfall.owner}/*`,
            owner: shortfall.owner.split("/")[0] ?? shortfall.owner,
            installationId,
            labels: [],
            receivedAt: now.toISOString(),
          };
          await deps.requeue(shortfall.pool, JSON.stringify(message), jobGroupId(message), `warm-${shortfall.pool}-${message.jobId}`);
          warmRequested += 1;
        }
        return;
      }
    }
  };
  // Slots just released were decremented already; recount only counters they did not touch.
  const touched = new Set(decision.releaseSlots.flatMap((slot) => Object.values(limitKeys(slot.pool, slot.owner))));
  const actions: JobAction[] = [
    ...decision.releaseSlots.map((slot) => ({ kind: "release-slot" as const, slot })),
    ...decision.recount.filter((item) => !touched.has(item.key)).map((item) => ({ kind: "recount" as const, item })),
    ...decision.relaunchChecks.map((check) => ({ kind: "relaunch" as const, check })),
    ...decision.requeueChecks.map((check) => ({ kind: "requeue" as const, check })),
    ...decision.reruns.map((check) => ({ kind: "rerun" as const, check })),
    ...shortfalls.map((shortfall) => ({ kind: "request-warm" as const, shortfall })),
  ];
  // One after another, in this order: a relaunch must see the slots released before it.
  const errors = await execute(actions, perform, jobActionFailure, { mode: "serial", log, correlation: jobActionCorrelation });
  return { slotsReleased, countersRepaired, relaunched, requeued, rerun, warmRequested, errors };
}
