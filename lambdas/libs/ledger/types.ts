import { TERMINAL_LEDGER_ITEM_TTL_SECONDS } from "../../../contracts/admission.js";
import type { BudgetObservation } from "../../shared/index.js";
import type { Phase } from "./phases.js";

/** How long ledger items outlive their last write (DynamoDB TTL on `expiration`, as Powertools uses). */
export const LEDGER_ITEM_TTL_SECONDS = 7 * 24 * 60 * 60;

/**
 * Terminal jobs stay a day (late redeliveries still find them); live ones a week. The webhook's replay
 * bound (`webhook_max_job_age_seconds`) is validated against this same contract value.
 */
export const TERMINAL_ITEM_TTL_SECONDS = TERMINAL_LEDGER_ITEM_TTL_SECONDS;

/** A side effect or decision recorded on the job, oldest first. */
export interface LedgerEvent {
  readonly at: string;
  readonly what: string;
  readonly detail?: string;
}

/** One job attempt (or warm runner) as the ledger holds it. */
export interface JobRecord {
  readonly pk: string;
  readonly phase: Phase;
  readonly kind?: "job" | "warm";
  readonly jobId: number;
  readonly runAttempt: number;
  readonly runId?: number;
  readonly repository?: string;
  /** Organization or user login owning the repository. */
  readonly org?: string;
  /** Registration target: the org (org scope) or `owner/repo` (repo scope); set by scale-up. */
  readonly scopeOwner?: string;
  readonly pool?: string;
  readonly installationId?: number;
  readonly labels?: readonly string[];
  /** `workflow_job.head_branch`: the branch the build cache lets the job's runner write. */
  readonly headBranch?: string;
  /** `repository.default_branch`: the branch every job of the repository may read from the build cache. */
  readonly defaultBranch?: string;
  readonly deliveryIds?: readonly string[];
  readonly receivedAt?: string;
  /**
   * When a webhook delivery first took the right to queue the job, in the same write that recorded it
   * (the send follows); a later `queued` delivery then queues nothing, except a re-send inside
   * {@link QUEUE_RESEND_WINDOW_MS} after a lease ran out.
   */
  readonly queuedAt?: string;
  /** The delivery that queued (or is queueing) the job: its redelivery gets the answer "queued". */
  readonly queueLeaseOwner?: string;
  /** Epoch milliseconds after which another sighting may send again (the owner crashed mid-send). */
  readonly queueLeaseExpiresAt?: number;
  /** The `in_progress` delivery that moved the job to `running` (its redelivery gets the same answer). */
  readonly startedBy?: string;
  /** The `completed` delivery that ended the job (its redelivery gets the same answer). */
  readonly finishedBy?: string;
  readonly updatedAt?: string;
  readonly claimToken?: string;
  /** Epoch milliseconds after which another invocation may take the claim over. */
  readonly claimExpiresAt?: number;
  readonly launchAttempts?: number;
  /**
   * The instance launched under the current claim, cleared with the claim. Only a takeover of an
   * expired claim finds one: it is what the crashed attempt launched. (`instanceId` outlives claims:
   * after a release or relaunch it names an instance that is gone or serves another job.)
   */
  readonly claimInstanceId?: string;
  readonly instanceId?: string;
  readonly runnerName?: string;
  /** The runner's configuration reached the runners table: the instance will come up and work. */
  readonly runnerWritten?: boolean;
  /** The job holds one unit of each of its limit counters (released once its instance is gone). */
  readonly slotHeld?: boolean;
  readonly launchedAt?: string;
  /** Runner that took the job (`in_progress`); not necessarily the one launched for it. */
  readonly ranOn?: string;
  readonly conclusion?: string;
  readonly relaunches?: number;
  readonly interrupted?: boolean;
  readonly rerunRequested?: boolean;
  readonly failureReason?: string;
  /**
   * A reserved GitHub write turn (epoch ms) and its App, written on the job by versions before the turns
   * moved to `turn#<messageId>` items; no longer written, still removed (WRITE_TURN_FIELDS).
   */
  readonly writeTurnAt?: number;
  readonly writeTurnAppId?: number;
  readonly events?: readonly LedgerEvent[];
}

