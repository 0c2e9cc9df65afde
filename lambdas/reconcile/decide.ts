import { instanceIdFromRunnerName, runnerName } from "../shared/index.js";

/** A runner instance as DescribeInstances shows it, with its self-runners tags. */
export interface InstanceView {
  readonly instanceId: string;
  /** pending, running, stopping or stopped. */
  readonly state: string;
  readonly launchTime: Date;
  readonly pool: string | undefined;
  readonly owner: string | undefined;
  readonly installationId: number | undefined;
  /** The job scale-up launched the instance for, from its per-instance tags (log correlation only). */
  readonly job?: { readonly jobId: string | undefined; readonly deliveryId: string | undefined; readonly repository: string | undefined } | undefined;
  /** `IamInstanceProfile.Arn`; absent for an instance without a profile. */
  readonly instanceProfileArn?: string;
}

/**
 * How old a record is. A `createdAt` further ahead than the boot timeout is no clock skew but a forged or
 * broken item: it counts as infinitely old, so it neither vouches for a registration nor escapes clean-up
 * (issue 18, finding 7).
 */
export function recordAgeMs(record: Pick<RecordView, "createdAt">, nowMs: number, bootMs: number): number {
  const age = nowMs - record.createdAt.getTime();
  return age < -bootMs ? Number.POSITIVE_INFINITY : age;
}

/**
 * An instance is one of our runners only when it runs with a runner instance profile (the shared one or a
 * pool's own): anyone with ec2:CreateTags can copy our tags onto any instance, but attaching a profile
 * needs iam:PassRole for its role (issue 18, finding 3). Tags alone never make an instance ours.
 */
export function isOwnRunner(instance: Pick<InstanceView, "instanceProfileArn">, runnerInstanceProfileArns: readonly string[]): boolean {
  return instance.instanceProfileArn !== undefined && runnerInstanceProfileArns.includes(instance.instanceProfileArn);
}

export interface RegistrationView {
  readonly id: number;
  readonly name: string;
  /** `online` or `offline`. */
  readonly status: string;
  readonly busy: boolean;
}

/** A runners-table item, without its secret. */
export interface RecordView {
  readonly pk: string;
  readonly instanceId: string;
  readonly owner: string;
  readonly installationId: number;
  readonly createdAt: Date;
}

export interface DecideInput {
  readonly instances: readonly InstanceView[];
  /** Registrations per owner; an owner that is absent could not be listed and is left alone. */
  readonly registrations: ReadonlyMap<string, readonly RegistrationView[]>;
  readonly records: readonly RecordView[];
  readonly now: Date;
  readonly bootTimeoutSeconds: number;
  readonly idleTimeoutSeconds: number;
  readonly prefix: string;
  /**
   * When each instance was first seen idle (ledger `idle#` items). A runner is stopped only when it
   * still looks idle `busyConfirmSeconds` after that: GitHub's `busy` flag lags a job start by up to a
   * minute, so one idle sighting proves nothing.
   * @default none seen
   */
  readonly idleSeen?: ReadonlyMap<string, Date>;
  /** @default 0 (no confirmation window) */
  readonly busyConfirmSeconds?: number;
  /** Runner names the ledger says run a job now (`in_progress` seen, `completed` not yet): busy. */
  readonly runningOn?: ReadonlySet<string>;
  /**
   * Launches in progress in the ledger: instances of jobs launched within the boot timeout, and owners
   * with a live claim. Scale-up registers a runner (JIT config) before it records the launch and well
   * before its runner item: these vouch for a registration until then.
   * @default none
   */
  readonly launching?: { readonly instanceIds: ReadonlySet<string>; readonly owners: ReadonlySet<string> };
  /**
   * Owners of ledger jobs that launched an instance and hold none now (ledger-views.ts `jobOwners`). A
   * JIT POST whose answer never came back may have registered a name whose instance is gone: with no
   * live instance or runner item left for that owner, only these get its registrations listed.
   * @default none
   */
  readonly jobOwners?: ReadonlyArray<{ readonly owner: string; readonly installationId: number }>;
}

export type TerminateReason = "no-registration" | "stopped";
export type DeregisterReason = "idle" | "never-online" | "stopped";
export type KeepReason = "busy" | "booting" | "working" | "confirming" | "owner-unknown" | "registrations-unavailable";

export interface Decision {
  /** Instances without a registration: nothing can be running on them. */
  readonly terminate: ReadonlyArray<{ readonly instanceId: string; readonly reason: TerminateReason }>;
  /** Our registrations whose instance is gone. */
  readonly deleteRegistrations: ReadonlyArray<{
    readonly owner: string;
    readonly installationId: number;
    readonly runnerId: number;
    readonly runnerName: string;
  }>;
  /**
   * Runners to stop: delete the registration first and terminate only if GitHub agreed. GitHub refuses
   * (422) to delete a runner that runs a job, which makes "never kill a busy runner" hold even when
   * the runner picks a job between listing and acting.
   */
  readonly deregisterThenTerminate: ReadonlyArray<{
    readonly owner: string;
    readonly installationId: number;
    readonly runnerId: number;
    readonly instanceId: string;
    readonly reason: DeregisterReason;
  }>;
  readonly deleteRecords: ReadonlyArray<{ readonly pk: string; readonly instanceId: string }>;
  /** Instances deliberately left alone, for the summary. */
  readonly keep: ReadonlyArray<{ readonly instanceId: string; readonly reason: KeepReason }>;
  /** Instances seen idle for the first time: remember when, and look again after the window. */
  readonly markIdle: readonly string[];
  /** Instances remembered idle that are busy (or gone) now: forget the sighting. */
  readonly clearIdle: readonly string[];
}

