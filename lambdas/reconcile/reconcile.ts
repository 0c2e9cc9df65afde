import { MetricUnit, RegistrationsUnavailableError, childLogger, jobGroupId, metrics, runnerName } from "../shared/index.js";
import type { JobMessage, WorkflowJobState } from "../shared/index.js";
import type { LimitCounters } from "../libs/ledger/port.js";
import type { JobRecord, LedgerSnapshot } from "../libs/ledger/types.js";
import type { Ledger } from "../libs/ledger/port.js";
import { finishedPhase, limitKeys } from "../libs/ledger/phases.js";
import { messageFromRecord, relaunchDeduplicationId } from "../libs/ledger/requeue.js";
import { decideJobs } from "./jobs.js";
import { warmShortfalls } from "./warm.js";
import type { WarmPool } from "./warm.js";
import type { JobCheck, JobView, LiveRunner } from "./jobs.js";
import type { InstanceInventory } from "./adapters/ec2.js";
import type { RunnerDirectory } from "./adapters/github.js";
import type { RunnerRecords } from "./adapters/table.js";
import { decide, ownersToQuery } from "./decide.js";
import type { RegistrationView } from "./decide.js";

const log = childLogger("reconcile");

export interface ReconcileDeps {
  readonly prefix: string;
  readonly bootTimeoutSeconds: number;
  readonly idleTimeoutSeconds: number;
  readonly inventory: InstanceInventory;
  readonly directory: RunnerDirectory;
  readonly records: RunnerRecords;
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
  readonly busyConfirmSeconds: number;
  readonly relaunchGraceSeconds: number;
  readonly requeueAfterSeconds: number;
  readonly rerunInterrupted: boolean;
  readonly maxJobChecks: number;
  /** Warm pools by pool key (undefined: none). */
  readonly warmPools: Readonly<Record<string, WarmPool | undefined>>;
  readonly scope: "repo" | "org";
  /** The primary App's installation on an owner (looked up as the App, cached). */
  readonly installationFor: (owner: string) => Promise<number>;
}

export interface ReconcileSummary {
  readonly instances: number;
  readonly owners: number;
  readonly ownersUnavailable: number;
  readonly terminated: number;
  readonly registrationsDeleted: number;
  /** Runners GitHub refused to delete because they picked a job meanwhile; their instances live on. */
  readonly busyOnDelete: number;
  readonly recordsDeleted: number;
  readonly busyKept: number;
  /** Runners that looked idle once and wait for the confirmation window. */
  readonly confirming: number;
  readonly slotsReleased: number;
  readonly countersRepaired: number;
  readonly relaunched: number;
  readonly requeued: number;
  readonly rerun: number;
  readonly warmRequested: number;
  readonly errors: number;
}

