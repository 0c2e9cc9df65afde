import { memoryLimitCounters } from "../../lambdas/libs/ledger/memory-counters.js";
import { MemoryLedgerTable, memoryLedger } from "../../lambdas/libs/ledger/memory-store.js";
import { limitKeys } from "../../lambdas/libs/ledger/phases.js";
import type { JobRecord, LedgerSnapshot } from "../../lambdas/libs/ledger/types.js";
import { reconcileJobs } from "../../lambdas/reconcile/job-actions.js";
import type { ReconcileJobsDeps } from "../../lambdas/reconcile/job-actions.js";
import type { JobMessage, WorkflowJobState } from "../../lambdas/shared/index.js";

// The job half of the reconciler (lambdas/reconcile/job-actions.ts) with memory ports and a fixed clock,
// for job-actions.test.ts and job-actions.mutants.test.ts.

export const JOBS_START = Date.parse("2026-11-23T10:00:00.000Z");
export const JOBS_OWNER = "octo-org";
export const JOBS_INSTALLATION = 52103487;

export type JobsInstance = Parameters<typeof reconcileJobs>[3][number];

/** A live instance of the "linux" pool and {@link JOBS_OWNER}. */
export const jobsRunner = (instanceId: string, extra: Partial<JobsInstance> = {}): JobsInstance => ({ instanceId, state: "running", pool: "linux", owner: JOBS_OWNER, ...extra });

/** A ledger record whose job id is the digits of its key, last updated at the start. */
export const jobsRecord = (pk: string, extra: Partial<JobRecord>): JobRecord => ({ pk, phase: "received", jobId: Number(pk.replace(/\D/g, "")), runAttempt: 1, updatedAt: new Date(JOBS_START).toISOString(), ...extra });

export const snapshotOf = (jobs: JobRecord[]): LedgerSnapshot => ({ jobs, idleSeen: new Map(), counters: new Map() });

/** Memory ledger and counters, a recording queue and GitHub's jobs (queued unless set), clock at `at`. */
export function jobsHarness(overrides: Partial<ReconcileJobsDeps> = {}, at = JOBS_START) {
  const table = new MemoryLedgerTable();
  const ledger = memoryLedger(table);
  const counters = memoryLimitCounters(table);
  const sent: Array<{ pool: string; message: JobMessage; groupId: string; deduplicationId: string }> = [];
  const githubJobs = new Map<number, WorkflowJobState>();
  /** Job ids GitHub was asked about, in order. */
  const asked: number[] = [];
  const deps: ReconcileJobsDeps = {
    prefix: "sr",
    now: () => new Date(at),
    ledger,
    counters,
    jobs: {
      get: async (_installation, _repository, jobId) => {
        asked.push(jobId);
        return githubJobs.get(jobId) ?? { status: "queued", conclusion: null, runnerName: null };
      },
      rerun: async () => undefined,
    },
    requeue: async (pool, body, groupId, deduplicationId) => void sent.push({ pool, message: JSON.parse(body) as JobMessage, groupId, deduplicationId }),
    isDraining: async () => false,
    relaunchGraceSeconds: 300,
    requeueAfterSeconds: 1800,
    rerunInterrupted: true,
    maxJobChecks: 20,
    warmPools: {},
    scope: "org",
    installationFor: async () => JOBS_INSTALLATION,
    ...overrides,
  };
  const inUse = () => Object.values(limitKeys("linux", JOBS_OWNER)).map((key) => Number(table.items.get(key)?.inUse ?? 0));
  const h = {
    table,
    ledger,
    counters,
    sent,
    githubJobs,
    asked,
    /** The deps `run` passes: replace them to wrap a port. */
    deps,
    /** One job half of a round; the snapshot is the ledger's own unless given. */
    run: async (instances: JobsInstance[], registrations = new Map<string, Array<{ name: string; busy: boolean }>>(), snapshot?: LedgerSnapshot) => {
      const read = snapshot ?? (await ledger.snapshot());
      return reconcileJobs(h.deps, read, read.counters, instances, registrations);
    },
    inUse,
  };
  return h;
}
