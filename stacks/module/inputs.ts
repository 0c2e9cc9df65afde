/**
 * The one input table: every Terraform variable of the module and SelfRunners prop, in banner groups
 * and a stable order, with type, default, description and rules. module-stack.ts renders the
 * variables from it, SelfRunners validates and defaults its props from it (./props.ts), and the
 * emitter prints variables.tf in these groups (INPUT_GROUPS).
 */
import { RUNNER_SCOPES } from "../../contracts/common.js";
import { RULES } from "../errors.js";
import { poolsValidation, poolsVariableType } from "../pools.js";
import { emptyOr, integerBetween, nonEmptyList, oneOf } from "./rules.js";
import { ADMISSION } from "./inputs-admission.js";
import { IAM } from "./inputs-iam.js";
import { ENDPOINTS, NAT } from "./inputs-network.js";
import { OPERATIONS } from "./inputs-operations.js";
import { BUILD_CACHE } from "./inputs-build-cache.js";
import { RUNNER_IMAGES } from "./inputs-images.js";
import { SHARED_INPUTS } from "./shared-rules.js";
import { ADDITIONAL_APPS_RULE, RESERVED_CONCURRENCY, pattern, propName, type InputGroup, type InputSpec } from "./input-spec.js";

const GENERAL: InputGroup = {
  title: "General",
  inputs: [
    {
      name: "prefix", type: "string", default: "self-runners",
      description: "Name prefix of every resource (queues, functions, roles, launch templates, runner names).",
      rules: [pattern(RULES.prefix)],
    },
    {
      name: "tags", type: "map(string)", default: {},
      description: "Tags for every resource.",
    },
  ],
};

const GITHUB: InputGroup = {
  title: "GitHub App",
  inputs: [
    {
      name: "github_app_id", type: "string",
      description: "ID of the GitHub App the kit authenticates as (App settings page, 'App ID').",
      rules: [pattern(RULES.githubAppId)],
    },
    {
      name: "github_app_private_key_ssm_parameter_name", type: "string", default: "",
      description: "Existing SSM SecureString parameter holding the GitHub App's PEM private key. Empty: the module creates /<prefix>/github-app/private-key with a placeholder for you to overwrite.",
      rules: [SHARED_INPUTS.githubAppPrivateKeySsmParameterName.rule],
    },
    {
      name: "webhook_secret_ssm_parameter_name", type: "string", default: "",
      description: "Existing SSM SecureString parameter holding the webhook secret. Empty: the module creates /<prefix>/github-app/webhook-secret with a placeholder for you to overwrite.",
      rules: [SHARED_INPUTS.webhookSecretSsmParameterName.rule],
    },
    {
      name: "webhook_previous_secret_ssm_parameter_name", type: "string", default: "",
      description: "Existing SSM SecureString parameter for the previous webhook secret, which the webhook also accepts while it holds a real value (see \"Rotating the webhook secret\" in docs/security.md). Empty: the module creates /<prefix>/github-app/webhook-secret-previous with a placeholder, which accepts nothing.",
      rules: [SHARED_INPUTS.webhookPreviousSecretSsmParameterName.rule],
    },
    {
      name: "github_api_url", type: "string", default: SHARED_INPUTS.githubApiUrl.default,
      description: "GitHub REST API base URL; for GitHub Enterprise Server use https://HOST/api/v3.",
      rules: [SHARED_INPUTS.githubApiUrl.rule],
    },
    {
      name: "additional_github_apps", type: "list(object({ app_id = string, private_key_ssm_parameter_name = string }))", default: [],
      description: "More GitHub Apps, installed on the same organizations or repositories, to raise the API ceiling: JIT runner configs go round robin across github_app_id and these (GitHub allows about 10,000 runner configs per hour per App). Only github_app_id needs the webhook.",
      rules: [ADDITIONAL_APPS_RULE],
    },
    {
      name: "rerun_github_app_id", type: "string", default: "",
      description: "Optional second GitHub App used only to re-run jobs failed by a spot interruption (rerun_interrupted_jobs): it holds Actions: write, so the runner App needs no Actions permission (docs/github-app.md). Install it on the same owners. Empty: the runner App re-runs.",
      rules: [emptyOr(pattern(RULES.githubAppId))],
    },
    {
      name: "rerun_github_app_private_key_ssm_parameter_name", type: "string", default: "",
      description: "Existing SSM SecureString parameter holding the re-run App's PEM private key, encrypted with the kit's key (only the reconcile function may read it). Set together with rerun_github_app_id.",
      rules: [emptyOr(pattern(RULES.ssmParameterName))],
    },
    {
      name: "runner_scope", type: "string", default: "repo",
      description: "Register runners per repository (repo), per organization (org) or per enterprise (enterprise, GitHub Enterprise Cloud). The App needs Administration (repo) or Self-hosted runners (org) write permission accordingly; enterprise scope needs enterprise_slug and enterprise_token_ssm_parameter_name (README, section GitHub App set-up).",
      rules: [oneOf(RUNNER_SCOPES)],
    },
    {
      name: "enterprise_slug", type: "string", default: "",
      description: "Enterprise scope only (required there, refused otherwise): the enterprise whose runners the kit manages, as in https://github.com/enterprises/SLUG. Runners register at enterprise level in each pool's runner_group_id (an enterprise runner group shared with the organizations that run the jobs).",
      rules: [emptyOr(pattern(RULES.enterpriseSlug))],
    },
    {
      name: "enterprise_token_ssm_parameter_name", type: "string", default: "",
      description: "Enterprise scope only (required there, refused otherwise): existing SSM SecureString parameter holding a classic personal access token of an enterprise owner with the manage_runners:enterprise scope, encrypted with the kit's key. GitHub's enterprise runner endpoints refuse GitHub App installation tokens and fine-grained tokens; the App still receives the webhooks and reads jobs.",
      rules: [emptyOr(pattern(RULES.ssmParameterName))],
    },
  ],
};

