/**
 * Every metric the kit publishes, declared once: the functions emit through this table
 * (lambdas/shared/metrics.ts), the alarms and the dashboard read their names, units and dimensions
 * from it (stacks/operations/), and `npm run docs:metrics` writes docs/metrics.md from it.
 *
 * All are in one CloudWatch namespace per deployment (`SelfRunners/<prefix>`, set through
 * POWERTOOLS_METRICS_NAMESPACE). Powertools adds the `service` dimension (the function's short name)
 * to every record; `dimensions` below are the extra dimension sets a record is published with, each
 * alongside the plain `[service]` set, so a per-pool series and the deployment-wide series come from
 * one EMF line. Metrics published by a CloudWatch Logs metric filter instead of a function (runner
 * host marks) name `runner` as their source.
 */

export const METRIC_UNITS = ["Count", "Seconds", "Milliseconds", "Bytes", "Percent"] as const;
export type MetricUnitName = (typeof METRIC_UNITS)[number];

/** Who publishes a metric: a function's POWERTOOLS_SERVICE_NAME, or `runner` for the runner log group's metric filters. */
export const METRIC_SOURCES = ["webhook", "scale-up", "reconcile", "spot-interruption", "nat-failover", "github-hooks-ipset", "build-cache", "build-cache-sweep", "runner"] as const;
export type MetricSource = (typeof METRIC_SOURCES)[number];

/** Dimension names beyond `service`. */
export const METRIC_DIMENSIONS = {
  /** Pool key of the `pools` input. */
  pool: "Pool",
  /** GitHub App id. */
  app: "App",
  /** `spot` or `on-demand`. */
  market: "Market",
  /**
   * Why a job was deferred: a scale-up `DeferralKind` (`draining`, `limit`, `budget`, `in-flight`, `launch-failed`, `write-rate`, `out-of-time`);
   * or why it was refused: `owner`, `repository`, `visibility`, `stale` (lambdas/shared/admission.ts).
   */
  reason: "Reason",
  /** Runner state as the reconciler sees it: `booting`, `idle`, `busy`, `offline`. */
  state: "State",
  /** Build cache scope: an organization login or `owner/repo` (the runner's registration scope). */
  scope: "Scope",
  /** Build cache client protocol (contracts/build-cache.ts `BUILD_CACHE_PROTOCOLS`). */
  protocol: "Protocol",
} as const;
export type MetricDimension = (typeof METRIC_DIMENSIONS)[keyof typeof METRIC_DIMENSIONS];

export interface MetricSpec {
  readonly name: string;
  readonly unit: MetricUnitName;
  readonly source: MetricSource;
  /** Extra dimension sets (besides `[service]`); empty: the deployment-wide series only. */
  readonly dimensions: ReadonlyArray<readonly MetricDimension[]>;
  /** One line for docs/metrics.md: what one data point means. */
  readonly doc: string;
  /** The statistic a dashboard or alarm should read. */
  readonly statistic: "Sum" | "Maximum" | "Minimum" | "Average" | "p90";
}

// Generic in the dimension sets so the emitting helper can require exactly their dimensions.
const metric = <const D extends ReadonlyArray<readonly MetricDimension[]>>(
  name: string,
  unit: MetricUnitName,
  source: MetricSource,
  dimensions: D,
  statistic: MetricSpec["statistic"],
  doc: string,
): MetricSpec & { readonly dimensions: D } => ({ name, unit, source, dimensions, statistic, doc });

const { pool: POOL, app: APP, market: MARKET, reason: REASON, state: STATE, scope: SCOPE, protocol: PROTOCOL } = METRIC_DIMENSIONS;

