/**
 * Errors, one base class per area. They cross module boundaries as values and become HTTP statuses
 * or SQS batch failures only at a handler's edge.
 */

/** Root of every error this kit throws on purpose. */
export class SelfRunnersError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

// ---- configuration --------------------------------------------------------------------------

export class ConfigError extends SelfRunnersError {}

export class MissingEnvError extends ConfigError {
  constructor(readonly variable: string) {
    super(`environment variable ${variable} is required but not set`);
  }
}

export class InvalidEnvError extends ConfigError {
  constructor(
    readonly variable: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`environment variable ${variable} is invalid: ${reason}`, options);
  }
}

// ---- SSM parameters -------------------------------------------------------------------------

export class ParameterError extends SelfRunnersError {}

export class ParameterReadError extends ParameterError {
  constructor(
    readonly parameterName: string,
    options?: ErrorOptions,
  ) {
    super(`could not read SSM parameter ${parameterName}`, options);
  }
}

// ---- GitHub API -----------------------------------------------------------------------------

export class GitHubError extends SelfRunnersError {}

export class GitHubRequestError extends GitHubError {
  constructor(
    readonly operation: string,
    readonly status: number | undefined,
    options?: ErrorOptions,
  ) {
    super(`GitHub ${operation} failed${status === undefined ? "" : ` with status ${status}`}`, options);
  }
}

/**
 * The caller's own deadline passed before GitHub answered (Octokit reports it as a 500). GitHub may
 * still have acted: a JIT POST given up on may have registered its runner name all the same.
 */
export class GitHubDeadlineError extends GitHubRequestError {}

// ---- webhook --------------------------------------------------------------------------------

/** A webhook delivery refused before it reached the queue; carries the HTTP answer of docs/contracts.md. */
export class WebhookError extends SelfRunnersError {
  constructor(
    readonly statusCode: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class PayloadTooLargeError extends WebhookError {
  constructor() {
    super(413, "payload too large");
  }
}

export class MissingSignatureError extends WebhookError {
  constructor() {
    super(401, "missing signature");
  }
}

export class InvalidSignatureError extends WebhookError {
  constructor() {
    super(401, "invalid signature");
  }
}

export class InvalidJsonBodyError extends WebhookError {
  constructor(options?: ErrorOptions) {
    super(400, "invalid JSON body", options);
  }
}

/** Valid JSON, valid signature, but a `workflow_job` without the fields the queue message needs. */
export class InvalidWorkflowJobError extends WebhookError {
  constructor(readonly field: string) {
    super(400, "invalid workflow_job payload");
  }
}

export class EnqueueError extends WebhookError {
  constructor(options?: ErrorOptions) {
    super(500, "internal error", options);
  }
}

// ---- queue message --------------------------------------------------------------------------

export class JobMessageError extends SelfRunnersError {}

export class InvalidJobMessageError extends JobMessageError {
  constructor(reason: string, options?: ErrorOptions) {
    super(`invalid job message: ${reason}`, options);
  }
}

// ---- scale-up -------------------------------------------------------------------------------

export class ScaleUpError extends SelfRunnersError {}

/** Never retried successfully: unparseable message or unknown pool. SQS moves it to the DLQ after maxReceiveCount. */
export class JobRejectedError extends ScaleUpError {}

/** The pool is at maxRunners; the message goes back to the queue and is retried after the visibility timeout. */
export class JobDeferredError extends ScaleUpError {}

/** EC2, GitHub or DynamoDB failed for this job's runner; retried like a deferred job. */
export class RunnerLaunchError extends ScaleUpError {}

// ---- reconcile ------------------------------------------------------------------------------

export class ReconcileError extends SelfRunnersError {}

/** Listing the registrations of an owner failed: its instances and registrations are left alone this round. */
export class RegistrationsUnavailableError extends ReconcileError {
  constructor(
    readonly owner: string,
    options?: ErrorOptions,
  ) {
    super(`could not list runner registrations of ${owner}`, options);
  }
}

// ---- GitHub hooks IP sets (WAF allowlist) ---------------------------------------------------

export class IpSetSyncError extends SelfRunnersError {}

/** GitHub's `hooks` list was empty or held an entry that is not an address range: the IP sets keep their old ranges. */
export class HooksListRefusedError extends IpSetSyncError {
  constructor(
    readonly reason: string,
    readonly invalid: readonly string[],
  ) {
    super(`refused to write GitHub's hooks list to the IP sets: ${reason}`);
  }
}

/** Another writer changed the IP set between GetIPSet and UpdateIPSet (WAFOptimisticLockException). */
export class IpSetLockConflictError extends IpSetSyncError {
  constructor(
    readonly ipSetName: string,
    options?: ErrorOptions,
  ) {
    super(`IP set ${ipSetName} changed while it was being updated`, options);
  }
}
