import type { IResolvable } from "./cdktf.js";
import type { RunnerPoolProps } from "./pools.js";
import type { RunnerImageProps } from "./runner-images-spec.js";

// Props of SelfRunners, grouped as the module's variables are (stacks/module/inputs.ts). Each prop is the
// camelCase of its Terraform variable; defaults and rules live in the input table, not here.

/** Name, tags and build output of the whole kit. */
export interface GeneralProps {
  /**
   * Name prefix of every resource.
   * @default "self-runners"
   */
  readonly prefix?: string;
  /**
   * Tags for every resource.
   * @default {}
   */
  readonly tags?: Record<string, string>;
  /**
   * Directory holding lambdas/<name>.zip and layers/shared.zip built by `npm run build`; a relative
   * path is resolved against the working directory.
   * @default - the zips shipped next to the code: `lib/dist` in the npm package, `dist` in a checkout
   */
  readonly distDir?: string;
}

/** The GitHub App the kit authenticates as, its secrets and the API it talks to. */
export interface GitHubAppProps {
  /** GitHub App ID (numeric). */
  readonly githubAppId: string;
  /**
   * SecureString parameter with the App's private key.
   * @default "" (created as `/<prefix>/github-app/private-key` with a placeholder)
   */
  readonly githubAppPrivateKeySsmParameterName?: string;
  /**
   * SecureString parameter with the webhook secret.
   * @default "" (created as `/<prefix>/github-app/webhook-secret` with a placeholder)
   */
  readonly webhookSecretSsmParameterName?: string;
  /**
   * SecureString parameter with the previous webhook secret, accepted besides the current one while it
   * holds a real value (webhook secret rotation).
   * @default "" (created as `/<prefix>/github-app/webhook-secret-previous` with a placeholder)
   */
  readonly webhookPreviousSecretSsmParameterName?: string;
  /**
   * GitHub REST API base URL (GitHub Enterprise Server: `https://HOST/api/v3`).
   * @default "https://api.github.com"
   */
  readonly githubApiUrl?: string;
  /**
   * More GitHub Apps installed on the same owners; JIT configs go round robin across all Apps.
   * @default []
   */
  readonly additionalGitHubApps?: ReadonlyArray<{ readonly appId: string; readonly privateKeySsmParameterName: string }> | IResolvable;
  /**
   * Register runners at repository (`repo`), organization (`org`) or enterprise (`enterprise`) level.
   * @default "repo"
   */
  readonly runnerScope?: string;
  /**
   * Enterprise scope only (required there): the enterprise's slug; runners join each pool's enterprise runner group.
   * @default ""
   */
  readonly enterpriseSlug?: string;
  /**
   * Enterprise scope only (required there): existing SSM SecureString with a classic token
   * (`manage_runners:enterprise`); GitHub App installation tokens cannot manage enterprise runners.
   * @default ""
   */
  readonly enterpriseTokenSsmParameterName?: string;
}

/** Runner instances: network, pools, runner software and timeouts. */
export interface RunnerProps {
  /** VPC of the runner subnets. */
  readonly vpcId: string;
  /** Subnets for runners, ideally one per availability zone. */
  readonly runnerSubnetIds: string[];
  /**
   * Runner pools by key. Jobs are routed to the first pool (in key order) whose labels contain all
   * of the job's labels. Either literal pools or a Terraform expression already in the module's shape.
   */
  readonly pools: Record<string, RunnerPoolProps> | IResolvable;
  /**
   * Runner version the syncer copies into the runner binaries bucket, which runners install from:
   * "latest" or >= 2.329.0.
   * @default "latest"
   */
  readonly runnerVersion?: string;
  /**
   * When the runner binaries syncer checks GitHub for the release again (EventBridge schedule expression).
   * @default "rate(1 hour)"
   */
  readonly runnerBinariesSyncSchedule?: string;
  /**
   * Minutes after boot at which a runner that started no job shuts itself down.
   * @default 30
   */
  readonly runnerIdleTimeoutMinutes?: number;
  /**
   * Seconds an instance may take to come up and register; the reconciler terminates it after that.
   * @default 600
   */
  readonly runnerBootTimeoutSeconds?: number;
  /**
   * Give runners public IPs.
   * @default false
   */
  readonly associatePublicIpAddress?: boolean;
  /**
   * Let an Ubuntu runner whose AMI has no AWS CLI fall back to AWS's installer from awscli.amazonaws.com
   * when the bucket has no copy for its architecture (docs/runner-hosts.md).
   * @default false
   */
  readonly awsCliInternetFallback?: boolean;
  /**
   * Allow Session Manager shells on runners (a Session-Manager-only policy, never AmazonSSMManagedInstanceCore).
   * @default false
   */
  readonly enableSsmSessions?: boolean;
  /**
   * Ship each runner's bootstrap log, `_diag` logs and job marks to the log group
   * `/self-runners/<prefix>/runners` with the CloudWatch agent (where the AMI has its package), and
   * publish BootToRegistration and RegistrationFailures from the marks.
   * @default true
   */
  readonly enableRunnerLogs?: boolean;
}

