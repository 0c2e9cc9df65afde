import { Construct } from "constructs";
import { Fn, Op, TerraformIterator, Token, type IResolvable } from "./cdktf.js";
import { LambdaEventSourceMapping } from "./aws.js";
import { AuditTrail } from "./audit-trail.js";
import { AwsContext } from "./aws-context.js";
import { EncryptionKey } from "./encryption-key.js";
import { allOf } from "./conditions.js";
import { resolveSelfRunnersProps } from "./module/props.js";
import { DrainingSwitch } from "./draining-switch.js";
import { GitHubAppSecrets } from "./github-app-secrets.js";
import { JobLedger } from "./job-ledger.js";
import { NatFailover } from "./nat-failover.js";
import { NatInstances } from "./nat-instance.js";
import { NodejsFunction } from "./nodejs-function.js";
import { normalizePools, type PoolMap, type RunnerPoolProps } from "./pools.js";
import type { SelfRunnersProps } from "./self-runners-props.js";
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

export type * from "./self-runners-props.js";

export { DEFAULT_DIST_DIR } from "./module/props.js";

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
    const resolved = resolveSelfRunnersProps(this.node.path, props);
    const prefix = resolved.prefix;
    const pools: PoolMap = Token.isUnresolved(props.pools)
      ? (props.pools as IResolvable)
      : normalizePools(this.node.path, props.pools as Record<string, RunnerPoolProps>, resolved.runnerSubnetIds);
    const distDir = resolved.distDir;
    const tags = mergeTags(props.tags, { "self-runners:prefix": prefix });
    const logRetentionDays = resolved.logRetentionDays;
    const githubApiUrl = resolved.githubApiUrl;
    const runnerScope = resolved.runnerScope;
    const bootTimeoutSeconds = resolved.runnerBootTimeoutSeconds;
    const idleTimeoutMinutes = resolved.runnerIdleTimeoutMinutes;

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
      privateKeyParameterName: props.githubAppPrivateKeySsmParameterName,
      webhookSecretParameterName: props.webhookSecretSsmParameterName,
      previousWebhookSecretParameterName: props.webhookPreviousSecretSsmParameterName,
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
      : JSON.stringify((additionalAppsInput as ReadonlyArray<{ appId: string; privateKeySsmParameterName: string }>).map((app) => ({ appId: Number(app.appId), privateKeyParameter: app.privateKeySsmParameterName })));
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
        BACKOFF_MAX_SECONDS: Token.asString(props.jobWaitMaxSeconds ?? 900),
        GITHUB_MIN_REMAINING: Token.asString(props.githubMinRemainingRequests ?? 200),
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
          ...(additionalAppsInput as ReadonlyArray<{ privateKeySsmParameterName: string }>).map((app) => this.secrets.parameterArn(app.privateKeySsmParameterName)),
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
      existingTrailArn: props.existingCloudTrailArn,
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