/** The job fields the ledger keeps, from a queue message or a webhook payload. */
export interface JobFacts {
  readonly jobId: number;
  readonly runAttempt: number;
  readonly runId?: number;
  readonly repository?: string;
  readonly org?: string;
  readonly pool?: string;
  readonly installationId?: number;
  readonly labels?: readonly string[];
  readonly headBranch?: string;
  readonly defaultBranch?: string;
  readonly kind?: "job" | "warm";
}

/** What a queue message or a progress event says of its job (JobMessage and JobProgress both carry it): its facts, the owner under its message name. */
export interface JobDescription extends Omit<JobFacts, "org"> {
  readonly owner?: string;
}

/** The ledger's facts of a job, from its queue message or progress event (the owner is the record's `org`). */
export function jobFacts(job: JobDescription): JobFacts {
  return {
    jobId: job.jobId,
    runAttempt: job.runAttempt,
    runId: job.runId,
    repository: job.repository,
    org: job.owner,
    pool: job.pool,
    installationId: job.installationId,
    labels: job.labels,
    headBranch: job.headBranch,
    defaultBranch: job.defaultBranch,
    kind: job.kind ?? "job",
  };
}

export type ClaimResult =
  | { readonly claimed: true; readonly record: JobRecord }
  | { readonly claimed: false; readonly record: JobRecord | undefined };

/** What the reconciler reads in one pass. */
export interface LedgerSnapshot {
  readonly jobs: readonly JobRecord[];
  readonly idleSeen: ReadonlyMap<string, Date>;
  readonly counters: ReadonlyMap<string, number>;
}

/** Remaining GitHub API budget of one App installation, stored as an answer's `x-ratelimit-*` headers reported it. */
export type BudgetRecord = BudgetObservation;

/** Attributes that live exactly as long as a claim. */
export const CLAIM_FIELDS = ["claimToken", "claimExpiresAt", "claimInstanceId"] as const;

/**
 * The write-turn attributes older versions kept on the job record. Nothing writes them now (a waiting
 * job's turn is a `turn#<messageId>` item), but records written before that change may still hold
 * them: the release and the launch remove them, so a stale turn never outlives the claim it came with.
 */
export const WRITE_TURN_FIELDS = ["writeTurnAt", "writeTurnAppId"] as const;

/** Attributes a failed send gives back, so the next sighting queues the job at once. */
export const QUEUE_LEASE_FIELDS = ["queueLeaseOwner", "queueLeaseExpiresAt", "queuedAt"] as const;

/**
 * How long after `queuedAt` a sighting may send the job again once the sender's lease ran out (it
 * crashed between the write and the send). SQS FIFO drops a message whose deduplication id
 * (`<jobId>-<runAttempt>`) it accepted in the past 5 minutes, so inside this window a re-send is
 * harmless if the first send did go through; one minute of margin covers clock skew. Later, a lost
 * send is healed by the reconciler's requeue of `received` jobs.
 */
export const QUEUE_RESEND_WINDOW_MS = 4 * 60_000;

/** Ledger key of an idle sighting. */
export function idleKey(instanceId: string): string {
  return `idle#${instanceId}`;
}

/** Ledger key of an App's budget record. */
export function budgetKey(appId: number): string {
  return `budget#${appId}`;
}

/** The job fields written only where absent (facts never change once known). */
export function factFields(facts: JobFacts): Record<string, unknown> {
  return {
    kind: facts.kind ?? "job",
    jobId: facts.jobId,
    runAttempt: facts.runAttempt,
    runId: facts.runId,
    repository: facts.repository,
    org: facts.org,
    pool: facts.pool,
    installationId: facts.installationId,
    labels: facts.labels === undefined ? undefined : [...facts.labels],
    headBranch: facts.headBranch,
    defaultBranch: facts.defaultBranch,
  };
}

/** A record's event list entry. */
export function ledgerEvent(now: Date, what: string, detail?: string): LedgerEvent[] {
  return [{ at: now.toISOString(), what, ...(detail === undefined ? {} : { detail }) }];
}
