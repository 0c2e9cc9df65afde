import type { Ledger } from "./port.js";
import type { JobRecord } from "./types.js";

/**
 * Whether a job learnt to have run on a runner counts as interrupted: its runner got a spot warning
 * that GitHub refused to act on (the runner had just taken this job; issue 15), and the job is not
 * marked yet. Pure. Marking alone re-runs nothing: the reconciler re-runs an interrupted job only once
 * it has failed, so a job still running or one that succeeded is never re-run.
 */
export function interruptedByRunner(runnerWarnedAt: Date | undefined, job: Pick<JobRecord, "interrupted"> | undefined): boolean {
  return runnerWarnedAt !== undefined && job !== undefined && job.interrupted !== true;
}

/**
 * Carries a spot warning from a runner to the job it ran, once that job is known (`in_progress` or
 * `completed` naming the runner, from the webhook or the reconciler's job check). The spot handler
 * writes the runner's note and then reads its job pointer; this writes the job's runner pointer and then
 * reads the note, so of the two racing, at least one sees the other. Returns whether it marked the job.
 */
export async function carryRunnerInterruption(ledger: Ledger, key: string, runnerName: string | undefined, now: Date): Promise<boolean> {
  if (runnerName === undefined) return false;
  const warnedAt = await ledger.runnerInterruptedAt(runnerName);
  if (warnedAt === undefined) return false;
  if (!interruptedByRunner(warnedAt, await ledger.get(key))) return false;
  return ledger.markInterrupted(key, now);
}
