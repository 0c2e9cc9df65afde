import { Construct, type Node } from "constructs";
import { TerraformElement, TerraformLocal, TerraformOutput, TerraformStack, TerraformVariable, type TerraformVariableConfig } from "./cdktf.js";
import { AwsProvider } from "./aws.js";
import { LOG_RETENTION_DAYS, RULES, WAF_RATE_LIMIT, WAF_RATE_WINDOWS_SECONDS } from "./errors.js";
import { DEFAULT_NAT_INSTANCE_TYPE } from "./nat-instance.js";
import { DEFAULT_PROBE_TARGETS } from "./nat-failover.js";
import { DEFAULT_AMI_PARAMETER_FORMAT, WARM_SCHEDULE_PATTERN, poolsVariableType } from "./pools.js";
import { DEFAULT_INTERFACE_ENDPOINT_SERVICES, GATEWAY_ENDPOINT_SERVICES } from "./vpc-endpoints.js";
import { SelfRunners } from "./self-runners.js";

/** Props of {@link ModuleStack}. */
export interface ModuleStackProps {
  /**
   * Directory with the built zips, as the synthesized stack should reference them.
   * @default "dist"
   */
  readonly distDir?: string;
}

/** A bool variable as a construct prop: cdktf types it IResolvable, the props take boolean. */
function asBoolean(variable: TerraformVariable): boolean {
  return variable.booleanValue as unknown as boolean;
}

/** An HCL string literal for a regex pattern (backslashes doubled). */
function hclRegex(pattern: string): string {
  return JSON.stringify(pattern);
}

/** A validation block: `condition` is an HCL expression. */
function rule(condition: string, errorMessage: string): { condition: string; errorMessage: string } {
  return { condition: `\${${condition}}`, errorMessage };
}

/**
 * The stack `npm run build` turns into modules-out/terraform-aws-self-runners: every input of
 * {@link SelfRunners} as a typed, described, validated Terraform variable, and every value a caller
 * wires as an output. Logical ids are the construct path in snake_case, so addresses read
 * `aws_sqs_queue.job_jobs` rather than `aws_sqs_queue.selfrunners_job_jobs_A1B2C3D4`.
 */
export class ModuleStack extends TerraformStack {
  readonly runners: SelfRunners;

