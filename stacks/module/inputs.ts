/**
 * The one input table: every Terraform variable of the module and SelfRunners prop, in banner groups
 * and a stable order, with type, default, description and rules. module-stack.ts renders the
 * variables from it, SelfRunners validates and defaults its props from it (./props.ts), and the
 * emitter prints variables.tf in these groups (INPUT_GROUPS).
 */
import { RUNNER_SCOPES } from "../../contracts/common.js";
import { RULES } from "../errors.js";
import { poolsVariableType } from "../pools.js";
import { poolsValidation } from "../pools-rules.js";
import { emptyOr, nonEmptyList, oneOf } from "./rules.js";
import { ADMISSION } from "./inputs-admission.js";
import { CONTROL } from "./inputs-control-plane.js";
import { AUDIT, WAF } from "./inputs-security.js";
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