/** Customer managed KMS encryption. */
export interface EncryptionProps {
  /**
   * Create a customer managed KMS key (rotation on) for the queues, the tables, the SSM parameters the
   * kit creates, every log group and the functions' environment; only the
   * kit's roles and `kmsKeyAdministratorArns` may use it. Ignored when `kmsKeyArn` names a key.
   * @default true
   */
  readonly createKmsKey?: boolean;
  /**
   * IAM role or user ARNs that may use the created key besides the kit's roles; include the principal
   * that runs Terraform.
   * @default [] (the IAM role or user running Terraform)
   */
  readonly kmsKeyAdministratorArns?: string[];
  /**
   * Use this existing customer managed KMS key for the same resources (see docs/security.md for the key
   * policy it needs). Must be known at plan time.
   * @default "" (none: AWS-managed encryption)
   */
  readonly kmsKeyArn?: string;
}

/** The Lambda functions: network placement, logs and concurrency. */
/** Settings of every IAM role the kit creates (enterprise service control policies often require them). */
export interface IamProps {
  /**
   * Managed policy ARN set as the permissions boundary of every role the kit creates.
   * @default "" (no boundary)
   */
  readonly permissionsBoundaryArn?: string;
  /**
   * Path of every role and instance profile the kit creates.
   * @default "/"
   */
  readonly iamRolePath?: string;
}

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

/** The WAF web ACL in front of the webhook stage. */
export interface WafProps {
  /**
   * Put a WAFv2 web ACL in front of the webhook stage (see {@link WebhookFirewall}).
   * @default true
   */
  readonly enableWaf?: boolean;
  /**
   * Requests one source IP may send per `wafRateLimitWindowSeconds` before WAF blocks it. GitHub
   * sends an organization's webhooks from few addresses (three per job), so keep it high.
   * @default 10000
   */
  readonly wafRateLimit?: number;
  /**
   * Evaluation window of the WAF rate limit, in seconds: 60, 120, 300 or 600.
   * @default 300
   */
  readonly wafRateLimitWindowSeconds?: number;
  /**
   * Block every source outside GitHub's webhook ranges (`hooks` of `GET /meta` at `githubApiUrl`),
   * kept in two IP sets by a scheduled function.
   * @default false
   */
  readonly wafGitHubHooksAllowlist?: boolean;
  /**
   * When the allowlist's IP sets are refreshed from GitHub (EventBridge schedule expression).
   * @default "rate(1 hour)"
   */
  readonly wafIpSetRefreshSchedule?: string;
}

/** The CloudTrail audit trail. */
export interface AuditProps {
  /**
   * Record the account's management events with a CloudTrail trail into an encrypted, versioned bucket
   * (see {@link AuditTrail}). Ignored when `existingCloudTrailArn` is set.
   * @default true
   */
  readonly enableCloudTrail?: boolean;
  /**
   * ARN of a trail that already records this account; nothing is created for the audit trail.
   * @default "" (none)
   */
  readonly existingCloudTrailArn?: string;
  /**
   * Record every region, not only the deployment's.
   * @default true
   */
  readonly cloudTrailMultiRegion?: boolean;
  /**
   * Days after which trail log files move to S3 Glacier.
   * @default 90
   */
  readonly cloudTrailGlacierAfterDays?: number;
  /**
   * Days after which trail log files are deleted; more than `cloudTrailGlacierAfterDays`.
   * @default 365
   */
  readonly cloudTrailRetentionDays?: number;
  /**
   * Also deliver trail events to a CloudWatch Logs group (retention `logRetentionDays`).
   * @default false
   */
  readonly cloudTrailCloudWatchLogs?: boolean;
}

