import { Construct } from "constructs";
import { Aspects, Fn, Token, type IResolvable } from "./cdktf.js";
import { AuditTrail } from "./audit-trail.js";
import { AwsContext } from "./aws-context.js";
import { BuildCache } from "./build-cache/build-cache.js";
import { EncryptionKey } from "./encryption-key.js";
import { grantJitOpen } from "./private/jit-seal-access.js";
import { DIST_DIR_CHECK, resolveSelfRunnersProps } from "./module/props.js";
import { checkProps } from "./errors.js";
import { DrainingSwitch } from "./draining-switch.js";
import { GitHubAppSecrets } from "./github-app-secrets.js";
import { JobLedger } from "./job-ledger.js";
import { Operations } from "./operations/operations.js";
import type { PoolMap, RunnerPoolProps } from "./pools.js";
import { normalizePools } from "./pools-rules.js";
import type { SelfRunnersProps } from "./self-runners-props.js";
import { RunnerBinaries } from "./runner-binaries.js";
import { RunnerFleet } from "./runner-fleet.js";
import { poolRoleNames } from "./runner-pool-roles.js";
import { createSelfRunnersFunctions } from "./self-runners-functions.js";
import { createSelfRunnersIngress } from "./self-runners-ingress.js";
import { createSelfRunnersNetwork } from "./self-runners-network.js";
import { RunnerCustomization } from "./runner-customization.js";
import { RunnerImages } from "./runner-images.js";
import { normalizeRunnerImages, type RunnerImageProps } from "./runner-images-spec.js";
import { RunnerLogs } from "./runner-logs.js";
import { RunnerQueues } from "./runner-queue.js";
import { RunnersTable } from "./runners-table.js";
import { SharedLayer } from "./shared-layer.js";
import type { ReconcileFunction } from "./functions/reconcile-function.js";
import type { RunnerBinariesSyncerFunction } from "./functions/runner-binaries-syncer-function.js";
import type { ScaleUpFunction } from "./functions/scale-up-function.js";
import type { SpotInterruptionFunction } from "./functions/spot-interruption-function.js";
import type { WebhookFunction } from "./functions/webhook-function.js";
import { GitHubAppAccess } from "./private/github-app-access.js";
import type { VpcEndpoints } from "./vpc-endpoints.js";
import type { WebhookApi } from "./webhook-api.js";
import type { WebhookFirewall } from "./webhook-firewall.js";
import type { NatFailover } from "./nat-failover.js";
import type { NatInstances } from "./nat-instance.js";
import { mergeTags } from "./private/tags.js";
import { RoleSettingsAspect } from "./private/role-settings.js";
import { keyUserRoleNames, kitLogGroupNames, kitRoleNames } from "./private/kit-names.js";

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
    const bootTimeoutSeconds = resolved.runnerBootTimeoutSeconds;
    const idleTimeoutMinutes = resolved.runnerIdleTimeoutMinutes;

    this.context = new AwsContext(this, "current");
    // Every role below gets the boundary and the path, however it is created.
    Aspects.of(this).add(new RoleSettingsAspect({ permissionsBoundaryArn: resolved.permissionsBoundaryArn, path: resolved.iamRolePath }));
    // The kit's roles by name: the key and table policies name them before the roles exist.
    const roles = kitRoleNames(this.context, prefix, resolved.iamRolePath, pools);
    const { roleArn, roleArns, roleName, withPoolRoles, poolRoles } = roles;
    this.encryption = new EncryptionKey(this, "encryption", {
      name: prefix,
      context: this.context,
      createKey: resolved.createKmsKey,
      keyArn: resolved.kmsKeyArn,
      administratorArns: resolved.kmsKeyAdministratorArns,
      userRoleNames: keyUserRoleNames(roles),
      logGroupNames: kitLogGroupNames(prefix),
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

    ({
      webhook: this.webhook,
      scaleUp: this.scaleUp,
      reconcile: this.reconcile,
      runnerBinariesSyncer: this.runnerBinariesSyncer,
      spotInterruption: this.spotInterruption,
    } = createSelfRunnersFunctions(this, {
      resolved,
      pools,
      handler,
      app,
      context: this.context,
      encryption: this.encryption,
      secrets: this.secrets,
      queues: this.queues,
      ledger: this.ledger,
      table: this.table,
      fleet: this.fleet,
      drainingSwitch: this.drainingSwitch,
      images: this.images,
      runnerBinaries: this.runnerBinaries,
    }));

    ({ api: this.api, firewall: this.firewall } = createSelfRunnersIngress(this, {
      resolved,
      context: this.context,
      encryption: this.encryption,
      webhook: this.webhook,
      layerArn: layer.layerArn,
      tags,
    }));

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

    ({ endpoints: this.endpoints, nat: this.nat, natFailover: this.natFailover } = createSelfRunnersNetwork(this, {
      resolved,
      context: this.context,
      encryption: this.encryption,
      layerArn: layer.layerArn,
      rolePath: roles.rolePath,
      tags,
    }));

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
