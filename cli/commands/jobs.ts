import { PHASES } from "../../lambdas/libs/ledger/phases.js";
import type { Phase } from "../../lambdas/libs/ledger/phases.js";
import type { JobRecord } from "../../lambdas/libs/ledger/types.js";
import { scanLedger } from "../adapters/ledger.js";
import type { AwsClients } from "../clients.js";
import type { Deployment } from "../deployment.js";
import { UsageError } from "../errors.js";
import { duration, json, secondsSince, table } from "../format.js";

/**
 * `--state` values: a ledger phase (lambdas/libs/ledger/phases.ts), or `waiting` for the jobs without
 * a runner yet (`received` and `launching`), as in the issue's `jobs --state waiting`.
 */
export const JOB_STATES = [...PHASES, "waiting"] as const;
export type JobState = (typeof JOB_STATES)[number];

const WAITING: readonly Phase[] = ["received", "launching"];

export function parseJobState(value: string): JobState {
  if (!(JOB_STATES as readonly string[]).includes(value)) throw new UsageError(`--state must be one of ${JOB_STATES.join(", ")}; got "${value}"`);
  return value as JobState;
}

export interface JobLine {
  readonly jobId: number;
  readonly runAttempt: number;
  readonly phase: Phase;
  readonly repository: string | null;
  readonly pool: string | null;
  readonly receivedAt: string | null;
  readonly ageSeconds: number | null;
  readonly instanceId: string | null;
  readonly runnerName: string | null;
}

/** The ledger's jobs in `state`, newest first (by when the webhook received them, then job id). */
export function selectJobs(jobs: readonly JobRecord[], state: JobState, now: Date): JobLine[] {
  const phases: readonly Phase[] = state === "waiting" ? WAITING : [state];
  return jobs
    .filter((job) => phases.includes(job.phase))
    .map((job) => ({
      jobId: job.jobId,
      runAttempt: job.runAttempt,
      phase: job.phase,
      repository: job.repository ?? null,
      pool: job.pool ?? null,
      receivedAt: job.receivedAt ?? null,
      ageSeconds: secondsSince(job.receivedAt, now) ?? null,
      instanceId: job.instanceId ?? null,
      runnerName: job.ranOn ?? job.runnerName ?? null,
    }))
    .sort((a, b) => (b.receivedAt ?? "").localeCompare(a.receivedAt ?? "") || b.jobId - a.jobId || b.runAttempt - a.runAttempt);
}

export async function readJobs(clients: AwsClients, deployment: Deployment, state: JobState, now: Date): Promise<JobLine[]> {
  return selectJobs((await scanLedger(clients.dynamoDb, deployment.jobsTable)).jobs, state, now);
}

export function formatJobs(lines: readonly JobLine[], state: JobState, asJson: boolean): string {
  if (asJson) return json(lines);
  if (lines.length === 0) return `no jobs in state ${state}`;
  return table(
    [{ header: "JOB", align: "right" }, { header: "ATTEMPT", align: "right" }, { header: "PHASE" }, { header: "REPOSITORY" }, { header: "POOL" }, { header: "AGE", align: "right" }, { header: "INSTANCE" }],
    lines.map((l) => [String(l.jobId), String(l.runAttempt), l.phase, l.repository ?? "-", l.pool ?? "-", l.ageSeconds === null ? "-" : duration(l.ageSeconds), l.instanceId ?? "-"]),
  );
}