/** One reconcile round: read EC2, the table and GitHub, decide, then act; failures of one action never stop the others. */
export async function reconcile(deps: ReconcileDeps): Promise<ReconcileSummary> {
  // Counters are read before the jobs so the recount can tell a concurrent reservation from drift.
  const counterKeys = [...(await deps.ledger.snapshot()).counters.keys()];
  const countersBefore = await deps.counters.read(counterKeys);
  const [instances, records, snapshot] = await Promise.all([deps.inventory.list(), deps.records.scan(), deps.ledger.snapshot()]);
  const owners = ownersToQuery(instances, records);
  let errors = 0;

  const registrations = new Map<string, RegistrationView[]>();
  await Promise.all(
    [...owners].map(async ([owner, installationId]) => {
      try {
        registrations.set(owner, await deps.directory.list(owner, installationId));
      } catch (error) {
        errors += 1;
        log.error("listing runners failed", { error: new RegistrationsUnavailableError(owner, { cause: error }), owner });
      }
    }),
  );

  const decision = decide({
    instances,
    registrations,
    records,
    now: deps.now(),
    bootTimeoutSeconds: deps.bootTimeoutSeconds,
    idleTimeoutSeconds: deps.idleTimeoutSeconds,
    prefix: deps.prefix,
    idleSeen: snapshot.idleSeen,
    busyConfirmSeconds: deps.busyConfirmSeconds,
    runningOn: runningOn(snapshot),
  });
  await Promise.all([
    ...decision.markIdle.map((instanceId) => deps.ledger.markIdleSeen(instanceId, deps.now())),
    ...decision.clearIdle.map((instanceId) => deps.ledger.clearIdleSeen(instanceId)),
  ]).catch((error: unknown) => {
    errors += 1;
    log.error("recording idle sightings failed", { error });
  });

  let registrationsDeleted = 0;
  let busyOnDelete = 0;
  const toTerminate = decision.terminate.map((item) => item.instanceId);
  await Promise.all([
    ...decision.deleteRegistrations.map(async (item) => {
      try {
        const result = await deps.directory.remove(item.owner, item.installationId, item.runnerId);
        if (result === "deleted") registrationsDeleted += 1;
        if (result === "busy") busyOnDelete += 1;
      } catch (error) {
        errors += 1;
        log.error("deleting registration failed", { error, owner: item.owner, runnerId: item.runnerId });
      }
    }),
    ...decision.deregisterThenTerminate.map(async (item) => {
      try {
        const result = await deps.directory.remove(item.owner, item.installationId, item.runnerId);
        if (result === "busy") {
          busyOnDelete += 1;
          log.info("runner became busy, kept", { instanceId: item.instanceId, runnerId: item.runnerId });
          return;
        }
        if (result === "deleted") registrationsDeleted += 1;
        // Deleted now or already gone: no job can start on the instance any more.
        toTerminate.push(item.instanceId);
      } catch (error) {
        errors += 1;
        log.error("deregistering runner failed", { error, instanceId: item.instanceId, runnerId: item.runnerId });
      }
    }),
  ]);

  let terminated = 0;
  if (toTerminate.length > 0) {
    try {
      await deps.inventory.terminate(toTerminate);
      terminated = toTerminate.length;
    } catch (error) {
      errors += 1;
      log.error("terminating instances failed", { error, instanceIds: toTerminate });
    }
  }

  let recordsDeleted = 0;
  for (const record of decision.deleteRecords) {
    try {
      await deps.records.remove(record.pk);
      recordsDeleted += 1;
    } catch (error) {
      errors += 1;
      log.error("deleting record failed", { error, pk: record.pk });
    }
  }

  const terminatedNow = new Set(terminated > 0 ? toTerminate : []);
  const jobResult = await reconcileJobs(deps, snapshot, countersBefore, instances.filter((i) => !terminatedNow.has(i.instanceId)), registrations);
  errors += jobResult.errors;

  const summary: ReconcileSummary = {
    instances: instances.length,
    owners: owners.size,
    ownersUnavailable: owners.size - registrations.size,
    terminated,
    registrationsDeleted,
    busyOnDelete,
    recordsDeleted,
    busyKept: decision.keep.filter((item) => item.reason === "busy").length,
    confirming: decision.keep.filter((item) => item.reason === "confirming").length,
    slotsReleased: jobResult.slotsReleased,
    countersRepaired: jobResult.countersRepaired,
    relaunched: jobResult.relaunched,
    requeued: jobResult.requeued,
    rerun: jobResult.rerun,
    warmRequested: jobResult.warmRequested,
    errors,
  };
  log.info("reconcile finished", {
    summary,
    terminate: decision.terminate,
    deregisterThenTerminate: decision.deregisterThenTerminate.map(({ instanceId, reason }) => ({ instanceId, reason })),
  });
  metrics.addMetric("InstancesTerminated", MetricUnit.Count, terminated);
  metrics.addMetric("RegistrationsDeleted", MetricUnit.Count, registrationsDeleted);
  metrics.addMetric("RunnersBusyOnDelete", MetricUnit.Count, busyOnDelete);
  metrics.addMetric("RecordsDeleted", MetricUnit.Count, recordsDeleted);
  metrics.addMetric("JobsRelaunched", MetricUnit.Count, jobResult.relaunched);
  metrics.addMetric("JobsRequeued", MetricUnit.Count, jobResult.requeued);
  metrics.addMetric("InterruptedJobsRerun", MetricUnit.Count, jobResult.rerun);
  metrics.addMetric("ReconcileErrors", MetricUnit.Count, errors);
  return summary;
}

/** Runner names the ledger says are running a job now. */
function runningOn(snapshot: LedgerSnapshot): Set<string> {
  return new Set(snapshot.jobs.flatMap((job) => (job.phase === "running" && job.ranOn !== undefined ? [job.ranOn] : [])));
}

function jobView(job: JobRecord): JobView {
  return {
    key: job.pk,
    warm: job.kind === "warm",
    phase: job.phase,
    jobId: job.jobId,
    repository: job.repository,
    installationId: job.installationId,
    pool: job.pool,
    scopeOwner: job.scopeOwner,
    instanceId: job.instanceId,
    runnerName: job.runnerName,
    slotHeld: job.slotHeld === true,
    claimExpiresAt: job.claimExpiresAt,
    launchedAt: job.launchedAt === undefined ? undefined : new Date(job.launchedAt),
    updatedAt: new Date(job.updatedAt ?? 0),
    ranOn: job.ranOn,
    interrupted: job.interrupted === true,
    rerunRequested: job.rerunRequested === true,
  };
}

/**
 * The ledger as source of truth next to EC2 and GitHub: frees slots of gone instances, repairs
 * counters, relaunches jobs whose runner is gone or took another job while GitHub still has them
 * queued, queues again jobs whose message was lost, and re-runs jobs failed by a spot interruption.
 */
