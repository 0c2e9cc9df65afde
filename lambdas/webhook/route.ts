import { IMPLICIT_RUNNER_LABEL, InvalidWorkflowJobError, admissionRefusal, payloadVisibility } from "../shared/core.js";
import type { AdmissionPolicy, AdmissionRefusalReason, JobMessage } from "../shared/core.js";

/**
 * The pool serving a job, per docs/contracts.md: every job label must be one of the pool's labels
 * (or `self-hosted`), case-insensitively; no labels match nothing; the first matching key in sorted
 * order wins, the order Terraform gives map keys.
 */
export function matchPool(
  jobLabels: readonly string[],
  pools: Readonly<Record<string, { readonly labels: readonly string[] }>>,
): string | undefined {
  if (jobLabels.length === 0) return undefined;
  for (const [key, offered] of offeredLabels(pools)) {
    if (jobLabels.every((label) => offered.has(label.toLowerCase()))) return key;
  }
  return undefined;
}

/** Each pool's labels as a lower-case set, in key order; computed once per pools object (the deployed one lives as long as the environment). */
const offeredByPools = new WeakMap<object, ReadonlyArray<readonly [string, ReadonlySet<string>]>>();
function offeredLabels(pools: Readonly<Record<string, { readonly labels: readonly string[] }>>): ReadonlyArray<readonly [string, ReadonlySet<string>]> {
  let offered = offeredByPools.get(pools);
  if (offered === undefined) {
    offered = Object.keys(pools)
      .sort()
      .map((key) => [key, new Set([IMPLICIT_RUNNER_LABEL, ...(pools[key]?.labels ?? []).map((label) => label.toLowerCase())])] as const);
    offeredByPools.set(pools, offered);
  }
  return offered;
}

/** A job that some runner took (`in_progress`) or that ended (`completed`), for the job ledger: the queue message's job fields and what happened. */
export interface JobProgress
  extends Pick<JobMessage, "pool" | "jobId" | "runId" | "runAttempt" | "repository" | "owner" | "installationId" | "labels" | "headBranch" | "defaultBranch"> {
  readonly action: "in_progress" | "completed";
  /** The runner that took the job, when GitHub names one. */
  readonly runnerName: string | undefined;
  /** `completed` only: success, failure, cancelled, skipped, ... */
  readonly conclusion: string | undefined;
  /**
   * `in_progress` only: the job's wait for a runner, `workflow_job.started_at - created_at` in seconds;
   * undefined when GitHub sent no usable pair (older payloads lack `created_at`).
   */
  readonly timeToRunnerSeconds: number | undefined;
}

export type RouteDecision =
  | { readonly kind: "pong" }
  | { readonly kind: "ignore"; readonly message: string }
  /** Not served by policy (admission.ts) or too old to be a live job (a replay): answered 202, nothing written. */
  | { readonly kind: "refuse"; readonly reason: AdmissionRefusalReason | "stale"; readonly message: string }
  | { readonly kind: "enqueue"; readonly pool: string; readonly job: JobMessage }
  | { readonly kind: "progress"; readonly progress: JobProgress };

export interface RouteInput {
  /** X-GitHub-Event. */
  readonly event: string | undefined;
  /** X-GitHub-Delivery. */
  readonly deliveryId: string | undefined;
  /** The verified, parsed body. */
  readonly payload: Readonly<Record<string, unknown>>;
  /** `allowPublicRepositories` absent: false. */
  readonly pools: Readonly<Record<string, { readonly labels: readonly string[]; readonly allowPublicRepositories?: boolean }>>;
  readonly receivedAt: Date;
  /** Who may get a runner (ALLOWED_OWNERS, ALLOWED_REPOSITORIES). */
  readonly admission: AdmissionPolicy;
  /** A `queued` delivery whose `workflow_job.created_at` is older than this is refused (WEBHOOK_MAX_JOB_AGE_SECONDS). */
  readonly maxJobAgeSeconds: number;
}