const RUNNERS: InputGroup = {
  title: "Runners",
  inputs: [
    {
      name: "vpc_id", type: "string",
      description: "VPC of the runner subnets.",
      rules: [SHARED_INPUTS.vpcId.rule],
    },
    {
      name: "runner_subnet_ids", type: "list(string)",
      description: "Subnets for runner instances, ideally one per availability zone. Runners need outbound access to GitHub (NAT or public IPs).",
      rules: [nonEmptyList(pattern(RULES.subnetId))],
    },
    {
      name: "pools", type: poolsVariableType(),
      description: "Runner pools by key. A job goes to the first pool (in key order) whose labels contain every label of its runs-on (case-insensitive; self-hosted is implicit).",
      validation: poolsValidation,
    },
    {
      name: "runner_version", type: "string", default: SHARED_INPUTS.runnerVersion.default,
      description: "Actions runner version the runner binaries syncer copies into the kit's bucket, which runners install from at boot (and which replaces a runner baked into the AMI that GitHub would refuse). GitHub requires >= 2.329.0 to register and each release within 30 days, hence \"latest\".",
      rules: [SHARED_INPUTS.runnerVersion.rule],
    },
    {
      name: "runner_binaries_sync_schedule", type: "string", default: SHARED_INPUTS.runnerBinariesSyncSchedule.default,
      description: "EventBridge schedule of the function that copies the runner release from GitHub (github_api_url) into the runner binaries bucket, with a conditional request: rate(N minutes|hours|days) or cron(...). It also runs once during apply.",
      rules: [SHARED_INPUTS.runnerBinariesSyncSchedule.rule],
    },
    {
      name: "aws_cli_internet_fallback", type: "bool", default: false,
      description: "Let an Ubuntu runner whose AMI has no AWS CLI download it from awscli.amazonaws.com (the internet, through NAT) when the kit's bucket has no signature-checked copy for its architecture. Off: such a runner fails its boot (registration_failed, \"AWS CLI not installed\") rather than reach the internet.",
    },
    {
      name: "runner_idle_timeout_minutes", type: "number", default: SHARED_INPUTS.runnerIdleTimeoutMinutes.default,
      description: "Minutes after boot at which a runner that has started no job shuts down (and terminates).",
      rules: [SHARED_INPUTS.runnerIdleTimeoutMinutes.rule],
    },
    {
      name: "runner_boot_timeout_seconds", type: "number", default: SHARED_INPUTS.runnerBootTimeoutSeconds.default,
      description: "Seconds an instance may take to boot and register; the reconciler terminates instances without a registration after that.",
      rules: [SHARED_INPUTS.runnerBootTimeoutSeconds.rule],
    },
    {
      name: "associate_public_ip_address", type: "bool", default: false,
      description: "Give runners public IP addresses (only for public subnets without NAT).",
    },
    {
      name: "enable_ssm_sessions", type: "bool", default: false,
      description: "Let operators open Session Manager shells on runners: a Session-Manager-only policy (ssmmessages channels, ssm:UpdateInstanceInformation), never AmazonSSMManagedInstanceCore (which reads every SSM parameter).",
    },
    {
      name: "enable_runner_logs", type: "bool", default: true,
      description: "Ship each runner's bootstrap log, runner _diag logs and job marks to the log group /self-runners/<prefix>/runners (retention log_retention_days, the kit's KMS key when set) with the CloudWatch agent, where the AMI has its package (Amazon Linux 2023); publish BootToRegistration and RegistrationFailures from the marks. A runner whose agent cannot start runs without it.",
    },
  ],
};