/** VPC endpoints for private subnets (docs/networking.md). */
export interface VpcEndpointProps {
  /**
   * Create VPC endpoints (see {@link VpcEndpoints}) so functions and runners in private subnets reach
   * the AWS APIs without internet egress.
   * @default false
   */
  readonly createVpcEndpoints?: boolean;
  /**
   * Subnets for the interface endpoints, at most one per AZ.
   * @default []
   */
  readonly vpcEndpointSubnetIds?: string[];
  /**
   * Route tables that get the gateway endpoints (the private subnets' tables).
   * @default []
   */
  readonly vpcEndpointRouteTableIds?: string[];
  /**
   * Services reached through interface endpoints.
   * @default ["sqs", "ssm", "ec2", "logs", "sts", "kms"]
   */
  readonly vpcEndpointServices?: string[];
  /**
   * Services reached through gateway endpoints: `dynamodb` and/or `s3` (the runner binaries bucket).
   * @default ["dynamodb", "s3"]
   */
  readonly vpcEndpointGatewayServices?: string[];
  /**
   * Security groups allowed to reach the interface endpoints; empty allows the VPC's CIDR blocks.
   * @default []
   */
  readonly vpcEndpointSourceSecurityGroupIds?: string[];
}

/** NAT instances with per-AZ failover (docs/networking.md). */
export interface NatProps {
  /**
   * Egress through one NAT instance per AZ (see {@link NatInstances}) with per-AZ failover functions
   * (see {@link NatFailover}) instead of NAT Gateways.
   * @default false
   */
  readonly enableNatInstances?: boolean;
  /**
   * Public subnet per AZ for the NAT instances, keyed by AZ name.
   * @default {}
   */
  readonly natInstanceSubnetIds?: Record<string, string>;
  /**
   * Private route tables per AZ whose 0.0.0.0/0 route goes through that AZ's NAT instance.
   * @default {}
   */
  readonly natPrivateRouteTableIds?: Record<string, string[]>;
  /**
   * A private subnet per AZ (using one of that AZ's route tables) for the AZ's failover function.
   * @default {}
   */
  readonly natProbeSubnetIds?: Record<string, string>;
  /**
   * Instance type of the NAT instances.
   * @default "c6gn.medium"
   */
  readonly natInstanceType?: string;
  /**
   * A standby NAT Gateway per AZ, preferred over another AZ's NAT instance on failover.
   * @default {}
   */
  readonly natStandbyNatGatewayIds?: Record<string, string>;
  /**
   * Targets the failover probes: https://host[/path] or tcp://host:port.
   * @default ["https://api.github.com", "https://checkip.amazonaws.com"]
   */
  readonly natProbeUrls?: string[];
  /**
   * Seconds between probe rounds.
   * @default 5
   */
  readonly natProbeIntervalSeconds?: number;
  /**
   * Failed probe rounds in a row that trigger a failover.
   * @default 3
   */
  readonly natFailureThreshold?: number;
  /**
   * Seconds the home NAT must be usable before routes return to it.
   * @default 300
   */
  readonly natFailbackHoldDownSeconds?: number;
  /**
   * The VPC already has an EC2 interface endpoint with private DNS (the failover needs the EC2 API
   * while a NAT is down; otherwise create it with `createVpcEndpoints` and "ec2" in the services).
   * @default false
   */
  readonly natFailoverExistingEc2Endpoint?: boolean;
}