  constructor(scope: Construct, id: string, props: ModuleStackProps = {}) {
    super(scope, id);
    // Needed to synthesize; the emitter drops it, since a reusable module never configures providers.
    new AwsProvider(this, "aws", {});

    const v = (name: string, config: TerraformVariableConfig): TerraformVariable => new TerraformVariable(this, name, config);
    const prefix = v("prefix", {
      type: "string",
      default: "self-runners",
      description: "Name prefix of every resource (queues, functions, roles, launch templates, runner names).",
      validation: [rule(`can(regex(${hclRegex(RULES.prefix.pattern)}, var.prefix))`, `prefix must be ${RULES.prefix.allowed}.`)],
    });
    const githubAppId = v("github_app_id", {
      type: "string",
      description: "ID of the GitHub App the kit authenticates as (App settings page, 'App ID').",
      validation: [rule(`can(regex(${hclRegex(RULES.githubAppId.pattern)}, var.github_app_id))`, `github_app_id must be ${RULES.githubAppId.allowed}.`)],
    });
    const keyParameter = v("github_app_private_key_ssm_parameter_name", {
      type: "string",
      default: "",
      description: "Existing SSM SecureString parameter holding the GitHub App's PEM private key. Empty: the module creates /<prefix>/github-app/private-key with a placeholder for you to overwrite.",
      validation: [rule(`var.github_app_private_key_ssm_parameter_name == "" || can(regex(${hclRegex(RULES.ssmParameterName.pattern)}, var.github_app_private_key_ssm_parameter_name))`, `github_app_private_key_ssm_parameter_name must be empty or ${RULES.ssmParameterName.allowed}.`)],
    });
    const secretParameter = v("webhook_secret_ssm_parameter_name", {
      type: "string",
      default: "",
      description: "Existing SSM SecureString parameter holding the webhook secret. Empty: the module creates /<prefix>/github-app/webhook-secret with a placeholder for you to overwrite.",
      validation: [rule(`var.webhook_secret_ssm_parameter_name == "" || can(regex(${hclRegex(RULES.ssmParameterName.pattern)}, var.webhook_secret_ssm_parameter_name))`, `webhook_secret_ssm_parameter_name must be empty or ${RULES.ssmParameterName.allowed}.`)],
    });
    const previousSecretParameter = v("webhook_previous_secret_ssm_parameter_name", {
      type: "string",
      default: "",
      description: "Existing SSM SecureString parameter for the previous webhook secret, which the webhook also accepts while it holds a real value (see \"Rotating the webhook secret\" in the README). Empty: the module creates /<prefix>/github-app/webhook-secret-previous with a placeholder, which accepts nothing.",
      validation: [rule(`var.webhook_previous_secret_ssm_parameter_name == "" || can(regex(${hclRegex(RULES.ssmParameterName.pattern)}, var.webhook_previous_secret_ssm_parameter_name))`, `webhook_previous_secret_ssm_parameter_name must be empty or ${RULES.ssmParameterName.allowed}.`)],
    });
    const createKmsKey = v("create_kms_key", {
      type: "bool",
      default: false,
      description: "Create a customer managed KMS key (yearly rotation) for the job queues, the runners table, the SSM parameters the module creates, every log group and the functions' environment. Mutually exclusive with kms_key_arn; false and an empty kms_key_arn keep AWS-managed encryption.",
    });
    const kmsKeyArn = v("kms_key_arn", {
      type: "string",
      default: "",
      description: "ARN of an existing customer managed KMS key to use for the same resources as create_kms_key (its key policy must let CloudWatch Logs use it; see docs/security.md). Mutually exclusive with create_kms_key.",
      validation: [rule(`var.kms_key_arn == "" || can(regex(${hclRegex(RULES.kmsKeyArn.pattern)}, var.kms_key_arn))`, `kms_key_arn must be empty or ${RULES.kmsKeyArn.allowed}.`)],
    });
    const githubApiUrl = v("github_api_url", {
      type: "string",
      default: "https://api.github.com",
      description: "GitHub REST API base URL; for GitHub Enterprise Server use https://HOST/api/v3.",
      validation: [rule(`can(regex("^https://", var.github_api_url))`, "github_api_url must start with https://.")],
    });
    const runnerScope = v("runner_scope", {
      type: "string",
      default: "repo",
      description: "Register runners per repository (repo) or per organization (org). The App needs Administration (repo) or Self-hosted runners (org) write permission accordingly.",
      validation: [rule(`contains(["repo", "org"], var.runner_scope)`, "runner_scope must be \"repo\" or \"org\".")],
    });
    const vpcId = v("vpc_id", {
      type: "string",
      description: "VPC of the runner subnets.",
      validation: [rule(`can(regex(${hclRegex(RULES.vpcId.pattern)}, var.vpc_id))`, `vpc_id must be ${RULES.vpcId.allowed}.`)],
    });
    const runnerSubnetIds = v("runner_subnet_ids", {
      type: "list(string)",
      description: "Subnets for runner instances, ideally one per availability zone. Runners need outbound access to GitHub (NAT or public IPs).",
      validation: [rule(`length(var.runner_subnet_ids) > 0 && alltrue([for s in var.runner_subnet_ids : can(regex(${hclRegex(RULES.subnetId.pattern)}, s))])`, `runner_subnet_ids must hold at least one of ${RULES.subnetId.allowed}.`)],
    });
    // Read through local.pools_resolved below, which fills in the optional fields.
    v("pools", {
      type: poolsVariableType(),
      description: "Runner pools by key. A job goes to the first pool (in key order) whose labels contain every label of its runs-on (case-insensitive; self-hosted is implicit).",
      validation: [
        rule("length(var.pools) > 0", "pools must contain at least one pool."),
        rule(`alltrue([for k in keys(var.pools) : can(regex(${hclRegex(RULES.poolKey.pattern)}, k))])`, `Every pool key must be ${RULES.poolKey.allowed}.`),
        rule(`alltrue([for p in values(var.pools) : length(p.labels) > 0 && alltrue([for l in p.labels : can(regex(${hclRegex(RULES.label.pattern)}, l))])])`, `Every pool needs at least one label; labels are ${RULES.label.allowed}.`),
        rule(`alltrue([for p in values(var.pools) : length(p.instance_types) > 0 && alltrue([for t in p.instance_types : can(regex(${hclRegex(RULES.instanceType.pattern)}, t))])])`, `Every pool needs at least one instance type; ${RULES.instanceType.allowed}.`),
        rule("alltrue([for p in values(var.pools) : p.max_runners >= 1 && p.max_runners <= 10000 && floor(p.max_runners) == p.max_runners])", "max_runners must be a whole number from 1 to 10000."),
        rule(`alltrue([for p in values(var.pools) : contains(["x64", "arm64"], p.architecture)])`, "architecture must be \"x64\" or \"arm64\"."),
        rule("alltrue([for p in values(var.pools) : p.root_volume_size >= 8 && p.root_volume_size <= 16384])", "root_volume_size must be from 8 to 16384 GiB."),
        rule("alltrue([for p in values(var.pools) : p.warm_pool_size >= 0 && p.warm_pool_size <= 1000 && floor(p.warm_pool_size) == p.warm_pool_size])", "warm_pool_size must be a whole number from 0 to 1000."),
        rule(`alltrue([for p in values(var.pools) : p.warm_pool_size == 0 || length(p.warm_pool_owner) > 0])`, "warm_pool_owner (an organization, or owner/repo in repo scope) is required when warm_pool_size > 0."),
        rule(`alltrue([for p in values(var.pools) : can(regex(${hclRegex(WARM_SCHEDULE_PATTERN)}, p.warm_pool_schedule))])`, 'warm_pool_schedule must be empty (always) or UTC windows like "Mon-Fri 07:00-19:00", several separated by ";".'),
      ],
    });
    const lambdaSubnetIds = v("lambda_subnet_ids", {
      type: "list(string)",
      default: [],
      description: "Subnets for the Lambda functions. Empty keeps them outside any VPC; when set, they need a route to GitHub and the AWS APIs.",
      validation: [rule(`alltrue([for s in var.lambda_subnet_ids : can(regex(${hclRegex(RULES.subnetId.pattern)}, s))])`, `lambda_subnet_ids must be ${RULES.subnetId.allowed}.`)],
    });
    const lambdaSecurityGroupIds = v("lambda_security_group_ids", {
      type: "list(string)",
      default: [],
      description: "Security groups for the Lambda functions when lambda_subnet_ids is set.",
      validation: [rule(`alltrue([for s in var.lambda_security_group_ids : can(regex(${hclRegex(RULES.securityGroupId.pattern)}, s))])`, `lambda_security_group_ids must be ${RULES.securityGroupId.allowed}.`)],
    });
    const runnerVersion = v("runner_version", {
      type: "string",
      default: "latest",
      description: "Actions runner version installed at boot when the AMI has none. GitHub requires >= 2.329.0 to register and each release within 30 days, hence \"latest\".",
      validation: [rule(`can(regex(${hclRegex(RULES.runnerVersion.pattern)}, var.runner_version))`, `runner_version must be ${RULES.runnerVersion.allowed}.`)],
    });
    const idleTimeout = v("runner_idle_timeout_minutes", {
      type: "number",
      default: 30,
      description: "Minutes after boot at which a runner that has started no job shuts down (and terminates).",
      validation: [rule("var.runner_idle_timeout_minutes >= 5 && var.runner_idle_timeout_minutes <= 1440", "runner_idle_timeout_minutes must be from 5 to 1440.")],
    });
    const bootTimeout = v("runner_boot_timeout_seconds", {
      type: "number",
      default: 600,
      description: "Seconds an instance may take to boot and register; the reconciler terminates instances without a registration after that.",
      validation: [rule("var.runner_boot_timeout_seconds >= 60 && var.runner_boot_timeout_seconds <= 3600", "runner_boot_timeout_seconds must be from 60 to 3600.")],
    });
    const publicIp = v("associate_public_ip_address", { type: "bool", default: false, description: "Give runners public IP addresses (only for public subnets without NAT)." });
    const ssmSessions = v("enable_ssm_sessions", { type: "bool", default: false, description: "Attach AmazonSSMManagedInstanceCore to runners so operators can open Session Manager shells." });
    const logRetention = v("log_retention_days", {
      type: "number",
      default: 30,
      description: "Retention of every log group the module creates, in days.",
      validation: [rule(`contains([${LOG_RETENTION_DAYS.join(", ")}], var.log_retention_days)`, `log_retention_days must be one of ${LOG_RETENTION_DAYS.join(", ")}.`)],
    });
    const concurrency = (name: string, fallback: number, what: string): TerraformVariable =>
      v(name, {
        type: "number",
        default: fallback,
        description: `Reserved concurrency of the ${what} function; -1 leaves it unreserved.`,
        validation: [rule(`var.${name} == -1 || var.${name} >= 0`, `${name} must be -1 or a number >= 0.`)],
      });
    const webhookConcurrency = concurrency("webhook_reserved_concurrency", -1, "webhook");
    const scaleUpConcurrency = concurrency("scale_up_reserved_concurrency", -1, "scale-up");
    const reconcileConcurrency = concurrency("reconcile_reserved_concurrency", 1, "reconcile");
    const rateLimit = v("api_throttling_rate_limit", {
      type: "number",
      default: 100,
      description: "Steady-state requests per second the webhook stage accepts before answering 429.",
      validation: [rule("var.api_throttling_rate_limit >= 1 && var.api_throttling_rate_limit <= 10000", "api_throttling_rate_limit must be from 1 to 10000.")],
    });
    const burstLimit = v("api_throttling_burst_limit", {
      type: "number",
      default: 200,
      description: "Burst of requests the webhook stage accepts.",
      validation: [rule("var.api_throttling_burst_limit >= 1 && var.api_throttling_burst_limit <= 5000", "api_throttling_burst_limit must be from 1 to 5000.")],
    });
    const manageAccount = v("manage_api_gateway_account", {
      type: "bool",
      default: false,
      description: "Create the regional API Gateway account setting with a CloudWatch Logs role. Access logs need it once per account and region; leave false where it exists.",
    });
    const schedule = v("reconcile_schedule_expression", {
      type: "string",
      default: "rate(5 minutes)",
      description: "EventBridge schedule of the reconciler.",
      validation: [rule(`can(regex("^(rate\\\\([0-9]+ (minute|minutes|hour|hours)\\\\)|cron\\\\(.+\\\\))$", var.reconcile_schedule_expression))`, "reconcile_schedule_expression must be rate(N minutes|hours) or cron(...).")],
    });
    const maxBody = v("webhook_max_body_bytes", {
      type: "number",
      default: 262144,
      description: "Largest webhook body accepted, in bytes; larger requests get 413.",
      validation: [rule("var.webhook_max_body_bytes >= 1024 && var.webhook_max_body_bytes <= 10485760", "webhook_max_body_bytes must be from 1024 to 10485760.")],
    });
    const pitr = v("runners_table_point_in_time_recovery", { type: "bool", default: false, description: "Enable point-in-time recovery on the runners table." });
    const enableCloudTrail = v("enable_cloudtrail", {
      type: "bool",
      default: true,
      description: "Create a CloudTrail trail recording every management event (read and write) into a KMS-encrypted, versioned, TLS-only S3 bucket. Ignored when existing_cloudtrail_arn is set.",
    });
    const existingTrailArn = v("existing_cloudtrail_arn", {
      type: "string",
      default: "",
      description: "ARN of a trail that already records this account (an organization trail, say). When set, the module creates no trail, bucket or key and outputs this ARN as cloudtrail_arn.",
      validation: [rule(`var.existing_cloudtrail_arn == "" || can(regex(${hclRegex(RULES.cloudTrailArn.pattern)}, var.existing_cloudtrail_arn))`, `existing_cloudtrail_arn must be empty or ${RULES.cloudTrailArn.allowed}.`)],
    });
    const trailMultiRegion = v("cloudtrail_multi_region", { type: "bool", default: true, description: "Make the trail record every region, not only the deployment's." });
    const glacierAfterDays = v("cloudtrail_glacier_after_days", {
      type: "number",
      default: 90,
      description: "Days after which trail log files move to S3 Glacier.",
      validation: [rule("var.cloudtrail_glacier_after_days >= 1 && var.cloudtrail_glacier_after_days <= 3650 && floor(var.cloudtrail_glacier_after_days) == var.cloudtrail_glacier_after_days", "cloudtrail_glacier_after_days must be a whole number from 1 to 3650.")],
    });
    const trailRetentionDays = v("cloudtrail_retention_days", {
      type: "number",
      default: 365,
      description: "Days after which trail log files are deleted; must be more than cloudtrail_glacier_after_days.",
      validation: [rule("var.cloudtrail_retention_days >= 2 && var.cloudtrail_retention_days <= 3650 && floor(var.cloudtrail_retention_days) == var.cloudtrail_retention_days", "cloudtrail_retention_days must be a whole number from 2 to 3650.")],
    });
    const trailCloudWatchLogs = v("cloudtrail_cloudwatch_logs", {
      type: "bool",
      default: false,
      description: "Also deliver trail events to a CloudWatch Logs group (retention log_retention_days), for metric filters and alarms.",
    });
    // Control plane (docs/reliability.md).
    const draining = v("draining", {
      type: "bool",
      default: false,
      description: "Pause launches: webhooks are still accepted and jobs stay queued until this (or the /<prefix>/draining SSM parameter, which operators can flip without Terraform) is false again. For maintenance windows.",
    });
    const wholeNumber = (name: string, fallback: number, min: number, max: number, description: string): TerraformVariable =>
      v(name, {
        type: "number",
        default: fallback,
        description,
        validation: [rule(`var.${name} >= ${min} && var.${name} <= ${max} && floor(var.${name}) == var.${name}`, `${name} must be a whole number from ${min} to ${max}.`)],
      });
    const maxTotal = wholeNumber("max_runners_total", 1000, 1, 100000, "Most runners of all pools together. A job over the limit waits on its queue (back-off with jitter), it is not failed.");
    const maxPerOwner = wholeNumber("max_runners_per_owner", 1000, 1, 100000, "Most runners of one organization (org scope) or repository (repo scope) across pools; over it, jobs wait.");
    const maxAge = wholeNumber("job_max_age_seconds", 21600, 300, 86400, "A job still waiting for a runner after this many seconds is reported (log, metric), marked failed in the ledger and moved to its pool's dead-letter queue with the reason.");
    const waitMax = wholeNumber("job_wait_max_seconds", 900, 30, 3600, "Longest back-off between two tries of a waiting job (draining, limits, GitHub budget, EC2 capacity).");
    const minRemaining = wholeNumber("github_min_remaining_requests", 200, 1, 100000, "GitHub API requests kept in reserve per App installation. Below it, launches slow down (jobs wait for the budget reset) instead of failing.");
    const additionalApps = v("additional_github_apps", {
      type: "list(object({ app_id = string, private_key_ssm_parameter_name = string }))",
      default: [],
      description: "More GitHub Apps, installed on the same organizations or repositories, to raise the API ceiling: JIT runner configs go round robin across github_app_id and these (GitHub allows about 10,000 runner configs per hour per App). Only github_app_id needs the webhook.",
      validation: [
        rule(`alltrue([for a in var.additional_github_apps : can(regex(${hclRegex(RULES.githubAppId.pattern)}, a.app_id)) && can(regex(${hclRegex(RULES.ssmParameterName.pattern)}, a.private_key_ssm_parameter_name))])`, `Every additional App needs app_id ${RULES.githubAppId.allowed} and private_key_ssm_parameter_name ${RULES.ssmParameterName.allowed}.`),
      ],
    });
    const busyConfirm = wholeNumber("busy_confirm_seconds", 90, 60, 3600, "A runner must look idle for this long (two reconciler sightings at least this far apart) before it is stopped: GitHub's busy flag lags a job start by up to a minute.");
    const relaunchGrace = wholeNumber("relaunch_grace_seconds", 300, 60, 86400, "Seconds after launch before the reconciler relaunches a job whose runner is gone or took another job, if GitHub still has the job queued.");
    const rerunInterrupted = v("rerun_interrupted_jobs", { type: "bool", default: true, description: "Re-run jobs that failed because their spot runner was reclaimed (spot interruption warning seen)." });
    const ledgerPitr = v("job_ledger_point_in_time_recovery", { type: "bool", default: false, description: "Enable point-in-time recovery on the job ledger table." });
    const enableWaf = v("enable_waf", {
      type: "bool",
      default: true,
      description: "Put a WAFv2 web ACL in front of the webhook stage: per-IP rate limit, AWS managed IP reputation, known bad inputs, core and SQL injection rules (body rules count only), logged to CloudWatch Logs aws-waf-logs-<prefix>.",
    });
    const wafRateLimit = v("waf_rate_limit", {
      type: "number",
      default: 10000,
      description: "Requests one source IP may send per waf_rate_limit_window_seconds before WAF blocks it. GitHub delivers an organization's webhooks from a handful of addresses and every job sends three (queued, in_progress, completed), so a 1,000-job burst is about 3,000 requests, possibly from one address: the default leaves more than three times that. Lower it only together with waf_github_hooks_allowlist, which exempts GitHub's own addresses.",
      validation: [rule(`var.waf_rate_limit >= ${WAF_RATE_LIMIT.min} && var.waf_rate_limit <= ${WAF_RATE_LIMIT.max} && floor(var.waf_rate_limit) == var.waf_rate_limit`, `waf_rate_limit must be a whole number from ${WAF_RATE_LIMIT.min} to ${WAF_RATE_LIMIT.max}.`)],
    });
    const wafRateWindow = v("waf_rate_limit_window_seconds", {
      type: "number",
      default: 300,
      description: `Evaluation window of waf_rate_limit, in seconds: one of ${WAF_RATE_WINDOWS_SECONDS.join(", ")}.`,
      validation: [rule(`contains([${WAF_RATE_WINDOWS_SECONDS.join(", ")}], var.waf_rate_limit_window_seconds)`, `waf_rate_limit_window_seconds must be one of ${WAF_RATE_WINDOWS_SECONDS.join(", ")}.`)],
    });
    const wafAllowlist = v("waf_github_hooks_allowlist", {
      type: "bool",
      default: false,
      description: "Block every source address outside GitHub's webhook ranges (hooks of GET /meta at github_api_url). A scheduled function keeps two IP sets up to date and fills them during apply; it refuses empty or invalid lists, keeping the previous ranges. Needs enable_waf.",
    });
    const wafRefresh = v("waf_ip_set_refresh_schedule", {
      type: "string",
      default: "rate(1 hour)",
      description: `EventBridge schedule of the function that refreshes the allowlist's IP sets from GitHub: ${RULES.scheduleExpression.allowed}.`,
      validation: [rule(`can(regex(${hclRegex(RULES.scheduleExpression.pattern)}, var.waf_ip_set_refresh_schedule))`, `waf_ip_set_refresh_schedule must be ${RULES.scheduleExpression.allowed}.`)],
    });
    const tags = v("tags", { type: "map(string)", default: {}, description: "Tags for every resource." });

    // Networking (docs/networking.md): VPC endpoints and NAT instances with failover, all off by default.
    const azMapOf = (name: string, valueRule: { pattern: string; allowed: string }, what: string) =>
      rule(
        `alltrue([for az, id in var.${name} : can(regex(${hclRegex(RULES.availabilityZone.pattern)}, az)) && can(regex(${hclRegex(valueRule.pattern)}, id))])`,
        `${name} must map ${RULES.availabilityZone.allowed} to ${what}: ${valueRule.allowed}.`,
      );
    const wholeBetween = (name: string, min: number, max: number) =>
      rule(`var.${name} >= ${min} && var.${name} <= ${max} && floor(var.${name}) == var.${name}`, `${name} must be a whole number from ${min} to ${max}.`);
    const createVpcEndpoints = v("create_vpc_endpoints", {
      type: "bool",
      default: false,
      description: "Create VPC endpoints so the functions and runners in private subnets reach the AWS APIs without internet egress: interface endpoints (private DNS on) for vpc_endpoint_services and gateway endpoints for vpc_endpoint_gateway_services. Only GitHub then needs egress.",
    });
    const endpointSubnets = v("vpc_endpoint_subnet_ids", {
      type: "list(string)",
      default: [],
      description: "Subnets for the interface endpoints, at most one per AZ (usually the private subnets of the functions and runners). Required when create_vpc_endpoints is true.",
      validation: [rule(`alltrue([for s in var.vpc_endpoint_subnet_ids : can(regex(${hclRegex(RULES.subnetId.pattern)}, s))])`, `vpc_endpoint_subnet_ids must be ${RULES.subnetId.allowed}.`)],
    });
    const endpointRouteTables = v("vpc_endpoint_route_table_ids", {
      type: "list(string)",
      default: [],
      description: "Route tables of the private subnets; they get the gateway endpoints' routes. Empty creates no gateway endpoint.",
      validation: [rule(`alltrue([for id in var.vpc_endpoint_route_table_ids : can(regex(${hclRegex(RULES.routeTableId.pattern)}, id))])`, `vpc_endpoint_route_table_ids must be ${RULES.routeTableId.allowed}.`)],
    });
    const endpointServices = v("vpc_endpoint_services", {
      type: "list(string)",
      default: DEFAULT_INTERFACE_ENDPOINT_SERVICES,
      description: "Services reached through interface endpoints (com.amazonaws.<region>.<service>): sqs (webhook), ssm (secrets, Session Manager), ec2 (scale-up, reconcile, NAT failover), logs, sts and kms (jobs and SDKs). Each costs about $0.01 per AZ-hour; add ssmmessages and ec2messages for Session Manager shells.",
      validation: [rule(`alltrue([for s in var.vpc_endpoint_services : can(regex(${hclRegex(RULES.vpcEndpointService.pattern)}, s))])`, `vpc_endpoint_services must be ${RULES.vpcEndpointService.allowed}.`)],
    });
    const endpointGatewayServices = v("vpc_endpoint_gateway_services", {
      type: "list(string)",
      default: ["dynamodb"],
      description: "Services reached through (free) gateway endpoints on vpc_endpoint_route_table_ids: dynamodb (the runners table) and/or s3 (package repositories, ECR layers).",
      validation: [rule(`alltrue([for s in var.vpc_endpoint_gateway_services : contains(${JSON.stringify(GATEWAY_ENDPOINT_SERVICES)}, s)])`, `vpc_endpoint_gateway_services may contain only ${GATEWAY_ENDPOINT_SERVICES.map((g) => `"${g}"`).join(" and ")}.`)],
    });
    const endpointSourceGroups = v("vpc_endpoint_source_security_group_ids", {
      type: "list(string)",
      default: [],
      description: "Security groups allowed to connect (HTTPS) to the interface endpoints. Empty allows the VPC's CIDR blocks.",
      validation: [rule(`alltrue([for s in var.vpc_endpoint_source_security_group_ids : can(regex(${hclRegex(RULES.securityGroupId.pattern)}, s))])`, `vpc_endpoint_source_security_group_ids must be ${RULES.securityGroupId.allowed}.`)],
    });
    const natEnabled = v("nat_instance_enabled", {
      type: "bool",
      default: false,
      description: "Give the private subnets egress through one NAT instance per AZ (Auto Scaling group of one) instead of NAT Gateways, with a failover function per AZ that moves the AZ's default routes to a healthy NAT within seconds and back after a hold-down. Needs the EC2 API reachable without NAT (create_vpc_endpoints with \"ec2\", or nat_failover_existing_ec2_endpoint).",
    });
    const natSubnets = v("nat_instance_subnet_ids", {
      type: "map(string)",
      default: {},
      description: "Public subnet per AZ for the NAT instances, keyed by AZ name, e.g. { \"eu-west-1a\" = \"subnet-...\" }: one NAT instance each.",
      validation: [azMapOf("nat_instance_subnet_ids", RULES.subnetId, "a public subnet")],
    });
    const natRouteTables = v("nat_private_route_table_ids", {
      type: "map(list(string))",
      default: {},
      description: "Private route tables per AZ, keyed by AZ name, e.g. { \"eu-west-1a\" = [\"rtb-...\"] }. Their 0.0.0.0/0 route goes through that AZ's NAT instance: the instance creates it at boot when missing (or replaces it when dead), the failover function moves it. Every AZ here needs an entry in nat_instance_subnet_ids and nat_probe_subnet_ids.",
      validation: [
        rule(
          `alltrue([for az, ids in var.nat_private_route_table_ids : can(regex(${hclRegex(RULES.availabilityZone.pattern)}, az)) && alltrue([for id in ids : can(regex(${hclRegex(RULES.routeTableId.pattern)}, id))])])`,
          `nat_private_route_table_ids must map ${RULES.availabilityZone.allowed} to lists of ${RULES.routeTableId.allowed}.`,
        ),
      ],
    });
    const natProbeSubnets = v("nat_probe_subnet_ids", {
      type: "map(string)",
      default: {},
      description: "A private subnet per AZ, keyed by AZ name, whose route table is one of that AZ's nat_private_route_table_ids: the AZ's failover function runs there, so its probes take the AZ's egress path.",
      validation: [azMapOf("nat_probe_subnet_ids", RULES.subnetId, "a private subnet")],
    });
    const natInstanceType = v("nat_instance_type", {
      type: "string",
      default: DEFAULT_NAT_INSTANCE_TYPE,
      description: "Instance type of the NAT instances. Default c6gn.medium: Graviton, network-optimised, 1.6 Gbps sustained (bursts to 16 Gbps) for about a NAT Gateway's hourly price; a t4g.nano sustains only ~32 Mbps, too little for container pulls and package downloads. The AMI (Amazon Linux 2023) follows the type's architecture.",
      validation: [rule(`can(regex(${hclRegex(RULES.instanceType.pattern)}, var.nat_instance_type))`, `nat_instance_type must be ${RULES.instanceType.allowed}.`)],
    });
    const natStandby = v("nat_standby_nat_gateway_ids", {
      type: "map(string)",
      default: {},
      description: "Optional NAT Gateway per AZ, keyed by AZ name, that the failover prefers over another AZ's NAT instance (it keeps traffic in the AZ, at NAT Gateway prices while in use).",
      validation: [azMapOf("nat_standby_nat_gateway_ids", RULES.natGatewayId, "a NAT Gateway")],
    });
    const natProbeUrls = v("nat_probe_urls", {
      type: "list(string)",
      default: DEFAULT_PROBE_TARGETS,
      description: "What the failover probes from each AZ: https://host[/path] (any HTTP answer counts) or tcp://host:port. A probe round fails only when none answers, so one target's outage is not a NAT failure.",
      validation: [rule(`length(var.nat_probe_urls) > 0 && alltrue([for u in var.nat_probe_urls : can(regex(${hclRegex(RULES.probeTarget.pattern)}, u))])`, `nat_probe_urls must hold at least one of ${RULES.probeTarget.allowed}.`)],
    });
    const natProbeInterval = v("nat_probe_interval_seconds", {
      type: "number",
      default: 5,
      description: "Seconds between probe rounds; each probe times out after min(3, interval - 1) s. Worst-case detection of a NAT that stops forwarding: nat_failure_threshold x interval + timeout (18 s by default).",
      validation: [wholeBetween("nat_probe_interval_seconds", 2, 30)],
    });
    const natThreshold = v("nat_failure_threshold", {
      type: "number",
      default: 3,
      description: "Failed probe rounds in a row that count as loss of egress. A stopped or terminated NAT instance is acted on at once, without probes.",
      validation: [wholeBetween("nat_failure_threshold", 1, 20)],
    });
    const natHoldDown = v("nat_failback_hold_down_seconds", {
      type: "number",
      default: 300,
      description: "Seconds the AZ's own NAT instance must be healthy (and, after failed probes, seconds since it was abandoned) before its routes return to it: at most one failover/failback cycle per period.",
      validation: [wholeBetween("nat_failback_hold_down_seconds", 30, 86400)],
    });
    const natExistingEc2Endpoint = v("nat_failover_existing_ec2_endpoint", {
      type: "bool",
      default: false,
      description: "Set true when the VPC already has an EC2 interface endpoint with private DNS. The failover must reach the EC2 API while a NAT is down; without this or create_vpc_endpoints with \"ec2\", nat_instance_enabled is refused.",
    });

    // Optional pool fields resolved once, so every resource reads complete pools.
    const normalizedPools = new TerraformLocal(
      this,
      "pools_resolved",
      `\${{ for key, pool in var.pools : key => merge(pool, { ami_ssm_parameter = pool.ami_ssm_parameter != null ? pool.ami_ssm_parameter : format("${DEFAULT_AMI_PARAMETER_FORMAT}", pool.architecture == "arm64" ? "arm64" : "x86_64"), subnet_ids = pool.subnet_ids != null ? pool.subnet_ids : var.runner_subnet_ids }) }}`,
    );

    this.runners = new SelfRunners(this, "runners", {
      distDir: props.distDir,
      prefix: prefix.stringValue,
      githubAppId: githubAppId.stringValue,
      githubAppPrivateKeySsmParameterName: keyParameter.stringValue,
      webhookSecretSsmParameterName: secretParameter.stringValue,
      webhookPreviousSecretSsmParameterName: previousSecretParameter.stringValue,
      createKmsKey: asBoolean(createKmsKey),
      kmsKeyArn: kmsKeyArn.stringValue,
      githubApiUrl: githubApiUrl.stringValue,
      runnerScope: runnerScope.stringValue,
      vpcId: vpcId.stringValue,
      runnerSubnetIds: runnerSubnetIds.listValue,
      pools: normalizedPools.expression,
      lambdaSubnetIds: lambdaSubnetIds.listValue,
      lambdaSecurityGroupIds: lambdaSecurityGroupIds.listValue,
      runnerVersion: runnerVersion.stringValue,
      runnerIdleTimeoutMinutes: idleTimeout.numberValue,
      runnerBootTimeoutSeconds: bootTimeout.numberValue,
      associatePublicIpAddress: asBoolean(publicIp),
      enableSsmSessions: asBoolean(ssmSessions),
      logRetentionDays: logRetention.numberValue,
      webhookReservedConcurrency: webhookConcurrency.numberValue,
      scaleUpReservedConcurrency: scaleUpConcurrency.numberValue,
      reconcileReservedConcurrency: reconcileConcurrency.numberValue,
      apiThrottlingRateLimit: rateLimit.numberValue,
      apiThrottlingBurstLimit: burstLimit.numberValue,
      manageApiGatewayAccount: asBoolean(manageAccount),
      reconcileScheduleExpression: schedule.stringValue,
      webhookMaxBodyBytes: maxBody.numberValue,
      runnersTablePointInTimeRecovery: asBoolean(pitr),
      enableCloudTrail: asBoolean(enableCloudTrail),
      existingCloudTrailArn: existingTrailArn.stringValue,
      cloudTrailMultiRegion: asBoolean(trailMultiRegion),
      cloudTrailGlacierAfterDays: glacierAfterDays.numberValue,
      cloudTrailRetentionDays: trailRetentionDays.numberValue,
      cloudTrailCloudWatchLogs: asBoolean(trailCloudWatchLogs),
      draining: asBoolean(draining),
      maxRunnersTotal: maxTotal.numberValue,
      maxRunnersPerOwner: maxPerOwner.numberValue,
      jobMaxAgeSeconds: maxAge.numberValue,
      jobWaitMaxSeconds: waitMax.numberValue,
      githubMinRemainingRequests: minRemaining.numberValue,
      additionalGitHubApps: additionalApps.value,
      busyConfirmSeconds: busyConfirm.numberValue,
      relaunchGraceSeconds: relaunchGrace.numberValue,
      rerunInterruptedJobs: asBoolean(rerunInterrupted),
      jobLedgerPointInTimeRecovery: asBoolean(ledgerPitr),
      createVpcEndpoints: asBoolean(createVpcEndpoints),
      vpcEndpointSubnetIds: endpointSubnets.listValue,
      vpcEndpointRouteTableIds: endpointRouteTables.listValue,
      vpcEndpointServices: endpointServices.listValue,
      vpcEndpointGatewayServices: endpointGatewayServices.listValue,
      vpcEndpointSourceSecurityGroupIds: endpointSourceGroups.listValue,
      natInstanceEnabled: asBoolean(natEnabled),
      natInstanceSubnetIds: natSubnets.value,
      natPrivateRouteTableIds: natRouteTables.value,
      natProbeSubnetIds: natProbeSubnets.value,
      natInstanceType: natInstanceType.stringValue,
      natStandbyNatGatewayIds: natStandby.value,
      natProbeUrls: natProbeUrls.listValue,
      natProbeIntervalSeconds: natProbeInterval.numberValue,
      natFailureThreshold: natThreshold.numberValue,
      natFailbackHoldDownSeconds: natHoldDown.numberValue,
      natFailoverExistingEc2Endpoint: asBoolean(natExistingEc2Endpoint),
      enableWaf: asBoolean(enableWaf),
      wafRateLimit: wafRateLimit.numberValue,
      wafRateLimitWindowSeconds: wafRateWindow.numberValue,
      wafGitHubHooksAllowlist: asBoolean(wafAllowlist),
      wafIpSetRefreshSchedule: wafRefresh.stringValue,
      tags: tags.value,
    });

    const r = this.runners;
    // Outputs live in their own scope because variables and outputs may share a name.
    const outputs = new Construct(this, "outputs");
    const out = (name: string, value: unknown, description: string): TerraformOutput =>
      new TerraformOutput(outputs, name, { value, description });
    out("webhook_url", r.api.webhookUrl, "Payload URL to paste into the GitHub App's webhook settings.");
    out("webhook_secret_ssm_parameter_name", r.secrets.webhookSecretParameterName, "SSM SecureString parameter holding the webhook secret (set the same value in the GitHub App).");
    out("webhook_previous_secret_ssm_parameter_name", r.secrets.previousWebhookSecretParameterName, "SSM SecureString parameter for the previous webhook secret during a rotation (the placeholder outside one).");
    out("kms_key_arn", r.encryption.keyArnOrEmpty, "ARN of the customer managed KMS key in use (created or given); empty when AWS-managed encryption is used.");
    out("github_app_private_key_ssm_parameter_name", r.secrets.privateKeyParameterName, "SSM SecureString parameter holding the GitHub App's private key (PEM).");
    out("queue_urls", r.queues.queueUrls, "Job queue URL per pool.");
    out("queue_arns", r.queues.queueArns, "Job queue ARN per pool.");
    out("dead_letter_queue_arns", r.queues.deadLetterQueueArns, "Dead-letter queue ARN per pool; alarm on their depth.");
    out("runners_table_name", r.table.table.name, "DynamoDB table of launched runners.");
    out("webhook_function_name", r.webhook.function.functionName, "Name of the webhook function.");
    out("scale_up_function_name", r.scaleUp.function.functionName, "Name of the scale-up function.");
    out("reconcile_function_name", r.reconcile.function.functionName, "Name of the reconcile function.");
    out("webhook_role_arn", r.webhook.role.arn, "IAM role ARN of the webhook function.");
    out("scale_up_role_arn", r.scaleUp.role.arn, "IAM role ARN of the scale-up function.");
    out("reconcile_role_arn", r.reconcile.role.arn, "IAM role ARN of the reconcile function.");
    out("runner_role_arn", r.fleet.role.arn, "IAM role ARN of runner instances; attach policies here for jobs that need AWS access.");
    out("runner_instance_profile_arn", r.fleet.instanceProfile.arn, "Instance profile ARN of runner instances.");
    out("runner_security_group_id", r.fleet.securityGroup.id, "Security group of runner instances; allow it where runners must connect.");
    out("launch_template_ids", r.fleet.launchTemplateIds, "Launch template id per pool.");
    out("jobs_table_name", r.ledger.table.name, "DynamoDB job ledger table: one item per job attempt with its phase and side effects (docs/reliability.md).");
    out("draining_ssm_parameter_name", r.drainingSwitch.parameterName, "SSM parameter holding the draining switch (\"true\" pauses launches).");
    out("spot_interruption_function_name", r.spotInterruption.function.functionName, "Name of the spot interruption function.");
    out("cloudtrail_arn", r.audit.trailArn, "ARN of the audit trail: the one created, or existing_cloudtrail_arn; empty when enable_cloudtrail is false and none is given.");
    out("cloudtrail_bucket_name", r.audit.bucketName, "S3 bucket holding the trail's log files; empty when no trail is created.");
    out("vpc_endpoint_ids", r.endpoints.endpointIds, "VPC endpoint id per service (interface and gateway); empty when create_vpc_endpoints is false.");
    out("vpc_endpoint_security_group_id", r.endpoints.securityGroupId, "Security group of the interface endpoints; empty when create_vpc_endpoints is false.");
    out("nat_autoscaling_group_names", r.nat.autoscalingGroupNames, "Auto Scaling group of the NAT instance per AZ; empty when nat_instance_enabled is false.");
    out("nat_security_group_id", r.nat.securityGroupId, "Security group of the NAT instances; empty when nat_instance_enabled is false.");
    out("nat_failover_function_names", r.natFailover.functionNames, "NAT failover function per AZ; empty when nat_instance_enabled is false.");
    out("web_acl_arn", r.firewall.webAclArn, "ARN of the WAF web ACL in front of the webhook stage; empty when enable_waf is false.");
    out("waf_log_group_name", r.firewall.logGroupName, "CloudWatch Logs group of the WAF request logs (aws-waf-logs-<prefix>); empty when enable_waf is false.");
  }

  /** Logical ids from the construct path below the composition, in snake_case, e.g. `job_dlq`. */
  protected override allocateLogicalId(element: TerraformElement | Node): string {
    const node = TerraformElement.isTerraformElement(element) ? element.node : (element as Node);
    if (element instanceof TerraformOutput || element instanceof TerraformVariable) return node.id;
    const path = node.scopes.slice(node.scopes.indexOf(this) + 1).map((s) => s.node.id);
    const inRunners = path[0] === "runners" ? path.slice(1) : path;
    const parts = inRunners.filter((part, i) => part !== inRunners[i - 1]);
    return parts.join("_").replace(/-/g, "_");
  }
}