const ENCRYPTION: InputGroup = {
  title: "Encryption",
  inputs: [
    {
      name: "create_kms_key", type: "bool", default: true,
      description: "Create a customer managed KMS key (yearly rotation) for the job queues, the tables, the SSM parameters the module creates, every log group and the functions' environment; only the module's roles and kms_key_administrator_arns may use it (see docs/security.md). Ignored when kms_key_arn names a key; false and an empty kms_key_arn keep AWS-managed encryption.",
    },
    {
      name: "kms_key_administrator_arns", type: "list(string)", default: SHARED_INPUTS.kmsKeyAdministratorArns.default,
      description: "IAM role or user ARNs that may use the created key besides the module's roles (the account keeps administering it through IAM). Include the principal that runs Terraform: it creates the encrypted resources and refreshes the parameters. Empty: the IAM role or user running Terraform.",
      rules: [SHARED_INPUTS.kmsKeyAdministratorArns.rule],
    },
    {
      name: "kms_key_arn", type: "string", default: SHARED_INPUTS.kmsKeyArn.default,
      description: "ARN of an existing customer managed KMS key to use for the same resources as create_kms_key instead of creating one (its key policy must let CloudWatch Logs and the module's roles use it; see docs/security.md).",
      rules: [SHARED_INPUTS.kmsKeyArn.rule],
    },
  ],
};

const FUNCTIONS: InputGroup = {
  title: "Functions",
  inputs: [
    {
      name: "lambda_subnet_ids", type: "list(string)", default: SHARED_INPUTS.lambdaSubnetIds.default,
      description: "Subnets for the Lambda functions. Empty keeps them outside any VPC; when set, they need a route to GitHub and the AWS APIs.",
      rules: [SHARED_INPUTS.lambdaSubnetIds.rule],
    },
    {
      name: "lambda_security_group_ids", type: "list(string)", default: SHARED_INPUTS.lambdaSecurityGroupIds.default,
      description: "Security groups for the Lambda functions when lambda_subnet_ids is set.",
      rules: [SHARED_INPUTS.lambdaSecurityGroupIds.rule],
    },
    {
      name: "log_retention_days", type: "number", default: SHARED_INPUTS.logRetentionDays.default,
      description: "Retention of every log group the module creates, in days.",
      rules: [SHARED_INPUTS.logRetentionDays.rule],
    },
    {
      name: "enable_tracing", type: "bool", default: false,
      description: "X-Ray active tracing on every function, with their AWS SDK calls as subsegments (Powertools Tracer), and the X-Ray write permissions. Off by default: X-Ray bills per trace recorded and retrieved beyond its free tier (see docs/operations.md, Tracing).",
    },
    {
      name: "webhook_reserved_concurrency", type: "number", default: -1,
      description: "Reserved concurrency of the webhook function; -1 leaves it unreserved.",
      rules: [RESERVED_CONCURRENCY],
    },
    {
      name: "scale_up_reserved_concurrency", type: "number", default: -1,
      description: "Reserved concurrency of the scale-up function; -1 leaves it unreserved.",
      rules: [RESERVED_CONCURRENCY],
    },
    {
      name: "reconcile_reserved_concurrency", type: "number", default: SHARED_INPUTS.reconcileReservedConcurrency.default,
      description: "Reserved concurrency of the reconcile function; -1 leaves it unreserved.",
      rules: [SHARED_INPUTS.reconcileReservedConcurrency.rule],
    },
  ],
};

