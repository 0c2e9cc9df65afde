import { MetricUnit, RegistrationsUnavailableError, childLogger, metrics } from "../shared/index.js";
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
  readonly errors: number;
}

/** One reconcile round: read EC2, the table and GitHub, decide, then act; failures of one action never stop the others. */
export async function reconcile(deps: ReconcileDeps): Promise<ReconcileSummary> {
  const [instances, records] = await Promise.all([deps.inventory.list(), deps.records.scan()]);
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

  const summary: ReconcileSummary = {
    instances: instances.length,
    owners: owners.size,
    ownersUnavailable: owners.size - registrations.size,
    terminated,
    registrationsDeleted,
    busyOnDelete,
    recordsDeleted,
    busyKept: decision.keep.filter((item) => item.reason === "busy").length,
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
  metrics.addMetric("ReconcileErrors", MetricUnit.Count, errors);
  return summary;
}