const STOPPED_STATES = new Set(["stopping", "stopped"]);

/** Owners whose registrations must be listed, with the installation to list them through. */
export function ownersToQuery(
  instances: readonly InstanceView[],
  records: readonly RecordView[],
  jobOwners: DecideInput["jobOwners"] = [],
): Map<string, number> {
  const owners = new Map<string, number>();
  for (const instance of instances) {
    if (instance.owner !== undefined && instance.installationId !== undefined && !owners.has(instance.owner)) {
      owners.set(instance.owner, instance.installationId);
    }
  }
  for (const record of records) if (!owners.has(record.owner)) owners.set(record.owner, record.installationId);
  for (const job of jobOwners) if (!owners.has(job.owner)) owners.set(job.owner, job.installationId);
  return owners;
}

/** What the reconciler does this round. Pure: every input is data, every output a decision. */
export function decide(input: DecideInput): Decision {
  const bootMs = input.bootTimeoutSeconds * 1000;
  const idleMs = input.idleTimeoutSeconds * 1000;
  const now = input.now.getTime();
  const terminate: Array<Decision["terminate"][number]> = [];
  const deregisterThenTerminate: Array<Decision["deregisterThenTerminate"][number]> = [];
  const deleteRegistrations: Array<Decision["deleteRegistrations"][number]> = [];
  const keep: Array<Decision["keep"][number]> = [];
  const markIdle: string[] = [];
  const clearIdle: string[] = [];
  const idleSeen = input.idleSeen ?? new Map<string, Date>();
  const confirmMs = (input.busyConfirmSeconds ?? 0) * 1000;
  const runningOn = input.runningOn ?? new Set<string>();
  const liveInstanceIds = new Set(input.instances.map((instance) => instance.instanceId));
  const installations = ownersToQuery(input.instances, input.records, input.jobOwners);
  // Indexed once: a lookup per instance over the owner's list was quadratic (1.6 s for 5,000 runners).
  const registrationsByName = new Map(
    [...input.registrations].map(([owner, list]) => [owner, new Map(list.map((registration) => [registration.name, registration]))] as const),
  );

  for (const instance of input.instances) {
    const { instanceId, owner, installationId } = instance;
    if (owner === undefined || installationId === undefined) {
      // Tags are set atomically at launch; an instance without them is not something we can vouch for.
      keep.push({ instanceId, reason: "owner-unknown" });
      continue;
    }
    const byName = registrationsByName.get(owner);
    if (byName === undefined) {
      keep.push({ instanceId, reason: "registrations-unavailable" });
      continue;
    }
    const name = runnerName(input.prefix, instanceId);
    const registration = byName.get(name);
    const age = now - instance.launchTime.getTime();
    if (registration?.busy || runningOn.has(name)) {
      keep.push({ instanceId, reason: "busy" });
      if (idleSeen.has(instanceId)) clearIdle.push(instanceId);
      continue;
    }
    const stopped = STOPPED_STATES.has(instance.state);
    if (registration === undefined) {
      // Within the boot timeout a missing registration is listing lag, not an orphan.
      if (stopped) terminate.push({ instanceId, reason: "stopped" });
      else if (age > bootMs) terminate.push({ instanceId, reason: "no-registration" });
      else keep.push({ instanceId, reason: "booting" });
      continue;
    }
    const stop = (reason: DeregisterReason): void => {
      deregisterThenTerminate.push({ owner, installationId, runnerId: registration.id, instanceId, reason });
    };
    // Looks idle now; stop it only if it looked idle a whole confirmation window ago as well.
    const stopIfConfirmed = (reason: DeregisterReason): void => {
      const seen = idleSeen.get(instanceId);
      if (confirmMs <= 0 || (seen !== undefined && now - seen.getTime() >= confirmMs)) stop(reason);
      else {
        keep.push({ instanceId, reason: "confirming" });
        if (seen === undefined) markIdle.push(instanceId);
      }
    };
    if (stopped) stop("stopped");
    else if (registration.status !== "online" && age > bootMs) stopIfConfirmed("never-online");
    else if (age > bootMs + idleMs) stopIfConfirmed("idle");
    else {
      keep.push({ instanceId, reason: registration.status === "online" ? "working" : "booting" });
      if (idleSeen.has(instanceId)) clearIdle.push(instanceId);
    }
  }
  for (const instanceId of idleSeen.keys()) if (!liveInstanceIds.has(instanceId)) clearIdle.push(instanceId);

  // Records younger than the boot timeout vouch for instances DescribeInstances may not show yet.
  const freshRecords = new Set(
    input.records.filter((record) => recordAgeMs(record, now, bootMs) <= bootMs).map((record) => record.instanceId),
  );
  for (const [owner, registrations] of input.registrations) {
    const installationId = installations.get(owner);
    if (installationId === undefined) continue;
    for (const registration of registrations) {
      const instanceId = instanceIdFromRunnerName(input.prefix, registration.name);
      if (instanceId === undefined || registration.busy || runningOn.has(registration.name)) continue;
      if (liveInstanceIds.has(instanceId) || freshRecords.has(instanceId)) continue;
      if (input.launching?.instanceIds.has(instanceId) === true || input.launching?.owners.has(owner) === true) continue;
      deleteRegistrations.push({ owner, installationId, runnerId: registration.id, runnerName: registration.name });
    }
  }

  const deleteRecords = input.records
    .filter((record) => !liveInstanceIds.has(record.instanceId) && recordAgeMs(record, now, bootMs) > bootMs)
    .map((record) => ({ pk: record.pk, instanceId: record.instanceId }));

  return { terminate, deleteRegistrations, deregisterThenTerminate, deleteRecords, keep, markIdle, clearIdle };
}