const WEBHOOK: InputGroup = {
  title: "Webhook API",
  inputs: [
    {
      name: "api_throttling_rate_limit", type: "number", default: SHARED_INPUTS.apiThrottlingRateLimit.default,
      description: "Steady-state requests per second the webhook stage accepts before answering 429. GitHub does not redeliver a delivery that got 429; the default takes the 3,000 deliveries of a 1,000-job matrix within GitHub's 10 s answer deadline (docs/waf.md).",
      rules: [SHARED_INPUTS.apiThrottlingRateLimit.rule],
    },
    {
      name: "api_throttling_burst_limit", type: "number", default: SHARED_INPUTS.apiThrottlingBurstLimit.default,
      description: "Burst of requests the webhook stage accepts; the default takes the queued deliveries of a 1,000-job matrix at once.",
      rules: [SHARED_INPUTS.apiThrottlingBurstLimit.rule],
    },
    {
      name: "manage_api_gateway_account", type: "bool", default: false,
      description: "Create the regional API Gateway account setting with a CloudWatch Logs role. Access logs need it once per account and region; leave false where it exists.",
    },
    {
      name: "webhook_max_body_bytes", type: "number", default: SHARED_INPUTS.webhookMaxBodyBytes.default,
      description: "Largest webhook body accepted, in bytes; larger requests get 413.",
      rules: [SHARED_INPUTS.webhookMaxBodyBytes.rule],
    },
  ],
};