async function reconcileJobs(
  deps: ReconcileDeps,
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
  let errors = 0;
  const attempt = async (what: string, fields: Record<string, unknown>, action: () => Promise<void>): Promise<void> => {
    try {
      await action();
    } catch (error) {
      errors += 1;
      log.error(what, { error, ...fields });
    }
  };
  const freeSlot = async (pool: string, owner: string): Promise<void> => {
    const keys = limitKeys(pool, owner);
    await Promise.all([deps.counters.release(keys.global, 1), deps.counters.release(keys.pool, 1), deps.counters.release(keys.owner, 1)]);
  };

  let slotsReleased = 0;
  for (const slot of decision.releaseSlots) {
    await attempt("releasing slot failed", { key: slot.key }, async () => {
      const released = await deps.ledger.releaseSlot(slot.key, slot.instanceId, now);
      if (released !== undefined) {
        await freeSlot(slot.pool, slot.owner);
        slotsReleased += 1;
        // A warm runner's synthetic job ends with its instance.
        if (released.kind === "warm") await deps.ledger.finish({ jobId: released.jobId, runAttempt: released.runAttempt, kind: "warm" }, "completed", "warm runner gone", now);
      }
    });
  }
  let countersRepaired = 0;
  // Slots just released were decremented already; recount only counters they did not touch.
  const touched = new Set(decision.releaseSlots.flatMap((slot) => Object.values(limitKeys(slot.pool, slot.owner))));
  for (const item of decision.recount) {
    if (touched.has(item.key)) continue;
    await attempt("recounting failed", { key: item.key }, async () => {
      if (await deps.counters.recount(item.key, item.observed, item.actual)) {
        countersRepaired += 1;
        log.warn("limit counter repaired", { key: item.key, was: item.observed, now: item.actual });
      }
    });
  }

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
    return state.status === "queued";
  };

  let relaunched = 0;
  for (const check of decision.relaunchChecks) {
    await attempt("relaunch check failed", { key: check.key }, async () => {
      if (!(await stillQueued(check))) return;
      const old = await deps.ledger.relaunch(check.key, check.instanceId ?? "", check.reason, now);
      if (old === undefined) return;
      const instanceGone = !runners.some((runner) => runner.instanceId === check.instanceId);
      if (old.slotHeld === true && instanceGone && old.pool !== undefined && old.scopeOwner !== undefined) await freeSlot(old.pool, old.scopeOwner);
      // GitHub said just now that the job is still queued: its age counts from here (requeue.ts).
      await requeue(old, relaunchDeduplicationId(old, (old.relaunches ?? 0) + 1), now);
      relaunched += 1;
      log.info("job relaunched", { key: check.key, reason: check.reason });
    });
  }
  let requeued = 0;
  for (const check of decision.requeueChecks) {
    await attempt("requeue check failed", { key: check.key }, async () => {
      if (!(await stillQueued(check))) return;
      const job = byKey.get(check.key) as JobRecord;
      await requeue(job, `${job.jobId}-${job.runAttempt}-q${Date.parse(job.updatedAt ?? "") || 0}`);
      await deps.ledger.noteRequeued(check.key, now);
      requeued += 1;
      log.warn("lost job queued again", { key: check.key });
    });
  }
  let rerun = 0;
  for (const check of decision.reruns) {
    await attempt("re-running interrupted job failed", { key: check.key }, async () => {
      // Marked first: a crash after the re-run must not re-run the job a second time.
      if (!(await deps.ledger.markRerunRequested(check.key, now))) return;
      await deps.jobs.rerun(check.installationId, check.repository, check.jobId);
      rerun += 1;
      log.info("interrupted job re-run", { key: check.key, jobId: check.jobId });
    });
  }
  // Warm pools: ask for the shortfall through the pool's queue (limits and ledger apply as usual).
  let warmRequested = 0;
  if (!draining) {
    const pendingWarm = snapshot.jobs.filter((job) => job.kind === "warm" && (job.phase === "received" || job.phase === "launching"));
    const counts = new Map<string, { pool: string; owner: string; ready: number; pending: number }>();
    const count = (pool: string, owner: string) => {
      const key = JSON.stringify([pool, owner]);
      let entry = counts.get(key);
      if (entry === undefined) counts.set(key, (entry = { pool, owner, ready: 0, pending: 0 }));
      return entry;
    };
    for (const runner of runners) if (runner.pool !== undefined && runner.owner !== undefined && !runner.busy && !runner.stopped) count(runner.pool, runner.owner).ready += 1;
    for (const job of pendingWarm) if (job.pool !== undefined && job.scopeOwner !== undefined) count(job.pool, job.scopeOwner).pending += 1;
    // Synthetic job ids, unique across the round's pools: warm ledger keys (warm#<id>) carry no pool.
    const base = Math.floor(now.getTime() / 1000) * 1000;
    let sequence = 0;
    for (const shortfall of warmShortfalls(deps.warmPools, [...counts.values()], now)) {
      await attempt("requesting warm runners failed", { pool: shortfall.pool }, async () => {
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
      });
    }
  }
  return { slotsReleased, countersRepaired, relaunched, requeued, rerun, warmRequested, errors };
}
