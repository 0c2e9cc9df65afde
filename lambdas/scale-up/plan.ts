import type { JobMessage, RunnerScope } from "../shared/index.js";

/** One SQS record after parsing: either a job or the reason it could not be read. */
export type ParsedRecord =
  | { readonly recordId: string; readonly job: JobMessage }
  | { readonly recordId: string; readonly invalid: string };

export interface PlanInput {
  readonly records: readonly ParsedRecord[];
  readonly pools: Readonly<Record<string, { readonly maxRunners: number }>>;
  /** Pending or running runner instances per pool, counted before this batch. */
  readonly activeRunners: Readonly<Record<string, number>>;
  readonly scope: RunnerScope;
}

/** Runners to launch with one CreateFleet call: one per record, all for the same pool and owner. */
export interface LaunchGroup {
  readonly pool: string;
  /** Organization login (org scope) or `owner/repo` (repo scope). */
  readonly owner: string;
  readonly installationId: number;
  readonly recordIds: readonly string[];
  readonly jobs: readonly JobMessage[];
}

export interface PlanMiss {
  readonly recordId: string;
  readonly reason: string;
}

export interface Plan {
  readonly groups: readonly LaunchGroup[];
  /** The pool is full: reported as batch failures so SQS retries them after the visibility timeout. */
  readonly deferred: readonly PlanMiss[];
  /**
   * Unparseable or for an unknown pool: reported as batch failures too. Retrying cannot fix them, so
   * they are received again until maxReceiveCount and then land in the dead-letter queue for a human.
   */
  readonly rejected: readonly PlanMiss[];
}

/** The registration target of a job: the organization or the repository, depending on RUNNER_SCOPE. */
export function ownerOf(job: Pick<JobMessage, "owner" | "repository">, scope: RunnerScope): string {
  return scope === "org" ? job.owner : job.repository;
}

/**
 * Decides which records get a runner now. Records are taken in batch order; a pool takes at most
 * `maxRunners - activeRunners` of them and defers the rest. Launched records are grouped by pool,
 * owner and installation, so each group is one CreateFleet and one GitHub installation.
 */
export function planLaunches(input: PlanInput): Plan {
  const deferred: PlanMiss[] = [];
  const rejected: PlanMiss[] = [];
  const groups = new Map<string, { pool: string; owner: string; installationId: number; recordIds: string[]; jobs: JobMessage[] }>();
  const free = new Map<string, number>();

  for (const record of input.records) {
    if ("invalid" in record) {
      rejected.push({ recordId: record.recordId, reason: record.invalid });
      continue;
    }
    const { job } = record;
    const pool = input.pools[job.pool];
    if (pool === undefined) {
      rejected.push({ recordId: record.recordId, reason: `unknown pool ${job.pool}` });
      continue;
    }
    const available = free.get(job.pool) ?? Math.max(0, pool.maxRunners - (input.activeRunners[job.pool] ?? 0));
    if (available === 0) {
      free.set(job.pool, 0);
      deferred.push({ recordId: record.recordId, reason: `pool ${job.pool} is at its limit of ${pool.maxRunners} runners` });
      continue;
    }
    free.set(job.pool, available - 1);
    const owner = ownerOf(job, input.scope);
    const key = JSON.stringify([job.pool, owner, job.installationId]);
    let group = groups.get(key);
    if (group === undefined) {
      group = { pool: job.pool, owner, installationId: job.installationId, recordIds: [], jobs: [] };
      groups.set(key, group);
    }
    group.recordIds.push(record.recordId);
    group.jobs.push(job);
  }
  return { groups: [...groups.values()], deferred, rejected };
}