const CONTROL: InputGroup = {
  title: "Control plane",
  inputs: [
    {
      name: "draining", type: "bool", default: false,
      description: "Initial state of the draining switch, the /<prefix>/draining SSM parameter: true pauses launches (webhooks are still accepted and jobs stay queued). Terraform sets it only when it creates the parameter; afterwards operators flip the parameter at run time (aws ssm put-parameter --overwrite) and their value wins, so changing this variable later has no effect.",
    },
    {
      name: "max_runners_total", type: "number", default: 1000,
      description: "Most runners of all pools together. A job over the limit waits on its queue (back-off with jitter), it is not failed.",
      rules: [integerBetween(1, 100000)],
    },
    {
      name: "max_runners_per_owner", type: "number", default: 1000,
      description: "Most runners of one organization (org scope) or repository (repo scope) across pools; over it, jobs wait.",
      rules: [integerBetween(1, 100000)],
    },
    {
      name: "job_max_age_seconds", type: "number", default: 21600,
      description: "A job still waiting for a runner after this many seconds is reported (log, metric), marked failed in the ledger and moved to its pool's dead-letter queue with the reason.",
      rules: [integerBetween(300, 86400, " (GitHub drops jobs queued for 24 hours)")],
    },
    {
      name: "job_wait_max_seconds", type: "number", default: 900,
      description: "Longest back-off between two tries of a waiting job (draining, limits, GitHub budget, EC2 capacity).",
      rules: [integerBetween(30, 3600)],
    },
    {
      name: "github_min_remaining_requests", type: "number", default: 200,
      description: "GitHub API requests kept in reserve per App installation. Below it, launches slow down (jobs wait for the budget reset) instead of failing.",
      rules: [integerBetween(1, 100000)],
    },
    {
      name: "github_writes_per_minute", type: "number", default: 150,
      description: "GitHub writes (runner JIT configurations) per minute per App, shared by every scale-up environment through the write governor in the ledger table (docs/performance.md). GitHub allows 900 points a minute per REST endpoint and a POST costs 5, so 180; the default keeps a margin for the App's other writes. Several Apps (additional_github_apps) multiply it.",
      rules: [integerBetween(1, 160, " (with the largest github_write_burst, 10, the fleet then sends at most 177 writes in any 60 s, turns used late included, under the 180 that GitHub's 900 points a minute allow at 5 points a POST)")],
    },
    {
      name: "github_write_burst", type: "number", default: 10,
      description: "Most GitHub writes an App may make at once after a quiet period (one SQS batch at the default): the size of the write governor's bucket. In any 60 s the fleet sends at most github_writes_per_minute + github_write_burst writes per App, plus the turns of jobs back late (3/4 of what is left under GitHub's 180; 175 in all at the defaults, docs/performance.md).",
      rules: [integerBetween(1, 10, " (with github_writes_per_minute at most 160, at most 177 writes in any 60 s, turns used late included, under the 180 that GitHub's 900 points a minute allow at 5 points a POST)")],
    },
    {
      name: "busy_confirm_seconds", type: "number", default: 90,
      description: "A runner must look idle for this long (two reconciler sightings at least this far apart) before it is stopped: GitHub's busy flag lags a job start by up to a minute.",
      rules: [integerBetween(60, 3600, " (GitHub's busy flag lags up to a minute)")],
    },
    {
      name: "relaunch_grace_seconds", type: "number", default: 300,
      description: "Seconds after launch before the reconciler relaunches a job whose runner is gone or took another job, if GitHub still has the job queued.",
      rules: [integerBetween(60, 86400)],
    },
    {
      name: "webhook_healer_max_github_calls", type: "number", default: 30,
      description: "GitHub requests the webhook healer may make per reconcile round (docs/healer.md): it redelivers failed workflow_job deliveries and queues jobs GitHub reports queued whose delivery never arrived. With the default schedule (5 minutes) and 30, at most 360 an hour. 0 turns the healer off.",
      rules: [integerBetween(0, 1000)],
    },
    {
      name: "rerun_interrupted_jobs", type: "bool", default: true,
      description: "Re-run jobs that failed because their spot runner was reclaimed (spot interruption warning seen).",
    },
    {
      name: "reconcile_schedule_expression", type: "string", default: SHARED_INPUTS.reconcileScheduleExpression.default,
      description: "EventBridge schedule of the reconciler.",
      rules: [SHARED_INPUTS.reconcileScheduleExpression.rule],
    },
    {
      name: "runners_table_point_in_time_recovery", type: "bool", default: false,
      description: "Enable point-in-time recovery on the runners table.",
    },
    {
      name: "job_ledger_point_in_time_recovery", type: "bool", default: false,
      description: "Enable point-in-time recovery on the job ledger table.",
    },
  ],
};

const WAF: InputGroup = {
  title: "WAF",
  inputs: [
    {
      name: "enable_waf", type: "bool", default: true,
      description: "Put a WAFv2 web ACL in front of the webhook stage: per-IP rate limit, AWS managed IP reputation, known bad inputs, core and SQL injection rules (body rules count only), logged to CloudWatch Logs aws-waf-logs-<prefix>.",
    },
    {
      name: "waf_rate_limit", type: "number", default: SHARED_INPUTS.wafRateLimit.default,
      description: "Requests one source IP may send per waf_rate_limit_window_seconds before WAF blocks it. GitHub delivers an organization's webhooks from a handful of addresses and every job sends three (queued, in_progress, completed), so a 1,000-job burst is about 3,000 requests, possibly from one address: the default leaves more than three times that. GitHub's own addresses are limited too (anyone can send from them with a webhook of their own).",
      rules: [SHARED_INPUTS.wafRateLimit.rule],
    },
    {
      name: "waf_rate_limit_window_seconds", type: "number", default: SHARED_INPUTS.wafRateLimitWindowSeconds.default,
      description: "Evaluation window of waf_rate_limit, in seconds: one of 60, 120, 300, 600.",
      rules: [SHARED_INPUTS.wafRateLimitWindowSeconds.rule],
    },
    {
      name: "waf_github_hooks_allowlist", type: "bool", default: false,
      description: "Block every source address outside GitHub's webhook ranges (hooks of GET /meta at github_api_url). A scheduled function keeps two IP sets up to date and fills them during apply; it refuses empty or invalid lists, keeping the previous ranges. Needs enable_waf.",
    },
    {
      name: "waf_ip_set_refresh_schedule", type: "string", default: SHARED_INPUTS.wafIpSetRefreshSchedule.default,
      description: "EventBridge schedule of the function that refreshes the allowlist's IP sets from GitHub: rate(N minutes|hours|days) or cron(...).",
      rules: [SHARED_INPUTS.wafIpSetRefreshSchedule.rule],
    },
  ],
};

