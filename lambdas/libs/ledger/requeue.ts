import type { JobMessage } from "../../shared/index.js";
import type { JobRecord } from "./types.js";

/**
 * The queue message that relaunches a job, rebuilt from its ledger record (undefined if facts are missing).
 * `relaunchedAt` is given for a relaunch: the job had a runner within its age, and that runner went to
 * another job (or away). Its age then counts from the relaunch. Counting from the original queue time
 * let expired jobs, which GitHub still has queued and hands to the next runner, push every job whose
 * runner they took past the maximum age as well.
 */
export function messageFromRecord(job: JobRecord, relaunchedAt?: Date): JobMessage | undefined {
  if (job.pool === undefined || job.repository === undefined || job.installationId === undefined || job.runId === undefined) return undefined;
  return {
    version: 1,
    deliveryId: job.deliveryIds?.[0] ?? "reconcile",
    pool: job.pool,
    jobId: job.jobId,
    runId: job.runId,
    runAttempt: job.runAttempt,
    repository: job.repository,
    owner: job.org ?? job.repository.split("/")[0] ?? "",
    installationId: job.installationId,
    labels: [...(job.labels ?? [])],
    // Otherwise the original time: the maximum job age counts from when GitHub queued the job.
    receivedAt: relaunchedAt?.toISOString() ?? job.receivedAt ?? new Date(0).toISOString(),
    ...(job.kind === "warm" ? { kind: "warm" as const } : {}),
  };
}

/** Deduplication id of the n-th relaunch: distinct from the webhook's `<jobId>-<runAttempt>`. */
export function relaunchDeduplicationId(job: Pick<JobRecord, "jobId" | "runAttempt">, relaunch: number): string {
  return `${job.jobId}-${job.runAttempt}-r${relaunch}`;
}
