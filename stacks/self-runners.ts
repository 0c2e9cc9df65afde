import { Construct } from "constructs";
import { Fn, Op, TerraformIterator, Token, type IResolvable } from "./cdktf.js";
import { LambdaEventSourceMapping } from "./aws.js";
import { AuditTrail } from "./audit-trail.js";
import { AwsContext } from "./aws-context.js";
import { EncryptionKey } from "./encryption-key.js";
import { allOf } from "./conditions.js";
import { RULES, integerBetween, matches, validateProps } from "./errors.js";
import { DrainingSwitch } from "./draining-switch.js";
import { GitHubAppSecrets } from "./github-app-secrets.js";
import { JobLedger } from "./job-ledger.js";
import { NatFailover } from "./nat-failover.js";
import { NatInstances } from "./nat-instance.js";
import { NodejsFunction } from "./nodejs-function.js";
import { normalizePools, type PoolMap, type RunnerPoolProps } from "./pools.js";
import { ReconcileSchedule } from "./reconcile-schedule.js";
import { RunnerFleet } from "./runner-fleet.js";
import { RunnerQueues } from "./runner-queue.js";
import { RunnersTable } from "./runners-table.js";
import { SharedLayer } from "./shared-layer.js";
import { SpotInterruptionRule } from "./spot-interruption-rule.js";
import { DEFAULT_INTERFACE_ENDPOINT_SERVICES, VpcEndpoints } from "./vpc-endpoints.js";
import { WebhookApi } from "./webhook-api.js";
import { WebhookFirewall } from "./webhook-firewall.js";
import { mergeTags } from "./tags.js";

/** Where `npm run build` leaves the zips, relative to the repository root. */
export const DEFAULT_DIST_DIR = "dist";

