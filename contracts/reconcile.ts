import { DRAINING_ENV, GITHUB_APP_ENV, POWERTOOLS_ENV, RUNNER_BOOT_TIMEOUT_ENV, RUNNER_STATE_ENV } from "./common.js";
import { boolean, integer, json, optional, required, string, tunable } from "./env.js";
import { poolFields, poolsVariable } from "./pools.js";

/** The reconcile function's environment (lambdas/reconcile, stacks/functions/reconcile-function.ts). */
export const RECONCILE_ENV = {
  ...POWERTOOLS_ENV,
  ...RUNNER_STATE_ENV,
  ...GITHUB_APP_ENV,
  ...DRAINING_ENV,
  pools: poolsVariable(
    poolFields(["queueUrl", "labels", "warmSize", "warmOwner", "warmSchedule"]),
    "a pool's queue, for jobs queued again, its labels, to match the jobs the webhook healer recovers, and its warm pool (when `warmSize` > 0 and `warmOwner` is set); a malformed `warmSchedule` fails the configuration, naming the pool",
  ),
  ...RUNNER_BOOT_TIMEOUT_ENV,
  runnerIdleTimeoutSeconds: required(
    "RUNNER_IDLE_TIMEOUT_SECONDS",
    integer(1),
    "`runner_idle_timeout_minutes` in seconds: an idle runner older than boot + idle timeout is deregistered, then terminated",
    "1800",
  ),
  busyConfirmSeconds: required(
    "BUSY_CONFIRM_SECONDS",
    integer(1),
    "a runner that looks idle (or never came online) is stopped only if it still looks so this long after it was first seen so (GitHub's `busy` flag lags a job start by up to a minute)",
    "90",
  ),
  relaunchGraceSeconds: required(
    "RELAUNCH_GRACE_SECONDS",
    integer(1),
    "a `launched` job whose runner is gone, stopped or took another job waits this long before GitHub is asked whether it is still queued",
    "300",
  ),
  runnerInstanceProfileArns: required(
    "RUNNER_INSTANCE_PROFILE_ARNS",
    json({ kind: "strings" }),
    "the runner instance profiles, the shared one and those of pools with `extra_iam_policy_arns`: only instances running with one of them are runners of this kit (tags can be copied onto any instance; a profile cannot be set without iam:PassRole)",
    '["arn:aws:iam::123456789012:instance-profile/sr-runner","arn:aws:iam::123456789012:instance-profile/sr-runner-pool-gpu"]',
  ),
  rerunInterruptedJobs: required("RERUN_INTERRUPTED_JOBS", boolean, "re-run jobs failed by a spot interruption", "true"),
  rerunGithubAppId: optional(
    "RERUN_GITHUB_APP_ID",
    integer(1),
    "a second App used only to re-run jobs (Actions: write), so the runner App needs no Actions permission; unset or empty: the runner App re-runs",
    "654321",
  ),
  rerunGithubAppPrivateKeySsmParameterName: optional("RERUN_GITHUB_APP_PRIVATE_KEY_SSM_PARAMETER_NAME", string, "SSM SecureString holding the re-run App's PEM private key", "/sr/github-app/rerun-private-key"),
  requeueAfterSeconds: tunable(
    "REQUEUE_AFTER_SECONDS",
    integer(1),
    1800,
    "a `received` job untouched this long has lost its message (scale-up touches a waiting job at least every JOB_WAIT_MAX_SECONDS)",
  ),
  healerMaxGithubCalls: required(
    "HEALER_MAX_GITHUB_CALLS",
    integer(0),
    "`webhook_healer_max_github_calls`: GitHub requests of the webhook healer per round (delivery log, redeliveries, queued-job checks); 0 turns it off",
    "30",
  ),
  maxJobChecks: tunable("MAX_JOB_CHECKS", integer(1), 50, "GitHub job checks and re-runs per round"),
} as const;

