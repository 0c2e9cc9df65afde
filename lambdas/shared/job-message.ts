import { REPOSITORY_VISIBILITIES } from "./admission.js";
import type { RepositoryVisibility } from "./admission.js";
import { InvalidJobMessageError } from "./errors.js";

/** The queue message from the webhook to scale-up (docs/contracts.md, "Queue message"). */
export interface JobMessage {
  readonly version: 1;
  /** X-GitHub-Delivery, the correlation id. */
  readonly deliveryId: string;
  /** Pool key. */
  readonly pool: string;
  readonly jobId: number;
  readonly runId: number;
  readonly runAttempt: number;
  /** `owner/repo`. */
  readonly repository: string;
  readonly owner: string;
  readonly installationId: number;
  readonly labels: readonly string[];
  /** `workflow_job.head_branch`, for the build cache's branch rules (absent in older messages). */
  readonly headBranch?: string;
  /** `repository.default_branch`, for the build cache's branch rules (absent in older messages). */
  readonly defaultBranch?: string;
  /** ISO 8601, when the webhook accepted the delivery. */
  readonly receivedAt: string;
  /**
   * `repository.visibility` of the delivery, checked again by scale-up (admission.ts). Absent in
   * messages the reconciler rebuilds from the ledger (the webhook admitted those jobs) and warm ones.
   */
  readonly visibility?: RepositoryVisibility;
  /**
   * "warm": a warm-pool runner asked for by the reconciler, not a GitHub job (jobId is synthetic).
   * @default "job"
   */
  readonly kind?: "job" | "warm";
}

/** The log correlation keys a job message names (lambdas/shared/logger.ts). */
export function jobCorrelation(job: JobMessage): { deliveryId: string; jobId: number; runAttempt: number; pool: string; owner: string; repository: string } {
  return { deliveryId: job.deliveryId, jobId: job.jobId, runAttempt: job.runAttempt, pool: job.pool, owner: job.owner, repository: job.repository };
}

/** Name of the SQS message attribute carrying the delivery id. */
export const DELIVERY_ID_ATTRIBUTE = "DeliveryId";

/** `MessageDeduplicationId`: a redelivered webhook or a duplicate delivery enqueues one message only. */
export function jobDeduplicationId(message: Pick<JobMessage, "jobId" | "runAttempt">): string {
  return `${message.jobId}-${message.runAttempt}`;
}

/** `MessageGroupId`: each job its own group, so FIFO ordering never serialises independent jobs. */
export function jobGroupId(message: Pick<JobMessage, "jobId">): string {
  return String(message.jobId);
}

/** Parses and checks a queue message body; throws InvalidJobMessageError naming the first bad field. */
export function parseJobMessage(body: string): JobMessage {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw new InvalidJobMessageError("body is not JSON", { cause: error });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidJobMessageError("body is not a JSON object");
  }
  const record = value as Record<string, unknown>;
  if (record.version !== 1) throw new InvalidJobMessageError(`unsupported version ${String(record.version)}`);
  if (record.kind !== undefined && record.kind !== "job" && record.kind !== "warm") throw new InvalidJobMessageError(`unsupported kind ${String(record.kind)}`);
  const text = (key: string): string => {
    const field = record[key];
    if (typeof field !== "string" || field === "") throw new InvalidJobMessageError(`${key} must be a non-empty string`);
    return field;
  };
  const id = (key: string): number => {
    const field = record[key];
    if (typeof field !== "number" || !Number.isSafeInteger(field) || field <= 0) {
      throw new InvalidJobMessageError(`${key} must be a positive integer`);
    }
    return field;
  };
  const labels = record.labels;
  if (!Array.isArray(labels) || !labels.every((label) => typeof label === "string")) {
    throw new InvalidJobMessageError("labels must be an array of strings");
  }
  const repository = text("repository");
  if (!/^[^/]+\/[^/]+$/.test(repository)) throw new InvalidJobMessageError("repository must be owner/repo");
  const visibility = record.visibility;
  if (visibility !== undefined && !REPOSITORY_VISIBILITIES.includes(visibility as RepositoryVisibility)) {
    throw new InvalidJobMessageError(`visibility must be one of ${REPOSITORY_VISIBILITIES.join(", ")}`);
  }
  return {
    version: 1,
    deliveryId: text("deliveryId"),
    pool: text("pool"),
    jobId: id("jobId"),
    runId: id("runId"),
    runAttempt: id("runAttempt"),
    repository,
    owner: text("owner"),
    installationId: id("installationId"),
    labels: labels as string[],
    receivedAt: text("receivedAt"),
    ...(visibility === undefined ? {} : { visibility: visibility as RepositoryVisibility }),
    ...(record.kind === "warm" ? { kind: "warm" as const } : {}),
  };
}
