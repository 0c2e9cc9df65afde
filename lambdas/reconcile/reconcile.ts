import { METRICS, RegistrationsUnavailableError, childLogger, emitMetric, runnerName } from "../shared/index.js";
import type { Correlation } from "../shared/index.js";
import { reconcileJobs } from "./job-actions.js";
import { jobOwners, launchesInProgress, runningOn } from "./ledger-views.js";
import type { ReconcileJobsDeps } from "./job-actions.js";
import type { InstanceInventory } from "./adapters/ec2.js";
import type { RunnerDirectory } from "./adapters/github.js";
import type { RunnerRecords } from "./adapters/table.js";
import { decide, ownersToQuery } from "./decide.js";
import { execute } from "./execute.js";
import { emitFleetGauges, fleetGauges } from "./fleet-gauges.js";
import type { ActionFailure } from "./execute.js";
import type { RegistrationView } from "./decide.js";
import { decideImpaired, type ImpairedDecision } from "./health.js";
import { heal } from "./heal.js";
import type { HealDeps, HealSummary } from "./heal.js";

const log = childLogger("reconcile");

export interface ReconcileDeps extends ReconcileJobsDeps {
  readonly bootTimeoutSeconds: number;
  readonly idleTimeoutSeconds: number;
  readonly inventory: InstanceInventory;
  readonly directory: RunnerDirectory;
  readonly records: RunnerRecords;
  readonly busyConfirmSeconds: number;
  /** The webhook healer (heal.ts), run after the jobs; absent: not run. */
  readonly healer?: HealDeps;
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
  /** Runners failing their EC2 status checks, not on a job, terminated. */
  readonly impairedTerminated: number;
  readonly errors: number;
  /** The webhook healer's round, when it ran. */
  readonly healer?: HealSummary;
}

/** One reconcile round: read EC2, the table and GitHub, decide, then act; failures of one action never stop the others. */
export async function reconcile(deps: ReconcileDeps): Promise<ReconcileSummary> {
  // Counters are read before the jobs so the recount can tell a concurrent reservation from drift.
  const counterKeys = [...(await deps.ledger.snapshot()).counters.keys()];
  const countersBefore = await deps.counters.read(counterKeys);
  const [instances, firstRecords, firstSnapshot] = await Promise.all([deps.inventory.list(), deps.records.scan(), deps.ledger.snapshot()]);
  let [records, snapshot] = [firstRecords, firstSnapshot];
  const ownersOfJobs = jobOwners(firstSnapshot, deps.now());
  const owners = ownersToQuery(instances, records, ownersOfJobs);
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

  const decideOn = (): ReturnType<typeof decide> =>
    decide({
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
      launching: launchesInProgress(snapshot, deps.now(), deps.bootTimeoutSeconds),
      jobOwners: ownersOfJobs,
    });
  let decision = decideOn();
  if (decision.deleteRegistrations.length > 0) {
    // A runner registered after the reads above (scale-up registers it, then records the launch, then
    // writes its runner item) is vouched for only by reads made after the listing: read the table and
    // the ledger again before deleting a registration. Found by the interleaved fault world: a
    // registration made while this ran was deleted, and its runner booted to find it gone.
    [records, snapshot] = await Promise.all([deps.records.scan(), deps.ledger.snapshot()]);
    decision = decideOn();
  }
  const handled = new Set([...decision.terminate, ...decision.deregisterThenTerminate].map((item) => item.instanceId));
  const impaired = await checkHealth(deps, { instances, registrations, prefix: deps.prefix, runningOn: runningOn(snapshot), handled }).catch((error: unknown) => {
    errors += 1;
    log.error("reading instance status failed", { error });
    return NO_IMPAIRED;
  });
  await Promise.all([
    ...decision.markIdle.map((instanceId) => deps.ledger.markIdleSeen(instanceId, deps.now())),
    ...decision.clearIdle.map((instanceId) => deps.ledger.clearIdleSeen(instanceId)),
  ]).catch((error: unknown) => {
    errors += 1;
    log.error("recording idle sightings failed", { error });
  });

  // Decided actions on runners, performed by one executor (execute.ts): registrations first, all at
  // once; then one TerminateInstances for what is left to terminate; then stale records, in order.
  let registrationsDeleted = 0;
  let busyOnDelete = 0;
  let terminated = 0;
  let recordsDeleted = 0;
  const toTerminate = [...decision.terminate, ...impaired.terminate].map((item) => item.instanceId);
  const byId = new Map(instances.map((instance) => [instance.instanceId, instance]));
  const instanceCorrelation = (instanceId: string): Correlation => {
    const instance = byId.get(instanceId);
    const { jobId, deliveryId, repository } = instance?.job ?? {};
    return { instanceId, runnerName: runnerName(deps.prefix, instanceId), pool: instance?.pool, owner: instance?.owner, jobId, deliveryId, repository };
  };
  const perform = async (action: RunnerAction): Promise<void> => {
    switch (action.kind) {
      case "delete-registration": {
        const result = await deps.directory.remove(action.owner, action.installationId, action.runnerId);
        if (result === "deleted") registrationsDeleted += 1;
        if (result === "busy") busyOnDelete += 1;
        return;
      }
      case "deregister-then-terminate": {
        const result = await deps.directory.remove(action.owner, action.installationId, action.runnerId);
        if (result === "busy") {
          busyOnDelete += 1;
          log.info("runner became busy, kept", { instanceId: action.instanceId, runnerId: action.runnerId });
          return;
        }
        if (result === "deleted") registrationsDeleted += 1;
        // Deleted now or already gone: no job can start on the instance any more.
        toTerminate.push(action.instanceId);
        return;
      }
      case "terminate":
        await deps.inventory.terminate(action.instanceIds);
        terminated = action.instanceIds.length;
        return;
      case "delete-record":
        await deps.records.remove(action.pk);
        recordsDeleted += 1;
        return;
    }
  };
  const runnerErrors = [
    await execute<RunnerAction>(
      [
        ...decision.deleteRegistrations.map((item) => ({ kind: "delete-registration" as const, owner: item.owner, installationId: item.installationId, runnerId: item.runnerId })),
        ...[...decision.deregisterThenTerminate, ...impaired.deregisterThenTerminate].map((item) => ({ kind: "deregister-then-terminate" as const, owner: item.owner, installationId: item.installationId, runnerId: item.runnerId, instanceId: item.instanceId })),
      ],
      perform,
      runnerActionFailure,
      { mode: "parallel", log, correlation: (action) => (action.kind === "deregister-then-terminate" ? instanceCorrelation(action.instanceId) : {}) },
    ),
    toTerminate.length === 0 ? 0 : await execute<RunnerAction>([{ kind: "terminate", instanceIds: toTerminate }], perform, runnerActionFailure, { mode: "serial", log }),
    await execute<RunnerAction>(decision.deleteRecords.map((record) => ({ kind: "delete-record", pk: record.pk })), perform, runnerActionFailure, { mode: "serial", log }),
  ];
  errors += runnerErrors.reduce((sum, n) => sum + n, 0);

  const terminatedNow = new Set(terminated > 0 ? toTerminate : []);
  const impairedTerminated = countImpairedTerminated(impaired, terminatedNow);
  const jobResult = await reconcileJobs(deps, snapshot, countersBefore, instances.filter((i) => !terminatedNow.has(i.instanceId)), registrations);
  errors += jobResult.errors;
  // After the jobs: a job the healer queues now is not mistaken for a lost message by this round.
  const healed = deps.healer === undefined ? undefined : await heal(deps.healer);
  errors += healed?.errors ?? 0;

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
    impairedTerminated: [...impairedTerminated.values()].reduce((sum, n) => sum + n, 0),
    errors,
    ...(healed === undefined ? {} : { healer: healed }),
  };
  log.info("reconcile finished", {
    summary,
    terminate: decision.terminate,
    deregisterThenTerminate: decision.deregisterThenTerminate.map(({ instanceId, reason }) => ({ instanceId, reason })),
    impaired: { terminate: impaired.terminate, deregisterThenTerminate: impaired.deregisterThenTerminate.map(({ instanceId }) => instanceId), kept: impaired.kept },
  });
  for (const [pool, count] of impairedTerminated) emitMetric(METRICS.impairedRunnersTerminated, count, { Pool: pool });
  emitMetric(METRICS.instancesTerminated, terminated);
  emitMetric(METRICS.registrationsDeleted, registrationsDeleted);
  emitMetric(METRICS.runnersBusyOnDelete, busyOnDelete);
  emitMetric(METRICS.recordsDeleted, recordsDeleted);
  emitMetric(METRICS.jobsRelaunched, jobResult.relaunched);
  emitMetric(METRICS.jobsRequeued, jobResult.requeued);
  emitMetric(METRICS.interruptedJobsRerun, jobResult.rerun);
  emitMetric(METRICS.reconcileErrors, errors);
  // From the start of the run: instances terminated now still count as what the run found.
  emitFleetGauges(
    fleetGauges({ pools: Object.keys(deps.warmPools), jobs: snapshot.jobs, instances, registrations, runningOn: runningOn(snapshot), prefix: deps.prefix, now: deps.now() }),
  );
  return summary;
}

