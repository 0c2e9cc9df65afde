// SelfRunners props of the control plane: the functions, the webhook stage, admission and the queue/scale-up
// tuning (input table groups Functions, Webhook API, Admission, Control plane).
// Each prop is the camelCase of its Terraform variable; defaults and rules live in the input table.

export interface FunctionsProps {
  /**
   * Subnets for the Lambda functions; empty keeps them outside any VPC.
   * @default []
   */
  readonly lambdaSubnetIds?: string[];
  /**
   * Security groups for the Lambda functions when they run in subnets.
   * @default []
   */
  readonly lambdaSecurityGroupIds?: string[];
  /**
   * Log retention of every log group, in days.
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * X-Ray active tracing on every function, with Powertools Tracer around their AWS SDK clients.
   * @default false
   */
  readonly enableTracing?: boolean;
  /**
   * Reserved concurrency of the webhook function (-1: unreserved).
   * @default -1
   */
  readonly webhookReservedConcurrency?: number;
  /**
   * Reserved concurrency of the scale-up function (-1: unreserved).
   * @default -1
   */
  readonly scaleUpReservedConcurrency?: number;
  /**
   * Reserved concurrency of the reconcile function; 1 keeps runs from overlapping.
   * @default 1
   */
  readonly reconcileReservedConcurrency?: number;
}

/** The webhook API stage. */
export interface WebhookApiStageProps {
  /**
   * Webhook stage steady-state rate limit, requests per second.
   * @default 300
   */
  readonly apiThrottlingRateLimit?: number;
  /**
   * Webhook stage burst limit.
   * @default 1000
   */
  readonly apiThrottlingBurstLimit?: number;
  /**
   * Manage the regional API Gateway CloudWatch Logs role (needed once per account and region for access logs).
   * @default false
   */
  readonly manageApiGatewayAccount?: boolean;
  /**
   * Largest webhook body accepted, in bytes; larger answers 413.
   * @default 262144
   */
  readonly webhookMaxBodyBytes?: number;
}

/** Who gets a runner and how old a `queued` delivery may be (docs/security.md, "Who gets a runner"). */
export interface AdmissionProps {
  /**
   * Organizations and users whose jobs may get a runner (case-insensitive).
   * @default [] - any owner the GitHub App is installed on
   */
  readonly allowedOwners?: string[];
  /**
   * Repositories (`owner/repo`, case-insensitive) whose jobs may get a runner, in addition to `allowedOwners`.
   * @default [] - any repository of an allowed owner
   */
  readonly allowedRepositories?: string[];
  /**
   * A `queued` delivery whose `workflow_job.created_at` is older is refused (a replay); at most a day,
   * how long the job ledger keeps finished jobs.
   * @default 3600
   */
  readonly webhookMaxJobAgeSeconds?: number;
}

/** Limits, back-off, draining and reconciliation (docs/reliability.md). */
export interface ControlPlaneProps {
  /**
   * Start with launches paused (draining): webhooks are still accepted and queued, nothing launches
   * until the `/<prefix>/draining` parameter is "false" again (docs/reliability.md). Only the initial
   * value: afterwards the parameter is flipped at run time and Terraform leaves it alone.
   * @default false
   */
  readonly draining?: boolean;
  /**
   * Most runners of all pools together (pending or running).
   * @default 1000
   */
  readonly maxRunnersTotal?: number;
  /**
   * Most runners of one organization (org scope) or repository (repo scope), across pools.
   * @default 1000
   */
  readonly maxRunnersPerOwner?: number;
  /**
   * A job still waiting after this many seconds is reported, marked failed and moved to the DLQ.
   * @default 21600
   */
  readonly jobMaxAgeSeconds?: number;
  /**
   * Longest back-off of a waiting job, in seconds (draining, limits, GitHub budget, EC2 capacity).
   * @default 900
   */
  readonly jobWaitMaxSeconds?: number;
  /**
   * GitHub API requests kept in reserve per App installation; below it launches slow down.
   * @default 200
   */
  readonly githubMinRemainingRequests?: number;
  /**
   * GitHub writes (JIT configurations) per minute per App, shared by every scale-up environment (the
   * write governor); GitHub allows 180 POSTs a minute per endpoint. Allowed: 1 to 160.
   * @default 150
   */
  readonly githubWritesPerMinute?: number;
  /**
   * Most GitHub writes an App may make at once after a quiet period (the governor's bucket size).
   * Allowed: 1 to 10.
   * @default 10
   */
  readonly githubWriteBurst?: number;
  /**
   * Seconds a runner must keep looking idle before the reconciler stops it (GitHub's busy flag lags).
   * @default 90
   */
  readonly busyConfirmSeconds?: number;
  /**
   * Seconds after launch before the reconciler relaunches a job whose runner is gone or took another job.
   * @default 300
   */
  readonly relaunchGraceSeconds?: number;
  /**
   * GitHub requests the webhook healer may make per reconcile round (docs/healer.md); 0 turns it off.
   * @default 30
   */
  readonly webhookHealerMaxGitHubCalls?: number;
  /**
   * Re-run jobs that failed because their spot runner was reclaimed.
   * @default true
   */
  readonly rerunInterruptedJobs?: boolean;
  /**
   * A second GitHub App used only to re-run interrupted jobs (Actions: write), so the runner App needs
   * no Actions permission; "" lets the runner App re-run (docs/github-app.md).
   * @default ""
   */
  readonly rerunGitHubAppId?: string;
  /**
   * Existing SSM SecureString parameter with the re-run App's PEM private key; set with `rerunGitHubAppId`.
   * @default ""
   */
  readonly rerunGitHubAppPrivateKeySsmParameterName?: string;
  /**
   * When the reconciler runs.
   * @default "rate(5 minutes)"
   */
  readonly reconcileScheduleExpression?: string;
  /**
   * Point-in-time recovery for the runners table.
   * @default false
   */
  readonly runnersTablePointInTimeRecovery?: boolean;
  /**
   * Point-in-time recovery for the job ledger table.
   * @default false
   */
  readonly jobLedgerPointInTimeRecovery?: boolean;
}
