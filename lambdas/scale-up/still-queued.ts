import { GitHubRequestError, METRICS, childLogger, emitMetric, jobCorrelation, withCorrelation } from "../shared/index.js";
import type { JobMessage, WorkflowJobState } from "../shared/index.js";
import { finishedPhase } from "../libs/ledger/phases.js";
import type { Phase } from "../libs/ledger/phases.js";
import type { Ledger } from "../libs/ledger/port.js";
import type { JobFacts } from "../libs/ledger/types.js";
import type { Claimed } from "./claims.js";

/**
 * Issue 18, finding 9 (second half): a message older than a short grace is confirmed with one GitHub
 * GET before its job gets a runner, so a replayed or long-delayed `queued` whose job has since started,
 * finished or vanished launches nothing. The webhook bounds the delivery's age; this bounds the
 * message's (docs/security.md, "Who gets a runner").
 */

const log = childLogger("scale-up");

/** GitHub's answer for one job: its state, gone (404), or an error (anything else). */
export type JobLookup = { readonly state: WorkflowJobState } | { readonly notFound: true } | { readonly error: unknown };

/** What becomes of a claimed job after the lookup: launch it, or settle it in the ledger without a runner. */
export type StillQueuedDecision =
  | { readonly action: "launch"; readonly why: "waiting" | "lookup-failed" }
  | { readonly action: "start"; readonly runnerName: string | undefined }
  | { readonly action: "finish"; readonly phase: Phase; readonly conclusion: string | undefined }
  | { readonly action: "expire"; readonly reason: string };

/** Whether a job message is old enough to confirm: warm runners are no GitHub job; young messages are trusted. */
export function needsConfirmation(job: Pick<JobMessage, "receivedAt" | "kind">, now: Date, graceSeconds: number): boolean {
  if (job.kind === "warm") return false;
  return now.getTime() - Date.parse(job.receivedAt) > graceSeconds * 1000;
}

/**
 * GitHub's answer as a decision. A job still waiting (queued, waiting, requested, pending) launches;
 * in_progress and completed settle as the webhook's own deliveries would; 404 settles as expired. A
 * failed lookup launches anyway: availability over thrift, the reconciler removes an idle runner.
 */
export function decideStillQueued(lookup: JobLookup): StillQueuedDecision {
  if ("error" in lookup) return { action: "launch", why: "lookup-failed" };
  if ("notFound" in lookup) return { action: "expire", reason: "no longer queued: GitHub does not know the job (404)" };
  const { status, conclusion, runnerName } = lookup.state;
  if (status === "in_progress") return { action: "start", runnerName: runnerName ?? undefined };
  if (status === "completed") return { action: "finish", phase: finishedPhase(conclusion), conclusion: conclusion ?? undefined };
  return { action: "launch", why: "waiting" };
}

/** One GET .../actions/jobs/{job_id} through the installation client (counted in observedBudgets). */
export type WorkflowJobLookup = (job: JobMessage, owner: string) => Promise<WorkflowJobState>;

export interface StillQueuedDeps {
  readonly ledger: Ledger;
  readonly lookupWorkflowJob: WorkflowJobLookup;
}

/**
 * Confirms the claimed jobs older than `graceSeconds`. Returns the jobs to launch and those settled
 * without a launch (their messages are deleted). A job whose settlement cannot be written is given
 * back to wait and be asked about again.
 */
export async function confirmStillQueued(
  claimed: readonly Claimed[],
  context: {
    readonly deps: StillQueuedDeps;
    readonly now: Date;
    readonly graceSeconds: number;
    readonly factsOf: (job: JobMessage) => JobFacts;
    readonly giveBack: (job: Claimed, reason: string) => Promise<void>;
  },
): Promise<{ readonly launch: Claimed[]; readonly settled: Claimed[] }> {
  const { deps, now } = context;
  const outcomes = await Promise.all(
    claimed.map((job) => withCorrelation(jobCorrelation(job.job), async (): Promise<"launch" | "settled" | "waits"> => {
      if (!needsConfirmation(job.job, now, context.graceSeconds)) return "launch";
      const lookup: JobLookup = await deps.lookupWorkflowJob(job.job, job.owner).then(
        (state) => ({ state }),
        (error: unknown) => (error instanceof GitHubRequestError && error.status === 404 ? { notFound: true as const } : { error }),
      );
      const decision = decideStillQueued(lookup);
      if (decision.action === "launch") {
        if (decision.why === "lookup-failed") log.warn("confirming the job is still queued failed; launching anyway", { error: "error" in lookup ? lookup.error : undefined });
        return "launch";
      }
      const facts = context.factsOf(job.job);
      try {
        if (decision.action === "start") await deps.ledger.start(facts, decision.runnerName, now);
        else if (decision.action === "finish") await deps.ledger.finish(facts, decision.phase, decision.conclusion, now);
        else await deps.ledger.expire(facts, decision.reason, now);
      } catch (error) {
        log.warn("recording a job no longer queued failed; it waits", { error });
        await context.giveBack(job, "ledger unavailable");
        return "waits";
      }
      log.info("job no longer queued at GitHub: settled without a launch", { action: decision.action });
      emitMetric(METRICS.jobsNoLongerQueued, 1, { Pool: job.job.pool });
      return "settled";
    })),
  );
  return {
    launch: claimed.filter((_, index) => outcomes[index] === "launch"),
    settled: claimed.filter((_, index) => outcomes[index] === "settled"),
  };
}