/** The metric table. Keys are how code refers to a metric; `name` is what CloudWatch shows. */
export const METRICS = {
  // webhook
  deliveriesIgnored: metric("DeliveriesIgnored", "Count", "webhook", [], "Sum", "a signed delivery that asks for nothing (another event, action or label set)"),
  deliveriesRefused: metric(
    "DeliveriesRefused",
    "Count",
    "webhook",
    [[REASON]],
    "Sum",
    "a signed `workflow_job` delivery refused before anything was recorded: owner or repository not allowed, public repository on a pool without opt-in, or `queued` older than `webhook_max_job_age_seconds`",
  ),
  webhookPreviousSecretUsed: metric("WebhookPreviousSecretUsed", "Count", "webhook", [], "Sum", "a delivery verified with the previous webhook secret (rotation in progress)"),
  webhookLedgerErrors: metric("LedgerErrors", "Count", "webhook", [], "Sum", "the job ledger could not be read or written; the job was queued anyway"),
  webhookJobsDeduplicated: metric("JobsDeduplicated", "Count", "webhook", [[POOL]], "Sum", "a `queued` sighting of a job already queued or past it (redelivery, second webhook)"),
  jobsQueued: metric("JobsQueued", "Count", "webhook", [[POOL]], "Sum", "a job put on its pool's queue"),
  jobsStarted: metric("JobsStarted", "Count", "webhook", [[POOL]], "Sum", "a job reported `in_progress` for the first time"),
  timeToRunner: metric("TimeToRunner", "Seconds", "webhook", [[POOL]], "p90", "a job's wait for a runner: `workflow_job.created_at` to the `in_progress` `started_at`"),
  // scale-up
  dispatchLatency: metric("DispatchLatency", "Seconds", "scale-up", [[POOL]], "p90", "webhook received the job to its instance requested (CreateFleet answered)"),
  jobsDispatched: metric("JobsDispatched", "Count", "scale-up", [[POOL]], "Sum", "a job that got a runner: instance launched and its configuration written (SLO good event)"),
  jobsDispatchFailed: metric("JobsDispatchFailed", "Count", "scale-up", [[POOL]], "Sum", "a job given up: dead-lettered, expired or refused a launch for good (SLO bad event)"),
  jobsDeadLettered: metric("JobsDeadLettered", "Count", "scale-up", [[POOL]], "Sum", "a queue message moved aside: unreadable, or older than `job_max_age_seconds`"),
  jobsRefused: metric("JobsRefused", "Count", "scale-up", [[POOL, REASON]], "Sum", "a queue message for a job the admission rules refuse (owner, repository, visibility): dead-lettered, never launched"),
  jobsDeferred: metric("JobsDeferred", "Count", "scale-up", [[POOL, REASON]], "Sum", "a job put back on its queue to wait, by reason"),
  jobsDeferredForBudget: metric("JobsDeferredForBudget", "Count", "scale-up", [[POOL]], "Sum", "a claimed job held back because the GitHub budget would fall below `github_min_remaining_requests`"),
  jobsNoLongerQueued: metric("JobsNoLongerQueued", "Count", "scale-up", [[POOL]], "Sum", "a message older than `STILL_QUEUED_GRACE_SECONDS` whose job GitHub reports started, finished or gone: settled in the ledger and deleted, never launched"),
  scaleUpJobsDeduplicated: metric("JobsDeduplicated", "Count", "scale-up", [[POOL]], "Sum", "a queue message for a job another invocation already claimed or finished"),
  runnersLaunched: metric("RunnersLaunched", "Count", "scale-up", [[POOL], [POOL, MARKET]], "Sum", "an instance launched for a job or a warm slot, by market"),
  spotFallbacks: metric("SpotFallbacks", "Count", "scale-up", [[POOL]], "Sum", "a CreateFleet retried on demand after spot capacity failed"),
  fleetRetries: metric("FleetRetries", "Count", "scale-up", [[POOL]], "Sum", "a CreateFleet retried in the same market (throttled or transient error)"),
  fleetFailures: metric("FleetFailures", "Count", "scale-up", [[POOL]], "Sum", "a CreateFleet that launched nothing after all retries and fallbacks"),
  launchFailures: metric("LaunchFailures", "Count", "scale-up", [[POOL]], "Sum", "a job whose launch failed (no instance, or its configuration not written); it is retried"),
  gitHubBudgetRemaining: metric("GitHubBudgetRemaining", "Count", "scale-up", [[APP]], "Minimum", "GitHub REST requests left in the App's hourly budget, as last answered"),
  // reconcile
  instancesTerminated: metric("InstancesTerminated", "Count", "reconcile", [], "Sum", "an orphan, idle-timed-out or boot-timed-out instance terminated"),
  impairedRunnersTerminated: metric("ImpairedRunnersTerminated", "Count", "reconcile", [[POOL]], "Sum", "an instance failing EC2 status checks, not running a job, terminated"),
  registrationsDeleted: metric("RegistrationsDeleted", "Count", "reconcile", [], "Sum", "a GitHub runner registration without an instance deleted"),
  runnersBusyOnDelete: metric("RunnersBusyOnDelete", "Count", "reconcile", [], "Sum", "a deletion GitHub refused because the runner is busy (it is left alone)"),
  recordsDeleted: metric("RecordsDeleted", "Count", "reconcile", [], "Sum", "a runners-table item without an instance deleted"),
  jobsRelaunched: metric("JobsRelaunched", "Count", "reconcile", [], "Sum", "a job still queued at GitHub whose runner is gone or took another job, relaunched"),
  jobsRequeued: metric("JobsRequeued", "Count", "reconcile", [], "Sum", "a job recorded but never queued, put on its queue"),
  deliveriesRedelivered: metric("DeliveriesRedelivered", "Count", "reconcile", [], "Sum", "a failed `workflow_job` webhook delivery GitHub was asked to redeliver (once per delivery)"),
  queuedJobsRecovered: metric("QueuedJobsRecovered", "Count", "reconcile", [[POOL]], "Sum", "a job GitHub reports queued that the ledger never saw (its delivery never arrived), put on its queue"),
  healerGitHubCalls: metric("HealerGitHubCalls", "Count", "reconcile", [], "Sum", "GitHub requests made by the webhook healer in one run (bounded by `webhook_healer_max_github_calls`)"),
  interruptedJobsRerun: metric("InterruptedJobsRerun", "Count", "reconcile", [], "Sum", "a job failed by a spot interruption, re-run once"),
  reconcileErrors: metric("ReconcileErrors", "Count", "reconcile", [], "Sum", "a reconcile step that failed (the next run retries)"),
  oldestWaitingJobAge: metric("OldestWaitingJobAge", "Seconds", "reconcile", [[POOL]], "Maximum", "age of the oldest job the ledger shows without a runner (received, queued, waiting or launching)"),
  jobsWaitingOverLimits: metric("JobsWaitingOverLimits", "Count", "reconcile", [[POOL]], "Maximum", "jobs held back by `max_runners` (global, pool or owner), as counted each run"),
  runnersByState: metric("Runners", "Count", "reconcile", [[POOL, STATE]], "Maximum", "the kit's instances by runner state, as counted each run"),
  // spot-interruption
  spotInterruptions: metric("SpotInterruptions", "Count", "spot-interruption", [[POOL]], "Sum", "a two-minute spot interruption warning for a runner instance"),
  // nat-failover
  natFailoverErrors: metric("NatFailoverErrors", "Count", "nat-failover", [], "Sum", "a NAT route that could not be checked or replaced"),
  natProbeFailures: metric("NatProbeFailures", "Count", "nat-failover", [], "Sum", "a NAT instance that failed its outbound probe"),
  natRouteReplacements: metric("NatRouteReplacements", "Count", "nat-failover", [], "Sum", "a private route moved to a healthy NAT instance"),
  natNoHealthyTarget: metric("NatNoHealthyTarget", "Count", "nat-failover", [], "Sum", "a run that found no healthy NAT instance to route to"),
  // github-hooks-ipset
  gitHubHooksListRefused: metric("GitHubHooksListRefused", "Count", "github-hooks-ipset", [], "Sum", "GitHub's `/meta` hooks list was refused or malformed; the IP sets were left as they were"),
  gitHubHooksIpSetsUpdated: metric("GitHubHooksIpSetsUpdated", "Count", "github-hooks-ipset", [], "Sum", "a WAF IP set rewritten with GitHub's hook addresses"),
  // build-cache (issue 16)
  buildCacheHits: metric("BuildCacheHits", "Count", "build-cache", [[SCOPE, PROTOCOL]], "Sum", "a lookup that found an entry (own, base or default branch)"),
  buildCacheMisses: metric("BuildCacheMisses", "Count", "build-cache", [[SCOPE, PROTOCOL]], "Sum", "a lookup that found no entry the caller may read"),
  buildCacheBytesRead: metric("BuildCacheBytesRead", "Bytes", "build-cache", [[SCOPE, PROTOCOL]], "Sum", "size of the blob behind a hit (handed out as a presigned GET)"),
  buildCacheBytesWritten: metric("BuildCacheBytesWritten", "Bytes", "build-cache", [[SCOPE, PROTOCOL]], "Sum", "size of a committed entry (deduplicated bytes included)"),
  buildCacheRefusals: metric("BuildCacheRefusals", "Count", "build-cache", [[REASON]], "Sum", "a cache request refused: malformed, unknown caller, digest mismatch, expired upload"),
  buildCacheEvictions: metric("BuildCacheEvictions", "Count", "build-cache-sweep", [[SCOPE, PROTOCOL]], "Sum", "an index entry evicted (over the scope's budget, or past retention)"),
  buildCacheBlobsDeleted: metric("BuildCacheBlobsDeleted", "Count", "build-cache-sweep", [[SCOPE]], "Sum", "a blob no entry references any more, deleted after the upload grace period"),
  // runner host (CloudWatch Logs metric filters on the runner log group)
  bootToRegistration: metric("BootToRegistration", "Seconds", "runner", [[POOL]], "p90", "instance boot to its runner configured and listening for the job"),
  registrationFailures: metric("RegistrationFailures", "Count", "runner", [[POOL]], "Sum", "a runner host that could not configure its runner (it shuts down)"),
} as const satisfies Record<string, MetricSpec>;

export type MetricKey = keyof typeof METRICS;

/**
 * Log correlation keys, exact names: every log line of every function carries those known for the work
 * it is about (lambdas/shared/logger.ts `withCorrelation`).
 */
export const LOG_CORRELATION_KEYS = ["deliveryId", "jobId", "runAttempt", "pool", "owner", "repository", "instanceId", "runnerName"] as const;
export type LogCorrelationKey = (typeof LOG_CORRELATION_KEYS)[number];

/** The namespace of a deployment's metrics. */
export function metricsNamespace(prefix: string): string {
  return `SelfRunners/${prefix}`;
}