/** Props of {@link SelfRunners}. */
export interface SelfRunnersProps {
  /** GitHub App ID (numeric). */
  readonly githubAppId: string;
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
   * Directory holding lambdas/<name>.zip and layers/shared.zip built by `npm run build`.
   * @default "dist" (resolved from the working directory)
   */
  readonly distDir?: string;
  /**
   * Name prefix of every resource.
   * @default "self-runners"
   */
  readonly prefix?: string;
  /**
   * Register runners at repository (`repo`) or organization (`org`) level.
   * @default "repo"
   */
  readonly runnerScope?: string;
  /**
   * SecureString parameter with the App's private key.
   * @default - created as `/<prefix>/github-app/private-key` with a placeholder
   */
  readonly githubAppPrivateKeyParameterName?: string;
  /**
   * SecureString parameter with the webhook secret.
   * @default - created as `/<prefix>/github-app/webhook-secret` with a placeholder
   */
  readonly webhookSecretParameterName?: string;
  /**
   * SecureString parameter with the previous webhook secret, accepted besides the current one while it
   * holds a real value (webhook secret rotation).
   * @default - created as `/<prefix>/github-app/webhook-secret-previous` with a placeholder
   */
  readonly previousWebhookSecretParameterName?: string;
  /**
   * Create a customer managed KMS key (rotation on) for the queues, the runners table, the SSM
   * parameters the kit creates, every log group and the functions' environment. Mutually exclusive
   * with `kmsKeyArn`.
   * @default false
   */
  readonly createKmsKey?: boolean;
  /**
   * Use this existing customer managed KMS key for the same resources (see docs/security.md for the key
   * policy it needs). Must be known at plan time.
   * @default "" (none: AWS-managed encryption)
   */
  readonly kmsKeyArn?: string;
  /**
   * GitHub REST API base URL (GitHub Enterprise Server: `https://HOST/api/v3`).
   * @default "https://api.github.com"
   */
  readonly githubApiUrl?: string;
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
   * Runner version installed at boot when the AMI has none: "latest" or >= 2.329.0.
   * @default "latest"
   */
  readonly runnerVersion?: string;
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
   * Allow Session Manager shells on runners.
   * @default false
   */
  readonly enableSsmSessions?: boolean;
  /**
   * Log retention of every log group, in days.
   * @default 30
   */
  readonly logRetentionDays?: number;
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
  /**
   * Webhook stage steady-state rate limit, requests per second.
   * @default 100
   */
  readonly apiThrottlingRateLimit?: number;
  /**
   * Webhook stage burst limit.
   * @default 200
   */
  readonly apiThrottlingBurstLimit?: number;
  /**
   * Manage the regional API Gateway CloudWatch Logs role (needed once per account and region for access logs).
   * @default false
   */
  readonly manageApiGatewayAccount?: boolean;
  /**
   * When the reconciler runs.
   * @default "rate(5 minutes)"
   */
  readonly reconcileScheduleExpression?: string;
  /**
   * Largest webhook body accepted, in bytes; larger answers 413.
   * @default 262144
   */
  readonly webhookMaxBodyBytes?: number;
  /**
   * Point-in-time recovery for the runners table.
   * @default false
   */
  readonly runnersTablePointInTimeRecovery?: boolean;
  /**
   * Record the account's management events with a CloudTrail trail into an encrypted, versioned bucket
   * (see {@link AuditTrail}). Ignored when `existingTrailArn` is set.
   * @default true
   */
  readonly enableCloudTrail?: boolean;
  /**
   * ARN of a trail that already records this account; nothing is created for the audit trail.
   * @default "" (none)
   */
  readonly existingTrailArn?: string;
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
  /**
   * Point-in-time recovery for the job ledger table.
   * @default false
   */
  readonly jobLedgerPointInTimeRecovery?: boolean;
  /**
   * Start with launches paused (draining): webhooks are still accepted and queued, nothing launches
   * until the `/<prefix>/draining` parameter is "false" again (docs/reliability.md).
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
  readonly waitMaxSeconds?: number;
  /**
   * GitHub API requests kept in reserve per App installation; below it launches slow down.
   * @default 200
   */
  readonly githubMinRemaining?: number;
  /**
   * More GitHub Apps installed on the same owners; JIT configs go round robin across all Apps.
   * @default []
   */
  readonly additionalGitHubApps?: ReadonlyArray<{ readonly appId: string; readonly privateKeyParameterName: string }> | IResolvable;
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
   * Re-run jobs that failed because their spot runner was reclaimed.
   * @default true
   */
  readonly rerunInterruptedJobs?: boolean;
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
   * Services reached through gateway endpoints: `dynamodb` and/or `s3`.
   * @default ["dynamodb"]
   */
  readonly vpcEndpointGatewayServices?: string[];
  /**
   * Security groups allowed to reach the interface endpoints; empty allows the VPC's CIDR blocks.
   * @default []
   */
  readonly vpcEndpointSourceSecurityGroupIds?: string[];
  /**
   * Egress through one NAT instance per AZ (see {@link NatInstances}) with per-AZ failover functions
   * (see {@link NatFailover}) instead of NAT Gateways.
   * @default false
   */
  readonly natInstanceEnabled?: boolean;
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
  /**
   * Tags for every resource.
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/**
 * The whole kit: webhook API -> webhook function -> one FIFO queue per pool -> scale-up function ->
 * ephemeral EC2 runners, plus the scheduled reconciler.
 */
export class SelfRunners extends Construct {
  readonly context: AwsContext;
  readonly encryption: EncryptionKey;
  readonly secrets: GitHubAppSecrets;
  readonly queues: RunnerQueues;
  readonly table: RunnersTable;
  readonly fleet: RunnerFleet;
  readonly webhook: NodejsFunction;
  readonly scaleUp: NodejsFunction;
  readonly reconcile: NodejsFunction;
  readonly api: WebhookApi;
  readonly firewall: WebhookFirewall;
  readonly audit: AuditTrail;
  readonly ledger: JobLedger;
  readonly drainingSwitch: DrainingSwitch;
  readonly spotInterruption: NodejsFunction;
  readonly endpoints: VpcEndpoints;
  readonly nat: NatInstances;
  readonly natFailover: NatFailover;

