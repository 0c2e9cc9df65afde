import type { JobRecord, LedgerSnapshot } from "../libs/ledger/types.js";
import type { JobView, LiveRunner } from "./jobs.js";
import type { ReadyRunnerCount } from "./warm.js";

// What the reconciler reads from a ledger snapshot: the jobs as the deciders see them (jobs.ts,
// warm.ts) and the runners, owners and launches the runner half needs (decide.ts, health.ts).

/** Ready warm runners and warm requests on their way, per (pool, owner). */
export function warmCounts(snapshot: LedgerSnapshot, runners: readonly LiveRunner[]): ReadyRunnerCount[] {
  const pendingWarm = snapshot.jobs.filter((job) => job.kind === "warm" && (job.phase === "received" || job.phase === "launching"));
  const counts = new Map<string, { pool: string; owner: string; ready: number; pending: number }>();
  const count = (pool: string, owner: string) => {
    const key = JSON.stringify([pool, owner]);
    let entry = counts.get(key);
    if (entry === undefined) counts.set(key, (entry = { pool, owner, ready: 0, pending: 0 }));
    return entry;
  };
  for (const runner of runners) if (runner.pool !== undefined && runner.owner !== undefined && !runner.busy && !runner.stopped) count(runner.pool, runner.owner).ready += 1;
  for (const job of pendingWarm) if (job.pool !== undefined && job.scopeOwner !== undefined) count(job.pool, job.scopeOwner).pending += 1;
  return [...counts.values()];
}

/** Runner names the ledger says are running a job now. */
export function runningOn(snapshot: LedgerSnapshot): Set<string> {
  return new Set(snapshot.jobs.flatMap((job) => (job.phase === "running" && job.ranOn !== undefined ? [job.ranOn] : [])));
}

/**
 * Owners of the ledger's jobs that launched an instance and hold none now (released or failed), or
 * whose claim expired with nobody to take it over (`launching`: its message may be dead-lettered): the
 * JIT POST of that instance may have registered its name after its caller gave up (decide.ts `jobOwners`).
 */
export function jobOwners(snapshot: LedgerSnapshot, now: Date): Array<{ owner: string; installationId: number }> {
  const settled = (job: JobRecord): boolean =>
    job.phase === "received" || job.phase === "failed" || (job.phase === "launching" && (job.claimExpiresAt ?? 0) <= now.getTime());
  return snapshot.jobs.flatMap((job) =>
    settled(job) && job.scopeOwner !== undefined && job.installationId !== undefined && job.events?.some((e) => e.what === "instance-launched") === true
      ? [{ owner: job.scopeOwner, installationId: job.installationId }]
      : [],
  );
}

/** What the ledger shows of launches under way (decide.ts `launching`). */
export function launchesInProgress(snapshot: LedgerSnapshot, now: Date, bootTimeoutSeconds: number): { instanceIds: Set<string>; owners: Set<string> } {
  const instanceIds = new Set<string>();
  const owners = new Set<string>();
  for (const job of snapshot.jobs) {
    const launchedAt = job.launchedAt === undefined ? Number.NaN : Date.parse(job.launchedAt);
    if (job.instanceId !== undefined && now.getTime() - launchedAt <= bootTimeoutSeconds * 1000) instanceIds.add(job.instanceId);
    if (job.phase === "launching" && (job.claimExpiresAt ?? 0) > now.getTime() && job.scopeOwner !== undefined) owners.add(job.scopeOwner);
  }
  return { instanceIds, owners };
}

export function jobView(job: JobRecord): JobView {
  return {
    key: job.pk,
    warm: job.kind === "warm",
    phase: job.phase,
    jobId: job.jobId,
    repository: job.repository,
    installationId: job.installationId,
    pool: job.pool,
    scopeOwner: job.scopeOwner,
    instanceId: job.instanceId,
    runnerName: job.runnerName,
    slotHeld: job.slotHeld === true,
    claimExpiresAt: job.claimExpiresAt,
    launchedAt: job.launchedAt === undefined ? undefined : new Date(job.launchedAt),
    updatedAt: new Date(job.updatedAt ?? 0),
    ranOn: job.ranOn,
    interrupted: job.interrupted === true,
    rerunRequested: job.rerunRequested === true,
  };
}
