import type { JobView, JobsInput, LiveRunner } from "../../lambdas/reconcile/jobs.js";

// Inputs of the reconciler's job decisions (decideJobs, lambdas/reconcile/jobs.ts) at a fixed clock:
// jobs.test.ts and jobs.edges.test.ts.

export const DECIDE_NOW = new Date("2024-06-11T12:00:00Z");
export const RELAUNCH_GRACE_SECONDS = 300;
export const REQUEUE_AFTER_SECONDS = 1800;
export const LISTING_LAG_SECONDS = 120;
/** The limit counters of pool `linux` and owner `octo-org`. */
export const LINUX_LIMITS = { global: "limit#global", pool: "limit#pool#linux", owner: "limit#owner#octo-org" } as const;

export const secondsAgo = (seconds: number): Date => new Date(DECIDE_NOW.getTime() - seconds * 1000);

/** A launched job (slot held) on its own instance, launched `launchedSecondsAgo` (600) ago. */
export function jobView(jobId: number, overrides: Partial<JobView> & { readonly launchedSecondsAgo?: number } = {}): JobView {
  const { launchedSecondsAgo = 600, ...rest } = overrides;
  const instanceId = `i-${jobId.toString(16).padStart(17, "0")}`;
  return {
    key: `job#${jobId}#1`,
    warm: false,
    phase: "launched",
    jobId,
    repository: "octo-org/octo-repo",
    installationId: 42,
    pool: "linux",
    scopeOwner: "octo-org",
    instanceId,
    runnerName: `sr-${instanceId}`,
    slotHeld: true,
    claimExpiresAt: undefined,
    launchedAt: secondsAgo(launchedSecondsAgo),
    updatedAt: secondsAgo(launchedSecondsAgo),
    ranOn: undefined,
    interrupted: false,
    rerunRequested: false,
    ...rest,
  };
}

/** An idle, running runner of pool `linux` and owner `octo-org` on `instanceId`. */
export function liveRunner(instanceId: string, overrides: Partial<LiveRunner> = {}): LiveRunner {
  return { instanceId, pool: "linux", owner: "octo-org", runnerName: `sr-${instanceId}`, busy: false, stopped: false, ...overrides };
}

/** decideJobs' input: nothing in the ledger or on EC2, not draining, the settings above. */
export function jobsInput(overrides: Partial<JobsInput>): JobsInput {
  return {
    jobs: [],
    runners: [],
    counters: new Map(),
    now: DECIDE_NOW,
    relaunchGraceSeconds: RELAUNCH_GRACE_SECONDS,
    requeueAfterSeconds: REQUEUE_AFTER_SECONDS,
    instanceListingLagSeconds: LISTING_LAG_SECONDS,
    draining: false,
    rerunInterrupted: true,
    maxJobChecks: 50,
    ...overrides,
  };
}
