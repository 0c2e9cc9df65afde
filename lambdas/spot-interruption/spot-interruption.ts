import { METRICS, UNKNOWN_DIMENSION_VALUE, childLogger, emitMetric, jobGroupId, runnerName, withCorrelation } from "../shared/index.js";
import type { DeleteRunnerResult } from "../shared/index.js";
import type { LimitCounters } from "../libs/ledger/port.js";
import type { Ledger } from "../libs/ledger/port.js";
import type { JobRecord } from "../libs/ledger/types.js";
import { limitKeys } from "../libs/ledger/phases.js";
import { messageFromRecord, relaunchDeduplicationId } from "../libs/ledger/requeue.js";
import { carryRunnerInterruption } from "../libs/ledger/interrupted-runner.js";
import { noteRunnerInterrupted, planInterruption } from "./interruption.js";

const log = childLogger("spot-interruption");

/** The instance's self-runners tags, or undefined when it is not ours (or already gone). */
export interface InstanceTags {
  readonly prefix: string | undefined;
  readonly owner: string | undefined;
  readonly installationId: number | undefined;
  /** The per-instance tags of scale-up (absent on instances launched before they existed). */
  readonly pool?: string | undefined;
  readonly jobId?: string | undefined;
  readonly deliveryId?: string | undefined;
  readonly repository?: string | undefined;
}

export interface SpotInterruptionDeps {
  readonly prefix: string;
  readonly describe: (instanceId: string) => Promise<InstanceTags | undefined>;
  /**
   * The registration id of the instance's runner, asked of GitHub by the runner's name under the owner
   * the instance was launched for; never read from the runner-writable table item (issue 18, finding 7).
   */
  readonly runnerIdOf: (instanceId: string, owner: string, installationId: number) => Promise<number | undefined>;
  readonly deregister: (owner: string, installationId: number, runnerId: number) => Promise<DeleteRunnerResult>;
  readonly ledger: Ledger;
  readonly counters: LimitCounters;
  readonly requeue: (pool: string, body: string, groupId: string, deduplicationId: string) => Promise<void>;
  readonly now: () => Date;
}

export interface InterruptionOutcome {
  readonly instanceId: string;
  readonly ours: boolean;
  readonly interruptedJob: string | undefined;
  readonly deregistered: DeleteRunnerResult | "skipped";
  readonly relaunched: string | undefined;
}

/** The GitHub registration id, when the instance names an owner and installation to ask. */
async function runnerIdOfTagged(instanceId: string, tags: InstanceTags, deps: SpotInterruptionDeps): Promise<number | undefined> {
  if (tags.owner === undefined || tags.installationId === undefined) return undefined;
  return deps.runnerIdOf(instanceId, tags.owner, tags.installationId);
}

/**
 * A runner pointer outlives its job: only a job still running on this runner counts. A finished one must
 * not be marked, or a job that failed on its own before the runner took the next would be re-run.
 */
function runsOn(job: JobRecord | undefined, name: string): job is JobRecord {
  return job?.phase === "running" && job.ranOn === name;
}

export async function handleInterruption(instanceId: string, deps: SpotInterruptionDeps): Promise<InterruptionOutcome> {
  return withCorrelation({ instanceId }, async () => {
    const tags = await deps.describe(instanceId);
    if (tags?.prefix !== deps.prefix) {
      log.info("not our instance");
      return { instanceId, ours: false, interruptedJob: undefined, deregistered: "skipped", relaunched: undefined };
    }
    const name = runnerName(deps.prefix, instanceId);
    const keys = { runnerName: name, pool: tags.pool, owner: tags.owner, jobId: tags.jobId, deliveryId: tags.deliveryId, repository: tags.repository };
    return withCorrelation(keys, () => handleOurInterruption(instanceId, tags, deps));
  });
}

async function handleOurInterruption(instanceId: string, tags: InstanceTags, deps: SpotInterruptionDeps): Promise<InterruptionOutcome> {
  const now = deps.now();
  const ours = true;
  emitMetric(METRICS.spotInterruptions, 1, { Pool: tags.pool ?? UNKNOWN_DIMENSION_VALUE });
  const name = runnerName(deps.prefix, instanceId);
  const [runningJob, launchedForKey, runnerId] = await Promise.all([deps.ledger.jobOfRunner(name), deps.ledger.jobOfInstance(instanceId), runnerIdOfTagged(instanceId, tags, deps)]);
  const launchedFor = launchedForKey === undefined ? undefined : await deps.ledger.get(launchedForKey);
  const running = runningJob === undefined ? undefined : await deps.ledger.get(runningJob);
  const plan = planInterruption(
    {
      ours,
      runningJob: runsOn(running, name) ? running.pk : undefined,
      launchedFor:
        launchedFor === undefined
          ? undefined
          : { key: launchedFor.pk, phase: launchedFor.phase, instanceId: launchedFor.instanceId, warm: launchedFor.kind === "warm" },
      runnerId,
    },
    instanceId,
  );
  if (plan.markInterrupted !== undefined) {
    await deps.ledger.markInterrupted(plan.markInterrupted, now);
    log.warn("job interrupted by spot reclaim", { instanceId, job: plan.markInterrupted });
  }
  let deregistered: DeleteRunnerResult | "skipped" = "skipped";
  if (plan.deregister && runnerId !== undefined && tags.owner !== undefined && tags.installationId !== undefined) {
    deregistered = await deps.deregister(tags.owner, tags.installationId, runnerId);
  }
  let interruptedJob = plan.markInterrupted;
  if (noteRunnerInterrupted(plan, deregistered)) {
    // Note first, then look for the job again: a concurrent `in_progress` writes the pointer, then reads the note.
    await deps.ledger.markRunnerInterrupted(name, now);
    const taken = await deps.ledger.jobOfRunner(name);
    if (taken !== undefined && runsOn(await deps.ledger.get(taken), name) && (await carryRunnerInterruption(deps.ledger, taken, name, now))) interruptedJob = taken;
    log.warn("busy runner interrupted by spot reclaim before its job was known", { instanceId, job: interruptedJob });
  }
  let relaunched: string | undefined;
  if (plan.relaunchIfIdle !== undefined && (deregistered === "deleted" || deregistered === "not-found")) {
    const old = await deps.ledger.relaunch(plan.relaunchIfIdle, instanceId, "spot interruption before the runner took a job", now);
    if (old !== undefined) {
      if (old.slotHeld === true && old.pool !== undefined && old.scopeOwner !== undefined) {
        const keys = limitKeys(old.pool, old.scopeOwner);
        await Promise.all([deps.counters.release(keys.global, 1), deps.counters.release(keys.pool, 1), deps.counters.release(keys.owner, 1)]);
      }
      const message = messageFromRecord(old, now);
      if (message !== undefined) {
        await deps.requeue(message.pool, JSON.stringify(message), jobGroupId(message), relaunchDeduplicationId(old, (old.relaunches ?? 0) + 1));
        relaunched = old.pk;
      }
    }
  }
  log.info("spot interruption handled", { instanceId, interruptedJob, deregistered, relaunched });
  return { instanceId, ours: true, interruptedJob, deregistered, relaunched };
}