/** What to do with a verified delivery. Pure; throws InvalidWorkflowJobError when a needed field is missing. */
export function routeDelivery(input: RouteInput): RouteDecision {
  if (input.event === "ping") return { kind: "pong" };
  if (input.event !== "workflow_job") {
    if (input.event === undefined || input.event === "") return { kind: "ignore", message: "ignored: no X-GitHub-Event header" };
    return { kind: "ignore", message: `ignored: event ${input.event} is not handled` };
  }
  const action = input.payload.action;
  if (action !== "queued" && action !== "in_progress" && action !== "completed") {
    return { kind: "ignore", message: `ignored: action ${describeValue(action)} is not handled` };
  }

  const job = objectAt(input.payload, "workflow_job");
  const labels = job.labels;
  if (!Array.isArray(labels) || !labels.every((label): label is string => typeof label === "string")) {
    throw new InvalidWorkflowJobError("workflow_job.labels");
  }
  const pool = matchPool(labels, input.pools);
  if (pool === undefined) return { kind: "ignore", message: `ignored: no pool matches labels [${labels.join(", ")}]` };

  const repository = objectAt(input.payload, "repository");
  const owner = objectAt(repository, "owner", "repository.owner");
  const fields = {
    pool,
    jobId: positiveInteger(job.id, "workflow_job.id"),
    runId: positiveInteger(job.run_id, "workflow_job.run_id"),
    runAttempt: positiveInteger(job.run_attempt ?? 1, "workflow_job.run_attempt"),
    repository: nonEmptyString(repository.full_name, "repository.full_name"),
    owner: nonEmptyString(owner.login, "repository.owner.login"),
    installationId: positiveInteger(objectAt(input.payload, "installation").id, "installation.id"),
    labels,
    // Branch facts for the build cache (lambdas/build-cache/caller.ts); absent in old or odd payloads.
    ...optionalText("headBranch", job.head_branch),
    ...optionalText("defaultBranch", repository.default_branch),
  };
  // Every action: a refused job's progress must not write to the ledger either.
  const visibility = payloadVisibility(repository);
  const refusal = admissionRefusal(input.admission, { allowPublicRepositories: input.pools[pool]?.allowPublicRepositories ?? false }, { ...fields, visibility });
  if (refusal !== undefined) return { kind: "refuse", reason: refusal.reason, message: `refused: ${refusal.message}` };
  if (action !== "queued") {
    const runnerName = typeof job.runner_name === "string" && job.runner_name !== "" ? job.runner_name : undefined;
    return {
      kind: "progress",
      progress: {
        action,
        ...fields,
        runnerName,
        conclusion: action === "completed" && typeof job.conclusion === "string" ? job.conclusion : undefined,
        timeToRunnerSeconds: action === "in_progress" ? secondsBetween(job.created_at, job.started_at) : undefined,
      },
    };
  }
  if (input.deliveryId === undefined || input.deliveryId === "") throw new InvalidWorkflowJobError("X-GitHub-Delivery");
  const stale = staleness(job.created_at, input.receivedAt, input.maxJobAgeSeconds);
  if (stale !== undefined) return { kind: "refuse", reason: "stale", message: `refused: ${stale}` };
  const message: JobMessage = { version: 1, deliveryId: input.deliveryId, ...fields, receivedAt: input.receivedAt.toISOString(), visibility };
  return { kind: "enqueue", pool, job: message };
}

function optionalText<K extends string>(name: K, value: unknown): Partial<Record<K, string>> {
  return typeof value === "string" && value !== "" ? ({ [name]: value } as Partial<Record<K, string>>) : {};
}

/**
 * Why a `queued` delivery is too old to serve, or undefined. The signature does not cover
 * X-GitHub-Delivery, so a captured body could be sent again later; GitHub sends `queued` when the job is
 * created, so an old `created_at` is a replay or a late manual redelivery.
 * A missing or unreadable `created_at` is refused too: the bound must not be skippable.
 */
function staleness(createdAt: unknown, now: Date, maxAgeSeconds: number): string | undefined {
  const created = typeof createdAt === "string" ? Date.parse(createdAt) : Number.NaN;
  if (!Number.isFinite(created)) return "workflow_job.created_at is missing or not a time";
  const ageSeconds = (now.getTime() - created) / 1000;
  if (ageSeconds > maxAgeSeconds) return `job created ${Math.round(ageSeconds)} s ago, more than webhook_max_job_age_seconds (${maxAgeSeconds} s)`;
  return undefined;
}

/** `to - from` in seconds for two ISO timestamps of a payload; undefined when either is missing or invalid, or they run backwards. */
export function secondsBetween(from: unknown, to: unknown): number | undefined {
  if (typeof from !== "string" || typeof to !== "string") return undefined;
  const seconds = (Date.parse(to) - Date.parse(from)) / 1000;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

/**
 * A payload value for a message, without String() or JSON.stringify: a parsed {"toString": 1} makes
 * String() throw and a deeply nested array overflows the stack of both (found by test/fuzz).
 */
function describeValue(value: unknown): string {
  if (Array.isArray(value)) return "(array)";
  if (typeof value === "object" && value !== null) return "(object)";
  return String(value);
}

function objectAt(parent: Readonly<Record<string, unknown>>, key: string, path = key): Record<string, unknown> {
  const value = parent[key];
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new InvalidWorkflowJobError(path);
  return value as Record<string, unknown>;
}

function positiveInteger(value: unknown, path: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) throw new InvalidWorkflowJobError(path);
  return value;
}

function nonEmptyString(value: unknown, path: string): string {
  if (typeof value !== "string" || value === "") throw new InvalidWorkflowJobError(path);
  return value;
}
