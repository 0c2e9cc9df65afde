import { ADMISSION_ENV } from "./admission.js";
import { POWERTOOLS_ENV } from "./common.js";
import { integer, optional, required, string } from "./env.js";
import { poolFields, poolsVariable } from "./pools.js";

/** The webhook function's timeout (stacks/functions/webhook-function.ts); the AWS request timeout and the queueing lease are sized against it. */
export const WEBHOOK_FUNCTION_TIMEOUT_SECONDS = 10;

/**
 * How long one AWS request of the webhook (an SSM, DynamoDB or SQS attempt: connect, send and the
 * whole answer) may take before its socket is destroyed and the attempt fails as a retryable
 * `TimeoutError` (lambdas/webhook/adapters/http1-pool.ts). Healthy answers take milliseconds; the
 * fault world's interleaved schedules let a call take up to 1.5 s, which must not time out. Sized so
 * that every attempt of one call hung (4 for DynamoDB, 3 for SQS: 8 s plus back-offs under 0.2 s)
 * still leaves time inside {@link WEBHOOK_FUNCTION_TIMEOUT_SECONDS} to answer: a hung SendMessage is
 * answered 500 after about 6 s (test/lambdas/webhook/shipped-zip-timeout.test.ts checks the sum
 * against the clients' own retry settings). Giving the lease back after it is best effort: if that
 * hangs too, Lambda ends the invocation and the lease runs out (docs/reliability.md).
 */
export const WEBHOOK_AWS_REQUEST_TIMEOUT_MS = 2_000;

/** The webhook function's environment (lambdas/webhook, stacks/functions/webhook-function.ts). */
export const WEBHOOK_ENV = {
  ...POWERTOOLS_ENV,
  prefix: required("PREFIX", string, "the kit's name prefix, to map runner names in `in_progress`/`completed` back to instances", "sr"),
  jobsTable: required("JOBS_TABLE", string, "the job ledger table (also where deliveries are deduplicated, on the job items)", "sr-jobs"),
  webhookSecretSsmParameterName: required(
    "WEBHOOK_SECRET_SSM_PARAMETER_NAME",
    string,
    "SSM name of the webhook secret (SecureString), cached in memory for 5 minutes",
    "/sr/webhook-secret",
  ),
  webhookPreviousSecretSsmParameterName: optional(
    "WEBHOOK_PREVIOUS_SECRET_SSM_PARAMETER_NAME",
    string,
    'SSM name of the previous webhook secret, accepted too while it holds a real value: the bare secret, or `{"secret": "...", "expiresAt": "<ISO 8601>"}` until that time; the placeholder `replace-me` (also as the current secret) accepts nothing; on a signature mismatch both are re-read once, bypassing the cache, at most every 30 s per execution environment',
    "/sr/webhook-previous-secret",
  ),
  webhookMaxBodyBytes: required("WEBHOOK_MAX_BODY_BYTES", integer(1), "largest accepted body after base64 decoding; a larger one gets 413", "262144"),
  ...ADMISSION_ENV,
  webhookMaxJobAgeSeconds: required(
    "WEBHOOK_MAX_JOB_AGE_SECONDS",
    integer(1),
    "a `queued` delivery whose `workflow_job.created_at` is older is refused (202, nothing queued): a captured delivery cannot be replayed later",
    "3600",
  ),
  pools: poolsVariable(poolFields(["labels", "allowPublicRepositories", "queueUrl"]), "the pools: a job goes to the first pool, in key order, whose labels contain all of its `runs-on` labels"),
} as const;

/**
 * The shape of GitHub's `X-Hub-Signature-256` header: the web ACL's first rule blocks requests
 * without it (stacks/webhook-firewall.ts), and the fault world's ingress model applies the same test.
 */
export const WEBHOOK_SIGNATURE_HEADER = "x-hub-signature-256";
export const WEBHOOK_SIGNATURE_PATTERN = "^sha256=[0-9a-f]{64}$";