  constructor(scope: Construct, id: string, props: SelfRunnersProps) {
    super(scope, id);
    const prefix = props.prefix ?? "self-runners";
    validateProps(this.node.path, [
      { prop: "prefix", value: props.prefix, valid: matches(RULES.prefix), allowed: RULES.prefix.allowed },
      { prop: "githubAppId", value: props.githubAppId, valid: matches(RULES.githubAppId), allowed: RULES.githubAppId.allowed },
      { prop: "runnerScope", value: props.runnerScope, valid: (v: string) => v === "repo" || v === "org", allowed: "repo or org" },
      { prop: "runnerSubnetIds", value: props.runnerSubnetIds, valid: (v: string[]) => v.length > 0 && matches(RULES.subnetId)(v), allowed: `at least one; ${RULES.subnetId.allowed}` },
      { prop: "githubApiUrl", value: props.githubApiUrl, valid: (v: string) => /^https:\/\/[^\s/]+(\/[^\s]*)?$/.test(v), allowed: "an https:// URL" },
      { prop: "webhookMaxBodyBytes", value: props.webhookMaxBodyBytes, valid: integerBetween(1024, 10485760), allowed: "an integer from 1024 to 10485760 (API Gateway's 10 MiB limit)" },
      { prop: "maxRunnersTotal", value: props.maxRunnersTotal, valid: integerBetween(1, 100000), allowed: "an integer from 1 to 100000" },
      { prop: "maxRunnersPerOwner", value: props.maxRunnersPerOwner, valid: integerBetween(1, 100000), allowed: "an integer from 1 to 100000" },
      { prop: "jobMaxAgeSeconds", value: props.jobMaxAgeSeconds, valid: integerBetween(300, 86400), allowed: "an integer from 300 to 86400 (GitHub drops jobs queued for 24 hours)" },
      { prop: "waitMaxSeconds", value: props.waitMaxSeconds, valid: integerBetween(30, 3600), allowed: "an integer from 30 to 3600" },
      { prop: "busyConfirmSeconds", value: props.busyConfirmSeconds, valid: integerBetween(60, 3600), allowed: "an integer from 60 to 3600 (GitHub's busy flag lags up to a minute)" },
      { prop: "relaunchGraceSeconds", value: props.relaunchGraceSeconds, valid: integerBetween(60, 86400), allowed: "an integer from 60 to 86400" },
    ]);
    const pools: PoolMap = Token.isUnresolved(props.pools)
      ? (props.pools as IResolvable)
      : normalizePools(this.node.path, props.pools as Record<string, RunnerPoolProps>, props.runnerSubnetIds);
    const distDir = props.distDir ?? DEFAULT_DIST_DIR;
    const tags = mergeTags(props.tags, { "self-runners:prefix": prefix });
    const logRetentionDays = props.logRetentionDays ?? 30;
    const githubApiUrl = props.githubApiUrl ?? "https://api.github.com";
    const runnerScope = props.runnerScope ?? "repo";
    const bootTimeoutSeconds = props.runnerBootTimeoutSeconds ?? 600;
    const idleTimeoutMinutes = props.runnerIdleTimeoutMinutes ?? 30;

    this.context = new AwsContext(this, "current");
    this.encryption = new EncryptionKey(this, "encryption", {
      name: prefix,
      context: this.context,
      createKey: props.createKmsKey,
      keyArn: props.kmsKeyArn,
      // Every log group the kit creates (names as NodejsFunction, WebhookApi and AuditTrail build them).
      logGroupNames: [
        ...["webhook", "scale-up", "reconcile", "spot-interruption", "github-hooks-ipset"].map((name) => `/aws/lambda/${prefix}-${name}`),
        `/aws/apigateway/${prefix}`,
        // One failover function per AZ (NatFailover); the AZ names are only known at plan time.
        `/aws/lambda/${prefix}-nat-failover-*`,
        `aws-waf-logs-${prefix}`,
        `/aws/cloudtrail/${prefix}-audit`,
      ],
      tags,
    });
    const kmsKeyArn = this.encryption.kmsKeyArn;
    this.secrets = new GitHubAppSecrets(this, "github-app", {
      prefix,
      context: this.context,
      privateKeyParameterName: props.githubAppPrivateKeyParameterName,
      webhookSecretParameterName: props.webhookSecretParameterName,
      previousWebhookSecretParameterName: props.previousWebhookSecretParameterName,
      kmsKeyArn,
      tags,
    });
    // Scale-up moves jobs it cannot serve to the DLQ itself, with the reason, and waiting jobs come back
    // many times by design (back-off), so the redrive count is only a safety net for crash loops.
    this.queues = new RunnerQueues(this, "job", { prefix, pools, kmsKeyArn, tags, maxReceiveCount: 100 });
    this.ledger = new JobLedger(this, "jobs", {
      tableName: `${prefix}-jobs`,
      pointInTimeRecovery: props.jobLedgerPointInTimeRecovery,
      kmsKeyArn,
      tags,
    });
    this.drainingSwitch = new DrainingSwitch(this, "draining", { prefix, context: this.context, draining: props.draining, tags });
    this.table = new RunnersTable(this, "runners", {
      tableName: `${prefix}-runners`,
      pointInTimeRecovery: props.runnersTablePointInTimeRecovery,
      kmsKeyArn,
      tags,
    });
    this.fleet = new RunnerFleet(this, "runner", {
      prefix,
      pools,
      vpcId: props.vpcId,
      context: this.context,
      runnersTableName: this.table.table.name,
      runnerVersion: props.runnerVersion,
      idleTimeoutMinutes,
      bootTimeoutSeconds,
      associatePublicIpAddress: props.associatePublicIpAddress,
      enableSsmSessions: props.enableSsmSessions,
      tags,
    });
    this.table.grantOwnItem(this.fleet.role);
    this.encryption.grantUse("runner", this.fleet.role, ["dynamodb"]);

    const layer = new SharedLayer(this, "shared-layer", { layerName: `${prefix}-shared`, zipPath: `${distDir}/layers/shared.zip` });
    const fn = (name: string, description: string, extra: Partial<ConstructorParameters<typeof NodejsFunction>[2]>): NodejsFunction =>
      new NodejsFunction(this, name, {
        functionName: `${prefix}-${name}`,
        description,
        zipPath: `${distDir}/lambdas/${name}.zip`,
        layers: [layer.layerArn],
        logRetentionDays,
        subnetIds: props.lambdaSubnetIds,
        securityGroupIds: props.lambdaSecurityGroupIds,
        kmsKeyArn,
        tags,
        ...extra,
        environment: {
          POWERTOOLS_SERVICE_NAME: name,
          POWERTOOLS_METRICS_NAMESPACE: "SelfRunners",
          POWERTOOLS_LOG_LEVEL: "INFO",
          ...(extra.environment ?? {}),
        },
      });
    const poolIterator = TerraformIterator.fromMap(pools);
    const additionalAppsInput = props.additionalGitHubApps ?? [];
    // Names only: the keys stay in SSM and are read at run time.
    const additionalApps = Token.isUnresolved(additionalAppsInput)
      ? Fn.jsonencode(
          TerraformIterator.fromList(additionalAppsInput as IResolvable).forExpressionForList("{ appId = tonumber(val.app_id), privateKeyParameter = val.private_key_ssm_parameter_name }"),
        )
      : JSON.stringify((additionalAppsInput as ReadonlyArray<{ appId: string; privateKeyParameterName: string }>).map((app) => ({ appId: Number(app.appId), privateKeyParameter: app.privateKeyParameterName })));
    const github = {
      GITHUB_APP_ID: props.githubAppId,
      GITHUB_APP_KEY_PARAMETER: this.secrets.privateKeyParameterName,
      GITHUB_API_URL: githubApiUrl,
      RUNNER_SCOPE: runnerScope,
      PREFIX: prefix,
      RUNNERS_TABLE: this.table.table.name,
      JOBS_TABLE: this.ledger.table.name,
      GITHUB_ADDITIONAL_APPS: additionalApps,
    };
    const queueUrlsByPool = Fn.jsonencode(poolIterator.forExpressionForMap("key", `{ queueUrl = ${this.queues.queues.fqn}[key].url }`));

    this.webhook = fn("webhook", "Verifies GitHub webhooks and queues workflow jobs", {
      timeout: 10,
      reservedConcurrency: props.webhookReservedConcurrency,
      environment: {
        PREFIX: prefix,
        JOBS_TABLE: this.ledger.table.name,
        WEBHOOK_SECRET_PARAMETER: this.secrets.webhookSecretParameterName,
        WEBHOOK_PREVIOUS_SECRET_PARAMETER: this.secrets.previousWebhookSecretParameterName,
        MAX_BODY_BYTES: Token.asString(props.webhookMaxBodyBytes ?? 262144),
        POOLS: Fn.jsonencode(poolIterator.forExpressionForMap("key", `{ labels = val.labels, queueUrl = ${this.queues.queues.fqn}[key].url }`)),
      },
    });
    this.webhook.addToRolePolicy("read-webhook-secret", [
      {
        Sid: "ReadWebhookSecret",
        Action: ["ssm:GetParameter"],
        Resource: [this.secrets.webhookSecretParameterName, this.secrets.previousWebhookSecretParameterName].map((name) => this.secrets.parameterArn(name)),
      },
    ]);
    this.queues.grantSend(this.webhook);
    this.ledger.grantReadWrite(this.webhook);
    this.encryption.grantUse("webhook", this.webhook.role, ["lambda", "ssm", "sqs", "dynamodb"]);

    this.scaleUp = fn("scale-up", "Launches ephemeral runners for queued jobs", {
      timeout: 30,
      memorySize: 512,
      reservedConcurrency: props.scaleUpReservedConcurrency,
      environment: {
        ...github,
        DRAINING_PARAMETER: this.drainingSwitch.parameterName,
        MAX_RUNNERS_TOTAL: Token.asString(props.maxRunnersTotal ?? 1000),
        MAX_RUNNERS_PER_OWNER: Token.asString(props.maxRunnersPerOwner ?? 1000),
        MAX_JOB_AGE_SECONDS: Token.asString(props.jobMaxAgeSeconds ?? 21600),
        BACKOFF_MAX_SECONDS: Token.asString(props.waitMaxSeconds ?? 900),
        GITHUB_MIN_REMAINING: Token.asString(props.githubMinRemaining ?? 200),
        POOLS: Fn.jsonencode(
          poolIterator.forExpressionForMap(
            "key",
            `{ labels = val.labels, maxRunners = val.max_runners, instanceTypes = val.instance_types, subnetIds = val.subnet_ids, launchTemplateName = ${this.fleet.launchTemplates.fqn}[key].name, spot = val.spot, onDemandFallback = val.on_demand_fallback, runnerGroupId = val.runner_group_id, queueUrl = ${this.queues.queues.fqn}[key].url, queueArn = ${this.queues.queues.fqn}[key].arn, deadLetterQueueUrl = ${this.queues.deadLetterQueues.fqn}[key].url }`,
          ),
        ),
      },
    });
    this.queues.grantConsume(this.scaleUp);
    this.queues.grantSendToDeadLetter(this.scaleUp);
    this.ledger.grantReadWrite(this.scaleUp);
    this.drainingSwitch.grantRead(this.scaleUp);
    this.fleet.grantLaunch(this.scaleUp);
    this.table.grantReadWrite(this.scaleUp);
    this.encryption.grantUse("scale-up", this.scaleUp.role, ["lambda", "ssm", "sqs", "dynamodb"]);
    new LambdaEventSourceMapping(this, "scale-up-trigger", {
      forEach: poolIterator,
      eventSourceArn: Fn.lookupNested(this.queues.queues.fqn, [poolIterator.key, "arn"]),
      functionName: this.scaleUp.functionArn,
      batchSize: 10,
      // Partial batch responses: only the failed messages come back (docs/contracts.md).
      functionResponseTypes: ["ReportBatchItemFailures"],
    });

    this.reconcile = fn("reconcile", "Terminates orphaned runners and stale registrations", {
      timeout: 300,
      reservedConcurrency: props.reconcileReservedConcurrency ?? 1,
      environment: {
        ...github,
        BOOT_TIMEOUT_SECONDS: Token.asString(bootTimeoutSeconds),
        IDLE_TIMEOUT_SECONDS: Token.asString(Token.isUnresolved(idleTimeoutMinutes) ? Op.mul(idleTimeoutMinutes, 60) : idleTimeoutMinutes * 60),
        DRAINING_PARAMETER: this.drainingSwitch.parameterName,
        POOLS: Fn.jsonencode(
          poolIterator.forExpressionForMap(
            "key",
            `{ queueUrl = ${this.queues.queues.fqn}[key].url, warmSize = val.warm_pool_size, warmOwner = val.warm_pool_owner, warmSchedule = val.warm_pool_schedule }`,
          ),
        ),
        BUSY_CONFIRM_SECONDS: Token.asString(props.busyConfirmSeconds ?? 90),
        RELAUNCH_GRACE_SECONDS: Token.asString(props.relaunchGraceSeconds ?? 300),
        RERUN_INTERRUPTED_JOBS: Token.isUnresolved(props.rerunInterruptedJobs) ? Fn.tostring(props.rerunInterruptedJobs as unknown as string) : String(props.rerunInterruptedJobs ?? true),
      },
    });
    this.fleet.grantTerminate(this.reconcile);
    this.table.grantReadWrite(this.reconcile);
    this.ledger.grantReadWrite(this.reconcile);
    this.drainingSwitch.grantRead(this.reconcile);
    this.queues.grantSend(this.reconcile);
    this.encryption.grantUse("reconcile", this.reconcile.role, ["lambda", "ssm", "dynamodb", "sqs"]);

    this.spotInterruption = fn("spot-interruption", "Handles spot interruption warnings for runners", {
      timeout: 30,
      environment: { ...github, POOLS: queueUrlsByPool },
    });
    this.spotInterruption.addToRolePolicy("describe-runners", [{ Sid: "DescribeRunners", Action: ["ec2:DescribeInstances"], Resource: "*" }]);
    this.table.grantReadWrite(this.spotInterruption);
    this.ledger.grantReadWrite(this.spotInterruption);
    this.queues.grantSend(this.spotInterruption);
    this.encryption.grantUse("spot-interruption", this.spotInterruption.role, ["lambda", "ssm", "dynamodb", "sqs"]);
    new SpotInterruptionRule(this, "spot-interruption-rule", { name: `${prefix}-spot-interruption`, target: this.spotInterruption, tags });

    const appKeyArns = Token.isUnresolved(additionalAppsInput)
      ? // formatlist over names, not templates inside functions: cdktf cannot nest a template in a call.
        Fn.formatlist("%s%s", [
          Fn.format("arn:%s:ssm:%s:%s:parameter", [this.context.partition, this.context.region, this.context.accountId]),
          Fn.concat([
            [this.secrets.privateKeyParameterName],
            TerraformIterator.fromList(additionalAppsInput as IResolvable).forExpressionForList("val.private_key_ssm_parameter_name") as unknown as string[],
          ]),
        ])
      : [
          this.secrets.parameterArn(this.secrets.privateKeyParameterName),
          ...(additionalAppsInput as ReadonlyArray<{ privateKeyParameterName: string }>).map((app) => this.secrets.parameterArn(app.privateKeyParameterName)),
        ];
    for (const f of [this.scaleUp, this.reconcile, this.spotInterruption]) {
      f.addToRolePolicy("read-github-app-key", [{ Sid: "ReadGitHubAppKey", Action: ["ssm:GetParameter"], Resource: appKeyArns }]);
    }
    new ReconcileSchedule(this, "reconcile-schedule", {
      name: `${prefix}-reconcile`,
      target: this.reconcile,
      scheduleExpression: props.reconcileScheduleExpression,
      tags,
    });

    this.api = new WebhookApi(this, "webhook-api", {
      name: prefix,
      handler: this.webhook,
      context: this.context,
      throttlingRateLimit: props.apiThrottlingRateLimit,
      throttlingBurstLimit: props.apiThrottlingBurstLimit,
      logRetentionDays,
      manageAccountLoggingRole: props.manageApiGatewayAccount,
      kmsKeyArn,
      tags,
    });

    this.firewall = new WebhookFirewall(this, "webhook-firewall", {
      name: prefix,
      stageArn: this.api.stageArn,
      enabled: props.enableWaf,
      rateLimit: props.wafRateLimit,
      rateLimitWindowSeconds: props.wafRateLimitWindowSeconds,
      githubHooksAllowlist: props.wafGitHubHooksAllowlist,
      ipSetUpdater: {
        functionName: `${prefix}-github-hooks-ipset`,
        zipPath: `${distDir}/lambdas/github-hooks-ipset.zip`,
        githubApiUrl,
        scheduleExpression: props.wafIpSetRefreshSchedule,
        layers: [layer.layerArn],
        subnetIds: props.lambdaSubnetIds,
        securityGroupIds: props.lambdaSecurityGroupIds,
        environment: { POWERTOOLS_SERVICE_NAME: "github-hooks-ipset", POWERTOOLS_METRICS_NAMESPACE: "SelfRunners", POWERTOOLS_LOG_LEVEL: "INFO" },
      },
      logRetentionDays,
      kmsKeyArn,
      tags,
    });
    const ipSetUpdater = this.firewall.ipSetUpdater;
    if (ipSetUpdater !== undefined) {
      this.encryption.grantUse("github-hooks-ipset", { id: ipSetUpdater.attribute(ipSetUpdater.role, "id") }, ["lambda"], this.firewall.allowlistEnabled);
    }

    this.audit = new AuditTrail(this, "audit", {
      trailName: `${prefix}-audit`,
      context: this.context,
      enableCloudTrail: props.enableCloudTrail,
      existingTrailArn: props.existingTrailArn,
      isMultiRegionTrail: props.cloudTrailMultiRegion,
      glacierTransitionDays: props.cloudTrailGlacierAfterDays,
      retentionDays: props.cloudTrailRetentionDays,
      cloudWatchLogs: props.cloudTrailCloudWatchLogs,
      logRetentionDays,
      logGroupKmsKeyArn: kmsKeyArn,
      tags,
    });

    const createVpcEndpoints = props.createVpcEndpoints ?? false;
    const endpointServices = props.vpcEndpointServices ?? DEFAULT_INTERFACE_ENDPOINT_SERVICES;
    this.endpoints = new VpcEndpoints(this, "vpc-endpoints", {
      prefix,
      vpcId: props.vpcId,
      context: this.context,
      enabled: createVpcEndpoints,
      subnetIds: props.vpcEndpointSubnetIds,
      routeTableIds: props.vpcEndpointRouteTableIds,
      interfaceServices: endpointServices,
      gatewayServices: props.vpcEndpointGatewayServices,
      sourceSecurityGroupIds: props.vpcEndpointSourceSecurityGroupIds,
      tags,
    });

    const natEnabled = props.natInstanceEnabled ?? false;
    const natRouteTables = props.natPrivateRouteTableIds ?? {};
    this.nat = new NatInstances(this, "nat", {
      prefix,
      vpcId: props.vpcId,
      context: this.context,
      enabled: natEnabled,
      subnetIds: props.natInstanceSubnetIds ?? {},
      privateRouteTableIds: natRouteTables,
      instanceType: props.natInstanceType,
      // The user's tags only: NAT instances must not carry self-runners:prefix, or the reconciler would reap them.
      tags: props.tags,
    });
    const ec2EndpointCreated = allOf([createVpcEndpoints, listContains(endpointServices, "ec2")]);
    this.natFailover = new NatFailover(this, "nat-failover", {
      prefix,
      vpcId: props.vpcId,
      context: this.context,
      enabled: natEnabled,
      zipPath: `${distDir}/lambdas/nat-failover.zip`,
      layerArn: layer.layerArn,
      privateRouteTableIds: natRouteTables,
      probeSubnetIds: props.natProbeSubnetIds ?? {},
      standbyNatGatewayIds: props.natStandbyNatGatewayIds,
      probeTargets: props.natProbeUrls,
      probeIntervalSeconds: props.natProbeIntervalSeconds,
      failureThreshold: props.natFailureThreshold,
      failbackHoldDownSeconds: props.natFailbackHoldDownSeconds,
      ec2ApiReachable: anyOf(props.natFailoverExistingEc2Endpoint ?? false, ec2EndpointCreated),
      logRetentionDays,
      kmsKeyArn,
      tags,
    });
  }
}

/** `contains(list, value)`: a plain boolean for literal lists. */
function listContains(list: string[], value: string): boolean {
  if (!Token.isUnresolved(list) && !list.some((v) => Token.isUnresolved(v))) return list.includes(value);
  return Fn.contains(list, value) as unknown as boolean;
}

/** `a || b`: a plain boolean when both are known now. */
function anyOf(a: boolean, b: boolean): boolean {
  if (!Token.isUnresolved(a) && a) return true;
  if (!Token.isUnresolved(b) && b) return true;
  if (!Token.isUnresolved(a) && !Token.isUnresolved(b)) return false;
  if (!Token.isUnresolved(a)) return b;
  if (!Token.isUnresolved(b)) return a;
  return Op.or(a, b) as unknown as boolean;
}