/** What the reconciler does to runners, decided before anything is done (decide.ts). */
type RunnerAction =
  | { readonly kind: "delete-registration"; readonly owner: string; readonly installationId: number; readonly runnerId: number }
  | { readonly kind: "deregister-then-terminate"; readonly owner: string; readonly installationId: number; readonly runnerId: number; readonly instanceId: string }
  | { readonly kind: "terminate"; readonly instanceIds: readonly string[] }
  | { readonly kind: "delete-record"; readonly pk: string };

function runnerActionFailure(action: RunnerAction): ActionFailure {
  switch (action.kind) {
    case "delete-registration":
      return { message: "deleting registration failed", fields: { owner: action.owner, runnerId: action.runnerId } };
    case "deregister-then-terminate":
      return { message: "deregistering runner failed", fields: { instanceId: action.instanceId, runnerId: action.runnerId } };
    case "terminate":
      return { message: "terminating instances failed", fields: { instanceIds: action.instanceIds } };
    case "delete-record":
      return { message: "deleting record failed", fields: { pk: action.pk } };
  }
}

const NO_IMPAIRED: ImpairedDecision = { terminate: [], deregisterThenTerminate: [], kept: [] };

/** Reads the EC2 status checks of the running instances (when the inventory can) and decides on the impaired ones (health.ts). */
async function checkHealth(deps: ReconcileDeps, input: Omit<Parameters<typeof decideImpaired>[0], "statuses">): Promise<ImpairedDecision> {
  const running = input.instances.filter((instance) => instance.state === "running").map((instance) => instance.instanceId);
  if (deps.inventory.statuses === undefined || running.length === 0) return NO_IMPAIRED;
  return decideImpaired({ ...input, statuses: await deps.inventory.statuses(running) });
}

/** Impaired instances terminated this round, by pool (`unknown` when the instance had no pool tag). */
function countImpairedTerminated(impaired: ImpairedDecision, terminated: ReadonlySet<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { instanceId, pool } of [...impaired.terminate, ...impaired.deregisterThenTerminate]) {
    if (!terminated.has(instanceId)) continue;
    const key = pool ?? "unknown";
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
