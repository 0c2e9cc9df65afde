import { Construct } from "constructs";
import { Aspects, Fn, Op, Token, type IResolvable } from "./cdktf.js";
import { AuditTrail } from "./audit-trail.js";
import { AwsContext } from "./aws-context.js";
import { BuildCache } from "./build-cache/build-cache.js";
import { EncryptionKey } from "./encryption-key.js";
import { grantJitOpen, grantJitSeal } from "./private/jit-seal-access.js";
import { allOf, anyOf, listContains } from "./private/conditions.js";
import { DIST_DIR_CHECK, resolveSelfRunnersProps } from "./module/props.js";
import { checkProps } from "./errors.js";
import { DrainingSwitch } from "./draining-switch.js";
import { GitHubAppSecrets } from "./github-app-secrets.js";
import { JobLedger } from "./job-ledger.js";
import { NatFailover } from "./nat-failover.js";
import { NatInstances } from "./nat-instance.js";
import { Operations } from "./operations/operations.js";
import { normalizePools, type PoolMap, type RunnerPoolProps } from "./pools.js";
import type { SelfRunnersProps } from "./self-runners-props.js";
import { RunnerBinaries } from "./runner-binaries.js";
import { RunnerFleet } from "./runner-fleet.js";
import { poolRoleNames } from "./runner-pool-roles.js";
import { RunnerCustomization } from "./runner-customization.js";
import { RunnerImages } from "./runner-images.js";
import { normalizeRunnerImages, type RunnerImageProps } from "./runner-images-spec.js";
import { RunnerLogs, runnerLogGroupName } from "./runner-logs.js";
import { RunnerQueues } from "./runner-queue.js";
import { RunnersTable } from "./runners-table.js";
import { SharedLayer } from "./shared-layer.js";
import { ReconcileFunction } from "./functions/reconcile-function.js";
import { RunnerBinariesSyncerFunction } from "./functions/runner-binaries-syncer-function.js";
import { ScaleUpFunction } from "./functions/scale-up-function.js";
import { SpotInterruptionFunction } from "./functions/spot-interruption-function.js";
import { WebhookFunction } from "./functions/webhook-function.js";
import { GitHubAppAccess } from "./private/github-app-access.js";
import { VpcEndpoints } from "./vpc-endpoints.js";
import { WebhookApi } from "./webhook-api.js";
import { WebhookFirewall } from "./webhook-firewall.js";
import { mergeTags } from "./private/tags.js";
import { RoleSettingsAspect, rolePathInArn } from "./private/role-settings.js";

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
  readonly runnerBinaries: RunnerBinaries;
  readonly customization: RunnerCustomization;
  readonly runnerBinariesSyncer: RunnerBinariesSyncerFunction;
  readonly runnerLogs: RunnerLogs;
  readonly webhook: WebhookFunction;
  readonly scaleUp: ScaleUpFunction;
  readonly images: RunnerImages;
  readonly reconcile: ReconcileFunction;
  readonly api: WebhookApi;
  readonly firewall: WebhookFirewall;
  readonly audit: AuditTrail;
  readonly ledger: JobLedger;
  readonly drainingSwitch: DrainingSwitch;
  readonly spotInterruption: SpotInterruptionFunction;
  readonly endpoints: VpcEndpoints;
  readonly nat: NatInstances;
  readonly natFailover: NatFailover;
  readonly operations: Operations;
  readonly buildCache: BuildCache;

  constructor(scope: Construct, id: string, props: SelfRunnersProps) {
    super(scope, id);
    const resolved = resolveSelfRunnersProps(this.node.path, props);
    const prefix = resolved.prefix;
    const pools: PoolMap = Token.isUnresolved(props.pools)
      ? (props.pools as IResolvable)
      : normalizePools(this.node.path, props.pools as Record<string, RunnerPoolProps>, resolved.runnerSubnetIds);
    const distDir = resolved.distDir;
    checkProps(this.node.path, [{ prop: "distDir", value: distDir, rule: DIST_DIR_CHECK }]);
    const tags = mergeTags(resolved.tags, { "self-runners:prefix": prefix });
    const logRetentionDays = resolved.logRetentionDays;
    const githubApiUrl = resolved.githubApiUrl;
    const runnerScope = resolved.runnerScope;
    const bootTimeoutSeconds = resolved.runnerBootTimeoutSeconds;
    const idleTimeoutMinutes = resolved.runnerIdleTimeoutMinutes;

    this.context = new AwsContext(this, "current");
    // Every role below gets the boundary and the path, however it is created.
    Aspects.of(this).add(new RoleSettingsAspect({ permissionsBoundaryArn: resolved.permissionsBoundaryArn, path: resolved.iamRolePath }));
    // The kit's roles by name (function roles are named after their functions): the key and table
    // policies name them without depending on the roles, which are created later.
    const rolePath = rolePathInArn(resolved.iamRolePath);
    // format() for Terraform values: cdktf cannot nest interpolations in function arguments (the key policy's formatlist).
    const roleName = (name: string): string =>
      Token.isUnresolved(rolePath) || Token.isUnresolved(prefix) ? Fn.format("%s%s-%s", [rolePath, prefix, name]) : `${rolePath}${prefix}-${name}`;
    const roleArn = (name: string): string => `arn:${this.context.partition}:iam::${this.context.accountId}:role/${rolePath}${prefix}-${name}`;
    // The runner roles of pools with extra_iam_policy_arns (stacks/runner-pool-roles.ts), path included.
    const poolRoles = poolRoleNames(pools, prefix, rolePath);
    const withPoolRoles = (names: string[], pool: string[]): string[] => (Token.isUnresolved(pool) ? (Fn.concat([names, pool]) as unknown as string[]) : [...names, ...pool]);
    // formatlist() over a Terraform list: cdktf cannot render template strings inside concat().
    const roleArns = (names: string[]): string[] =>
      Token.isUnresolved(names)
        ? (Fn.formatlist("arn:%s:iam::%s:role/%s", [this.context.partition, this.context.accountId, names]) as unknown as string[])
        : names.map((name) => `arn:${this.context.partition}:iam::${this.context.accountId}:role/${name}`);
    this.encryption = new EncryptionKey(this, "encryption", {
      name: prefix,
      context: this.context,
      createKey: resolved.createKmsKey,
      keyArn: resolved.kmsKeyArn,
      administratorArns: resolved.kmsKeyAdministratorArns,
      // Every role that uses the key (function roles are named after their functions).
      userRoleNames: withPoolRoles(
        [
          ...["runner", "webhook", "scale-up", "reconcile", "spot-interruption", "github-hooks-ipset", "nat-failover", "runner-binaries-syncer", "image-builder", "build-cache", "build-cache-sweep"].map(roleName),
          // Image Builder encrypts the baked images' snapshots with the key through its service-linked role.
          "aws-service-role/imagebuilder.amazonaws.com/AWSServiceRoleForImageBuilder",
        ],
        poolRoles,
      ),
      // Every log group the kit creates (names as NodejsFunction, WebhookApi and AuditTrail build them).
      logGroupNames: [
        ...["webhook", "scale-up", "reconcile", "spot-interruption", "github-hooks-ipset", "runner-binaries-syncer", "build-cache", "build-cache-sweep"].map((name) => `/aws/lambda/${prefix}-${name}`),
        `/aws/apigateway/${prefix}`,
        // One failover function per AZ (NatFailover); the AZ names are only known at plan time.
        `/aws/lambda/${prefix}-nat-failover-*`,
        `aws-waf-logs-${prefix}`,
        `/aws/cloudtrail/${prefix}-audit`,
        runnerLogGroupName(prefix),
      ],
      tags,
    });
    const kmsKeyArn = this.encryption.kmsKeyArn;
    this.secrets = new GitHubAppSecrets(this, "github-app", {
      prefix,
      context: this.context,
      privateKeyParameterName: resolved.githubAppPrivateKeySsmParameterName,
      webhookSecretParameterName: resolved.webhookSecretSsmParameterName,
      previousWebhookSecretParameterName: resolved.webhookPreviousSecretSsmParameterName,
      kmsKeyArn,
      tags,
    });
    // Scale-up moves jobs it cannot serve to the DLQ itself, with the reason, and waiting jobs come back
    // many times by design (back-off), so the redrive count is only a safety net for crash loops.
    this.queues = new RunnerQueues(this, "job", { prefix, pools, kmsKeyArn, tags, maxReceiveCount: 100 });
    this.ledger = new JobLedger(this, "jobs", {
      tableName: `${prefix}-jobs`,
      pointInTimeRecovery: resolved.jobLedgerPointInTimeRecovery,
      kmsKeyArn,
      dataRoleArns: ["webhook", "scale-up", "reconcile", "spot-interruption", "build-cache"].map(roleArn),
      tags,
    });
    this.drainingSwitch = new DrainingSwitch(this, "draining", { prefix, context: this.context, draining: resolved.draining, tags });
    this.table = new RunnersTable(this, "runners", {
      tableName: `${prefix}-runners`,
      pointInTimeRecovery: resolved.runnersTablePointInTimeRecovery,
      kmsKeyArn,
      // The runner role reaches only its own item (its IAM policy); the functions manage the rest.
      dataRoleArns: roleArns(withPoolRoles(["scale-up", "reconcile", "spot-interruption", "runner", "build-cache"].map(roleName), poolRoles)),
      tags,
    });
    this.runnerLogs = new RunnerLogs(this, "runner-logs", {
      prefix,
      context: this.context,
      enabled: resolved.enableRunnerLogs,
      retentionDays: logRetentionDays,
      kmsKeyArn,
      tags,
    });
    this.runnerBinaries = new RunnerBinaries(this, "runner-binaries", {
      prefix,
      context: this.context,
      kmsKeyArn,
      kmsKeyInUse: this.encryption.enabled,
      tags,
    });
    this.customization = new RunnerCustomization(this, "runner-customization", { pools, bucket: this.runnerBinaries.location, tags });
    const layer = new SharedLayer(this, "shared-layer", { layerName: `${prefix}-shared`, zipPath: `${distDir}/layers/shared.zip` });
    const handler = {
      prefix,
      distDir,
      layerArn: layer.layerArn,
      logRetentionDays,
      subnetIds: resolved.lambdaSubnetIds,
      securityGroupIds: resolved.lambdaSecurityGroupIds,
      kmsKeyArn,
      tracing: resolved.enableTracing,
      tags,
    };
    const app = new GitHubAppAccess({
      secrets: this.secrets,
      context: this.context,
      githubAppId: resolved.githubAppId,
      githubApiUrl,
      additionalGitHubApps: resolved.additionalGitHubApps,
      enterpriseSlug: resolved.enterpriseSlug,
      enterpriseTokenParameterName: resolved.enterpriseTokenSsmParameterName,
    });
    this.buildCache = new BuildCache(this, "build-cache", {
      ...handler,
      enabled: resolved.enableBuildCache,
      budgetGbPerScope: resolved.buildCacheBudgetGbPerScope,
      retentionDays: resolved.buildCacheRetentionDays,
      protocols: resolved.buildCacheProtocols,
      pointInTimeRecovery: resolved.buildCachePointInTimeRecovery,
      context: this.context,
      encryption: this.encryption,
      table: this.table,
      ledger: this.ledger,
      binaries: { bucketName: this.runnerBinaries.location.bucketName, bucketArn: this.runnerBinaries.bucket.arn },
      dataRoleArns: ["build-cache", "build-cache-sweep"].map(roleArn),
      // The shared runner role and the pools' own (stacks/runner-pool-roles.ts): sessions carry no path.
      runnerRoleNames: withPoolRoles([Token.isUnresolved(prefix) ? Fn.format("%s-runner", [prefix]) : `${prefix}-runner`], poolRoleNames(pools, prefix, "")),
      githubApiUrl,
      app,
    });
    this.fleet = new RunnerFleet(this, "runner", {
      prefix,
      pools,
      vpcId: resolved.vpcId,
      context: this.context,
      runnersTableName: this.table.table.name,
      binaries: this.runnerBinaries.location,
      idleTimeoutMinutes,
      bootTimeoutSeconds,
      associatePublicIpAddress: resolved.associatePublicIpAddress,
      enableSsmSessions: resolved.enableSsmSessions,
      awsCliInternetFallback: resolved.awsCliInternetFallback,
      runnerLogGroupName: this.runnerLogs.shippedTo,
      buildCache: this.buildCache.bootstrap,
      tags,
    });
    const subnetIds = resolved.runnerSubnetIds;
    this.images = new RunnerImages(this, "runner-images", {
      prefix,
      context: this.context,
      images: normalizeRunnerImages(this.node.path, resolved.runnerImages as Record<string, RunnerImageProps> | IResolvable),
      binaries: this.runnerBinaries.location,
      binariesBucketArn: this.runnerBinaries.bucket.arn,
      vpcId: resolved.vpcId,
      subnetId: Token.isUnresolved(subnetIds) ? Token.asString(Fn.element(subnetIds, 0)) : (subnetIds[0] ?? ""),
      kmsKeyArn,
      kmsKeyInUse: this.encryption.enabled,
      tags,
    });
    this.encryption.grantUse("image-builder", { id: this.images.roleId }, ["s3"], this.images.enabled);
    this.runnerLogs.grantWrite(this.fleet.role, resolved.vpcId);
    this.table.grantOwnItem(this.fleet.role, resolved.vpcId);
    this.secrets.denyRead(this.fleet.role);
    this.runnerBinaries.grantReadRunner(this.fleet.role, resolved.vpcId);
    this.encryption.grantUse("runner", this.fleet.role, ["dynamodb", "s3"]);
    grantJitOpen(this.encryption, this.fleet.role, resolved.vpcId);
    this.buildCache.grantRunner(this.fleet.role, resolved.vpcId);

    const state = { pools, queues: this.queues, ledger: this.ledger, encryption: this.encryption };
    const runners = { ...state, app, runnerScope, table: this.table };

    // JSON lists for ALLOWED_OWNERS / ALLOWED_REPOSITORIES: literal for CDKTF users, jsonencode() in the module.
    const jsonList = (value: string[]): string => (Token.isUnresolved(value) ? Fn.jsonencode(value) : JSON.stringify(value));
    const admission = { allowedOwners: jsonList(resolved.allowedOwners), allowedRepositories: jsonList(resolved.allowedRepositories) };
    this.webhook = new WebhookFunction(this, "webhook", {
      ...handler,
      ...state,
      secrets: this.secrets,
      webhookMaxBodyBytes: Token.asString(resolved.webhookMaxBodyBytes),
      ...admission,
      webhookMaxJobAgeSeconds: Token.asString(resolved.webhookMaxJobAgeSeconds),
      reservedConcurrency: resolved.webhookReservedConcurrency,
    });
    this.scaleUp = new ScaleUpFunction(this, "scale-up", {
      ...handler,
      ...runners,
      fleet: this.fleet,
      drainingSwitch: this.drainingSwitch,
      maxRunnersTotal: Token.asString(resolved.maxRunnersTotal),
      maxRunnersPerOwner: Token.asString(resolved.maxRunnersPerOwner),
      jobMaxAgeSeconds: Token.asString(resolved.jobMaxAgeSeconds),
      jobWaitMaxSeconds: Token.asString(resolved.jobWaitMaxSeconds),
      githubMinRemainingRequests: Token.asString(resolved.githubMinRemainingRequests),
      githubWritesPerMinute: Token.asString(resolved.githubWritesPerMinute),
      githubWriteBurst: Token.asString(resolved.githubWriteBurst),
      ...admission,
      reservedConcurrency: resolved.scaleUpReservedConcurrency,
    });
    grantJitSeal(this.encryption, this.scaleUp.role, this.context.arn("ec2", "instance/*"));
    // A pool on a baked image launches from snapshots encrypted with the kit key.
    this.encryption.grantEbs("scale-up", this.scaleUp.role, this.images.enabled);
    this.reconcile = new ReconcileFunction(this, "reconcile", {
      ...handler,
      ...runners,
      fleet: this.fleet,
      drainingSwitch: this.drainingSwitch,
      runnerBootTimeoutSeconds: Token.asString(bootTimeoutSeconds),
      runnerIdleTimeoutSeconds: Token.asString(Token.isUnresolved(idleTimeoutMinutes) ? Op.mul(idleTimeoutMinutes, 60) : idleTimeoutMinutes * 60),
      busyConfirmSeconds: Token.asString(resolved.busyConfirmSeconds),
      relaunchGraceSeconds: Token.asString(resolved.relaunchGraceSeconds),
      healerMaxGithubCalls: Token.asString(resolved.webhookHealerMaxGitHubCalls),
      rerunApp: {
        appId: resolved.rerunGitHubAppId,
        privateKeyParameterName: resolved.rerunGitHubAppPrivateKeySsmParameterName,
        privateKeyParameterArn: this.secrets.parameterArn(resolved.rerunGitHubAppPrivateKeySsmParameterName),
      },
      rerunInterruptedJobs: Token.isUnresolved(resolved.rerunInterruptedJobs) ? Fn.tostring(resolved.rerunInterruptedJobs as unknown as string) : String(resolved.rerunInterruptedJobs),
      reservedConcurrency: resolved.reconcileReservedConcurrency,
      scheduleExpression: resolved.reconcileScheduleExpression,
    });
    this.runnerBinariesSyncer = new RunnerBinariesSyncerFunction(this, "runner-binaries-syncer", {
      ...handler,
      pools,
      app,
      binaries: this.runnerBinaries,
      encryption: this.encryption,
      runnerVersion: resolved.runnerVersion,
      scheduleExpression: resolved.runnerBinariesSyncSchedule,
    });
    this.spotInterruption = new SpotInterruptionFunction(this, "spot-interruption", { ...handler, ...runners });
    this.queues.restrictTo(
      [this.webhook, this.scaleUp, this.reconcile, this.spotInterruption].map((fn) => fn.attribute(fn.role, "arn")),
      this.context,
      prefix,
    );

    this.api = new WebhookApi(this, "webhook-api", {
      name: prefix,
      handler: this.webhook,
      context: this.context,
      throttlingRateLimit: resolved.apiThrottlingRateLimit,
      throttlingBurstLimit: resolved.apiThrottlingBurstLimit,
      logRetentionDays,
      manageAccountLoggingRole: resolved.manageApiGatewayAccount,
      kmsKeyArn,
      tags,
    });

    this.firewall = new WebhookFirewall(this, "webhook-firewall", {
      name: prefix,
      stageArn: this.api.stageArn,
      enabled: resolved.enableWaf,
      rateLimit: resolved.wafRateLimit,
      rateLimitWindowSeconds: resolved.wafRateLimitWindowSeconds,
      githubHooksAllowlist: resolved.wafGitHubHooksAllowlist,
      maxBodyBytes: resolved.webhookMaxBodyBytes,
      ipSetUpdater: {
        functionName: `${prefix}-github-hooks-ipset`,
        zipPath: `${distDir}/lambdas/github-hooks-ipset.zip`,
        githubApiUrl,
        scheduleExpression: resolved.wafIpSetRefreshSchedule,
        layers: [layer.layerArn],
        subnetIds: resolved.lambdaSubnetIds,
        securityGroupIds: resolved.lambdaSecurityGroupIds,
        tracing: resolved.enableTracing,
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
      enableCloudTrail: resolved.enableCloudTrail,
      existingTrailArn: resolved.existingCloudTrailArn,
      isMultiRegionTrail: resolved.cloudTrailMultiRegion,
      glacierTransitionDays: resolved.cloudTrailGlacierAfterDays,
      retentionDays: resolved.cloudTrailRetentionDays,
      cloudWatchLogs: resolved.cloudTrailCloudWatchLogs,
      logRetentionDays,
      logGroupKmsKeyArn: kmsKeyArn,
      tags,
    });

    const createVpcEndpoints = resolved.createVpcEndpoints;
    const endpointServices = resolved.vpcEndpointServices;
    this.endpoints = new VpcEndpoints(this, "vpc-endpoints", {
      prefix,
      vpcId: resolved.vpcId,
      context: this.context,
      enabled: createVpcEndpoints,
      subnetIds: resolved.vpcEndpointSubnetIds,
      routeTableIds: resolved.vpcEndpointRouteTableIds,
      interfaceServices: endpointServices,
      gatewayServices: resolved.vpcEndpointGatewayServices,
      sourceSecurityGroupIds: resolved.vpcEndpointSourceSecurityGroupIds,
      tags,
    });

    const natEnabled = resolved.enableNatInstances;
    const natRouteTables = resolved.natPrivateRouteTableIds;
    this.nat = new NatInstances(this, "nat", {
      prefix,
      vpcId: resolved.vpcId,
      context: this.context,
      enabled: natEnabled,
      subnetIds: resolved.natInstanceSubnetIds,
      privateRouteTableIds: natRouteTables,
      instanceType: resolved.natInstanceType,
      iamPathInArn: rolePath,
      // The user's tags only: NAT instances must not carry self-runners:prefix, or the reconciler would reap them.
      tags: resolved.tags,
    });
    const ec2EndpointCreated = allOf([createVpcEndpoints, listContains(endpointServices, "ec2")]);
    this.natFailover = new NatFailover(this, "nat-failover", {
      prefix,
      vpcId: resolved.vpcId,
      context: this.context,
      enabled: natEnabled,
      zipPath: `${distDir}/lambdas/nat-failover.zip`,
      layerArn: layer.layerArn,
      privateRouteTableIds: natRouteTables,
      probeSubnetIds: resolved.natProbeSubnetIds,
      standbyNatGatewayIds: resolved.natStandbyNatGatewayIds,
      probeTargets: resolved.natProbeUrls,
      probeIntervalSeconds: resolved.natProbeIntervalSeconds,
      failureThreshold: resolved.natFailureThreshold,
      failbackHoldDownSeconds: resolved.natFailbackHoldDownSeconds,
      ec2ApiReachable: anyOf(resolved.natFailoverExistingEc2Endpoint, ec2EndpointCreated),
      tracing: resolved.enableTracing,
      logRetentionDays,
      kmsKeyArn,
      tags,
    });
    // The failover functions' environment is encrypted with the key, so their role must decrypt it.
    if (Token.isUnresolved(natEnabled) || natEnabled) {
      this.encryption.grantUse("nat-failover", { id: Fn.lookupNested(this.natFailover.role.fqn, ["0", "id"]) }, ["lambda"], natEnabled);
    }

    this.operations = new Operations(this, "operations", {
      prefix,
      context: this.context,
      resolved,
      pools,
      kmsKeyArn,
      wafAllowlistEnabled: this.firewall.allowlistEnabled,
      natFailover: this.natFailover,
      tags,
    });
  }
}
