import { runnerName } from "../shared/index.js";
import type { InstanceView, RegistrationView } from "./decide.js";

/** One instance's EC2 status checks, as DescribeInstanceStatus reports them. */
export interface InstanceStatusView {
  readonly instanceId: string;
  /** `ok`, `impaired`, `initializing`, `insufficient-data` or `not-applicable`. */
  readonly instanceStatus: string;
  readonly systemStatus: string;
}

export interface ImpairedInput {
  readonly instances: readonly InstanceView[];
  readonly statuses: readonly InstanceStatusView[];
  /** Registrations per owner; an owner that is absent could not be listed, so its runners are left alone. */
  readonly registrations: ReadonlyMap<string, readonly RegistrationView[]>;
  readonly prefix: string;
  /** Runner names the ledger says run a job now: busy. */
  readonly runningOn: ReadonlySet<string>;
  /** Instances the round already stops for another reason. */
  readonly handled: ReadonlySet<string>;
}

export interface ImpairedDecision {
  /** Impaired instances without a registration: nothing runs on them. */
  readonly terminate: ReadonlyArray<{ readonly instanceId: string; readonly pool: string | undefined }>;
  /** Impaired runners registered but offline and not busy: deregister first, so GitHub refuses if one is on a job. */
  readonly deregisterThenTerminate: ReadonlyArray<{
    readonly owner: string;
    readonly installationId: number;
    readonly runnerId: number;
    readonly instanceId: string;
    readonly pool: string | undefined;
  }>;
  /** Impaired instances left alone: busy, or not vouched for (owner unknown, registrations unavailable). */
  readonly kept: readonly string[];
}

const IMPAIRED = "impaired";

/** Whether EC2 reports the instance or its host as impaired. */
export function isImpaired(status: InstanceStatusView): boolean {
  return status.instanceStatus === IMPAIRED || status.systemStatus === IMPAIRED;
}

/**
 * Which instances failing their EC2 status checks to replace. The busy rules are decide.ts's: a
 * runner GitHub reports busy or the ledger shows on a job is never touched, nor one whose
 * registrations could not be listed; and an online runner is left alone too, since its idleness
 * cannot be confirmed within one round.
 */
export function decideImpaired(input: ImpairedInput): ImpairedDecision {
  const impaired = new Set(input.statuses.filter(isImpaired).map((status) => status.instanceId));
  const terminate: Array<ImpairedDecision["terminate"][number]> = [];
  const deregisterThenTerminate: Array<ImpairedDecision["deregisterThenTerminate"][number]> = [];
  const kept: string[] = [];
  for (const instance of input.instances) {
    const { instanceId, owner, installationId, pool } = instance;
    if (!impaired.has(instanceId) || input.handled.has(instanceId)) continue;
    const registrations = owner === undefined ? undefined : input.registrations.get(owner);
    if (owner === undefined || installationId === undefined || registrations === undefined) {
      kept.push(instanceId);
      continue;
    }
    const name = runnerName(input.prefix, instanceId);
    const registration = registrations.find((r) => r.name === name);
    // Online and idle is not proof of idle: GitHub's busy flag lags a job start by up to a minute (the
    // reason decide.ts confirms idleness), and an impaired host that still reaches GitHub may be working.
    if (registration?.busy || registration?.status === "online" || input.runningOn.has(name)) kept.push(instanceId);
    else if (registration === undefined) terminate.push({ instanceId, pool });
    else deregisterThenTerminate.push({ owner, installationId, runnerId: registration.id, instanceId, pool });
  }
  return { terminate, deregisterThenTerminate, kept };
}