/** Alarms, SLOs and cost alerts (stacks/operations/, docs/alarms.md). */
export interface OperationsProps {
  /**
   * Existing SNS topic for every alarm and cost alert; its policy must let CloudWatch, Budgets and Cost
   * Anomaly Detection publish.
   * @default "" (the topic `<prefix>-alarms` is created)
   */
  readonly alarmTopicArn?: string;
  /**
   * Create the service alarms.
   * @default true
   */
  readonly enableAlarms?: boolean;
  /**
   * Where alarm descriptions point: each ends with `<runbookBaseUrl>#<alarm id>`.
   * @default "docs/runbooks.md"
   */
  readonly runbookBaseUrl?: string;
  /**
   * Age in seconds of a pool queue's oldest message above which queue-age-high fires.
   * @default 1800
   */
  readonly alarmQueueAgeSeconds?: number;
  /**
   * Remaining GitHub API requests of an App below which github-budget-low fires.
   * @default 1000
   */
  readonly alarmGitHubBudgetMin?: number;
  /**
   * Requests blocked by the web ACL in 5 minutes above which waf-blocked-spike fires.
   * @default 500
   */
  readonly alarmWafBlockedRequests?: number;
  /**
   * Create the SLOs' multi-window, multi-burn-rate alarms.
   * @default true
   */
  readonly enableSloAlarms?: boolean;
  /**
   * Time-to-runner SLO threshold in seconds.
   * @default 180
   */
  readonly sloTimeToRunnerSeconds?: number;
  /**
   * Percentage of jobs that must get a runner within `sloTimeToRunnerSeconds`.
   * @default 90
   */
  readonly sloTimeToRunnerPercent?: number;
  /**
   * Percentage of jobs that must get a runner at all.
   * @default 99.5
   */
  readonly sloDispatchSuccessPercent?: number;
  /**
   * Create the CloudWatch dashboard `<prefix>` (docs/alarms.md, "Dashboard").
   * @default true
   */
  readonly enableDashboard?: boolean;
  /**
   * Monthly cost budget in USD for the kit's tagged resources.
   * @default 0 (no budget)
   */
  readonly budgetMonthlyLimitUsd?: number;
  /**
   * Create a Cost Anomaly Detection monitor and subscription.
   * @default false
   */
  readonly enableCostAnomalyDetection?: boolean;
  /**
   * Total impact in USD above which a cost anomaly is sent.
   * @default 20
   */
  readonly costAnomalyThresholdUsd?: number;
  /**
   * Activate the kit's cost allocation tags (payer account only).
   * @default false
   */
  readonly activateCostAllocationTags?: boolean;
}

/** The build cache next to the runners (stacks/build-cache/, docs/build-cache.md). */
export interface BuildCacheInputProps {
  /**
   * Create the build cache: bucket, index table, cache function with an IAM-authenticated URL, and the
   * loopback agent on every Linux runner. Windows pools are refused while it is on.
   * @default false
   */
  readonly enableBuildCache?: boolean;
  /**
   * Size in GB a scope's (repository's or organization's) entries may take before the sweep evicts the
   * least recently used.
   * @default 10
   */
  readonly buildCacheBudgetGbPerScope?: number;
  /**
   * Days an entry is kept after its last read or write.
   * @default 7
   */
  readonly buildCacheRetentionDays?: number;
  /**
   * Client protocols the agent serves (contracts/build-cache.ts, BUILD_CACHE_PROTOCOLS).
   * @default ["actions", "turborepo", "nx", "bazel", "gradle", "http"]
   */
  readonly buildCacheProtocols?: string[];
  /**
   * Point-in-time recovery for the build cache's index table.
   * @default false
   */
  readonly buildCachePointInTimeRecovery?: boolean;
}

/** Baked runner images (stacks/runner-images.ts, docs/runner-images.md). */
export interface RunnerImagesInputProps {
  /**
   * Image definitions by key: one EC2 Image Builder pipeline each, publishing its AMI id to
   * `/<prefix>/runner-images/<key>` (runnerImageParameterName) for pools to use.
   * @default {}
   */
  readonly runnerImages?: Readonly<Record<string, RunnerImageProps>> | IResolvable;
}

/** Props of {@link SelfRunners}: flat, declared in groups. */
export interface SelfRunnersProps
  extends GeneralProps,
    IamProps,
    GitHubAppProps,
    RunnerProps,
    RunnerImagesInputProps,
    EncryptionProps,
    FunctionsProps,
    WebhookApiStageProps,
    AdmissionProps,
    ControlPlaneProps,
    WafProps,
    AuditProps,
    VpcEndpointProps,
    NatProps,
    OperationsProps,
    BuildCacheInputProps {}
