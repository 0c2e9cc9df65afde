import type { Phase } from "../libs/ledger/phases.js";

/**
 * What to do on a spot interruption warning (two minutes before EC2 reclaims the instance). Pure.
 * - A runner running a job: mark the job interrupted. GitHub refuses to delete a busy runner, and the
 *   job fails when the instance goes; the reconciler re-runs failed interrupted jobs (if enabled).
 * - An idle runner: deregister it now so no job starts on a dying machine; if the job it was launched
 *   for still waits, relaunch that job at once instead of after the reconciler's grace period. A warm
 *   runner's synthetic job is not relaunched: nothing waits for it, and the reconciler tops the pool up.
 * - GitHub refuses to deregister a runner the ledger thinks idle (busy: it has just taken a job whose
 *   `in_progress` has not arrived): note the runner as interrupted, so that job, once known, is marked
 *   interrupted as in the mid-job case ({@link noteRunnerInterrupted}).
 */
export interface InterruptionFacts {
  /** The instance carries this deployment's prefix tag. */
  readonly ours: boolean;
  /** Ledger key of the job the runner runs (`in_progress` seen), if any. */
  readonly runningJob: string | undefined;
  /** The job the instance was launched for, with its phase and instance as the ledger holds them. */
  readonly launchedFor:
    | { readonly key: string; readonly phase: Phase; readonly instanceId: string | undefined; readonly warm?: boolean }
    | undefined;
  /** The runner's registration id, when the runners table still has it. */
  readonly runnerId: number | undefined;
}

export interface InterruptionPlan {
  readonly markInterrupted: string | undefined;
  readonly deregister: boolean;
  /** Relaunch this job if the deregistration succeeds (the runner had not taken a job). */
  readonly relaunchIfIdle: string | undefined;
}

export function planInterruption(facts: InterruptionFacts, instanceId: string): InterruptionPlan {
  if (!facts.ours) return { markInterrupted: undefined, deregister: false, relaunchIfIdle: undefined };
  const launchedFor = facts.launchedFor;
  const waiting = launchedFor !== undefined && launchedFor.warm !== true && launchedFor.phase === "launched" && launchedFor.instanceId === instanceId;
  return {
    markInterrupted: facts.runningJob,
    deregister: facts.runnerId !== undefined,
    relaunchIfIdle: facts.runningJob === undefined && waiting ? launchedFor.key : undefined,
  };
}

/**
 * Whether to note the runner itself as interrupted: GitHub said it is busy, so it runs a job right now,
 * but the ledger does not know which. Only "busy": a runner GitHub no longer knows may have finished a
 * job that failed on its own, which must not be re-run.
 */
export function noteRunnerInterrupted(plan: InterruptionPlan, deregistered: "deleted" | "not-found" | "busy" | "skipped"): boolean {
  return plan.markInterrupted === undefined && deregistered === "busy";
}
