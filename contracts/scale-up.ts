import { ADMISSION_ENV } from "./admission.js";
import { DRAINING_ENV, GITHUB_APP_ENV, POWERTOOLS_ENV, RUNNER_BOOT_TIMEOUT_ENV, RUNNER_STATE_ENV } from "./common.js";
import { integer, optional, required, string, tunable } from "./env.js";
import { poolFields, poolsVariable } from "./pools.js";

/**
 * The encryption context key under which scale-up seals each runner's JIT configuration (value: the
 * instance ARN); the runner role may decrypt only when it equals `${ec2:SourceInstanceARN}`.
 */
export const JIT_ENCRYPTION_CONTEXT_KEY = "instance-arn";

/**
 * Scale-up's time budget (docs/reliability.md, "A slow GitHub"). GitHub's REST answers slow down
 * under load: a JIT configuration POST is planned to take up to this long, and started only while the
 * invocation has this plus {@link SCALE_UP_FINISH_MARGIN_SECONDS} left; otherwise the instance is kept
 * under the job's claim for the next attempt to register.
 */
export const SCALE_UP_JIT_CALL_BUDGET_SECONDS = 30;
/** Kept after a JIT answer for the writes that follow it (launched, runner items, visibility changes). */
export const SCALE_UP_FINISH_MARGIN_SECONDS = 10;
/** For the work before the first JIT call: claims, budgets, limits, CreateFleet and its fallbacks. */
export const SCALE_UP_LAUNCH_ALLOWANCE_SECONDS = 20;
/**
 * A job whose GitHub write turn is at most this far away waits for it inside the invocation (its
 * instance boots meanwhile) instead of going back to the queue; taken from the launch allowance, which
 * CreateFleet rarely needs whole (docs/performance.md, "Calls per runner").
 */
export const SCALE_UP_WRITE_TURN_WAIT_SECONDS = 5;
/** The scale-up function's timeout, derived from its time budget (below the claim lease of 120 s). */
export const SCALE_UP_TIMEOUT_SECONDS = SCALE_UP_LAUNCH_ALLOWANCE_SECONDS + SCALE_UP_JIT_CALL_BUDGET_SECONDS + SCALE_UP_FINISH_MARGIN_SECONDS;

/**
 * Kept from the runner's boot timeout when scale-up decides whether a kept instance is still worth a
 * JIT call (time-budget.ts, `keptInstanceReusable`): the whole invocation (the call may take what is
 * left of it, then the writes), plus 10 s for the runner's pick-up (it polls its configuration every
 * 3 s, then reads and decrypts it). Its boot countdown starts after the instance boots, later than the
 * `instance-launched` event the age is measured from, so this errs towards replacing.
 */
export const KEPT_INSTANCE_REUSE_MARGIN_SECONDS = SCALE_UP_TIMEOUT_SECONDS + 10;

/** The scale-up function's environment (lambdas/scale-up, stacks/functions/scale-up-function.ts). */
export const SCALE_UP_ENV = {
  ...POWERTOOLS_ENV,
  ...RUNNER_STATE_ENV,
  ...GITHUB_APP_ENV,
  ...DRAINING_ENV,
  ...ADMISSION_ENV,
  ...RUNNER_BOOT_TIMEOUT_ENV,
  pools: poolsVariable(
    poolFields(["labels", "maxRunners", "instanceTypes", "instanceRequirements", "subnetIds", "launchTemplateName", "spot", "onDemandFallback", "runnerGroupId", "allowPublicRepositories", "queueUrl", "queueArn", "deadLetterQueueUrl"]),
    "the pools and their queues; `queueArn` maps a record to its pool's queue (for visibility changes) and dead-letter queue",
  ),
  maxRunnersTotal: required("MAX_RUNNERS_TOTAL", integer(1), "runners of all pools together, counted by a conditional counter in the ledger table", "1000"),
  maxRunnersPerOwner: required("MAX_RUNNERS_PER_OWNER", integer(1), "runners per owner (the org in org scope, `owner/repo` in repo scope)", "1000"),
  jobMaxAgeSeconds: required("JOB_MAX_AGE_SECONDS", integer(1), "an older job (since the webhook accepted it) is marked failed and moved to the dead-letter queue", "21600"),
  jobWaitMaxSeconds: required(
    "JOB_WAIT_MAX_SECONDS",
    integer(1),
    "longest visibility of a waiting record: `base * 2^(receives-1)` capped here, jittered in [half, full]; a budget wait lasts at least until the GitHub budget resets",
    "900",
  ),
  githubMinRemainingRequests: required("GITHUB_MIN_REMAINING_REQUESTS", integer(1), "REST budget kept in reserve per App installation; runners beyond it wait for the reset", "200"),
  claimLeaseSeconds: tunable("CLAIM_LEASE_SECONDS", integer(1), 120, "how long a claim keeps other invocations off a job; longer than the function timeout"),
  backoffBaseSeconds: tunable("BACKOFF_BASE_SECONDS", integer(1), 15, "first visibility of a waiting record, and the wait while its job is in flight elsewhere"),
  jitKmsKeyArn: optional(
    "JIT_KMS_KEY_ARN",
    string,
    "the kit's KMS key: each runner's JIT configuration is encrypted under the context `instance-arn = <instance ARN>`; unset or empty (no kit key): stored as GitHub returned it",
    "arn:aws:kms:eu-west-1:123456789012:key/0b7e4a52-1c3d-4f5e-9a8b-7c6d5e4f3a2b",
  ),
  githubWritesPerMinute: required(
    "GITHUB_WRITES_PER_MINUTE",
    integer(1),
    "GitHub writes (JIT config POSTs) per minute per App, shared by every scale-up environment through the write governor (`github_writes_per_minute`): GitHub allows 900 points a minute per endpoint and a POST costs 5 (180), less a safety margin (docs/performance.md)",
    "150",
  ),
  githubWriteBurst: required(
    "GITHUB_WRITE_BURST",
    integer(1),
    "most GitHub write tokens an App's bucket holds (`github_write_burst`): the largest batch configured at once after a quiet period",
    "10",
  ),
  stillQueuedGraceSeconds: tunable(
    "STILL_QUEUED_GRACE_SECONDS",
    integer(0),
    60,
    "a job message older than this (since the webhook accepted it) is confirmed still queued with one GitHub GET before it gets a runner (issue 18, finding 9)",
  ),
  maxFleetRequests: tunable("MAX_FLEET_REQUESTS", integer(1), 3, "CreateFleet calls per (pool, owner) group, the first included (fallback across types, zones, on-demand)"),
} as const;