const AUDIT: InputGroup = {
  title: "Audit trail",
  inputs: [
    {
      name: "enable_cloudtrail", type: "bool", default: true,
      description: "Create a CloudTrail trail recording every management event (read and write) into a KMS-encrypted, versioned, TLS-only S3 bucket. Ignored when existing_cloudtrail_arn is set.",
    },
    {
      name: "existing_cloudtrail_arn", type: "string", default: SHARED_INPUTS.existingCloudTrailArn.default,
      description: "ARN of a trail that already records this account (an organization trail, say). When set, the module creates no trail, bucket or key and outputs this ARN as cloudtrail_arn.",
      rules: [SHARED_INPUTS.existingCloudTrailArn.rule],
    },
    {
      name: "cloudtrail_multi_region", type: "bool", default: true,
      description: "Make the trail record every region, not only the deployment's.",
    },
    {
      name: "cloudtrail_glacier_after_days", type: "number", default: SHARED_INPUTS.cloudTrailGlacierAfterDays.default,
      description: "Days after which trail log files move to S3 Glacier.",
      rules: [SHARED_INPUTS.cloudTrailGlacierAfterDays.rule],
    },
    {
      name: "cloudtrail_retention_days", type: "number", default: SHARED_INPUTS.cloudTrailRetentionDays.default,
      description: "Days after which trail log files are deleted; must be more than cloudtrail_glacier_after_days.",
      rules: [SHARED_INPUTS.cloudTrailRetentionDays.rule],
    },
    {
      name: "cloudtrail_cloudwatch_logs", type: "bool", default: false,
      description: "Also deliver trail events to a CloudWatch Logs group (retention log_retention_days), for metric filters and alarms.",
    },
  ],
};

const GROUPS: readonly InputGroup[] = [GENERAL, GITHUB, RUNNERS, RUNNER_IMAGES, ENCRYPTION, IAM, FUNCTIONS, WEBHOOK, ADMISSION, CONTROL, WAF, AUDIT, ENDPOINTS, NAT, OPERATIONS, BUILD_CACHE];

/** Banner titles and their variables, in order: the emitter's `variableGroups` option. */
export const INPUT_GROUPS: ReadonlyArray<{ readonly title: string; readonly variables: readonly string[] }> = GROUPS.map((group) => ({
  title: group.title,
  variables: group.inputs.flatMap((input) => (input.replaces === undefined ? [input.name] : [input.name, input.replaces])),
}));

/** Every input, in table order. */
export const INPUTS: readonly InputSpec[] = GROUPS.flatMap((group) => group.inputs);

/** The input of a SelfRunners prop. */
export function inputOfProp(prop: string): InputSpec | undefined {
  return INPUTS.find((input) => propName(input.name) === prop);
}

/** The default of a Terraform variable of the table (worlds and benchmarks model the defaults). */
export function inputDefault(variable: string): unknown {
  const input = INPUTS.find((candidate) => candidate.name === variable);
  if (input === undefined) throw new Error(`no input ${variable} in the table`);
  return input.default;
}
