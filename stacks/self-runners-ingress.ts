/**
 * The webhook ingress of {@link SelfRunners}: the API stage in front of the webhook function and the
 * firewall on that stage (with its GitHub hooks allowlist updater). A function, not a construct: the
 * parts are created in the SelfRunners scope, so their construct ids (the emitted module's resource
 * addresses) stay what they were.
 */
import type { Construct } from "constructs";
import type { AwsContext } from "./aws-context.js";
import type { EncryptionKey } from "./encryption-key.js";
import type { WebhookFunction } from "./functions/webhook-function.js";
import type { ResolvedSelfRunnersProps } from "./module/props.js";
import { WebhookApi } from "./webhook-api.js";
import { WebhookFirewall } from "./webhook-firewall.js";

/** What the ingress needs from the rest of the kit. */
export interface SelfRunnersIngressOptions {
  readonly resolved: ResolvedSelfRunnersProps;
  readonly context: AwsContext;
  readonly encryption: EncryptionKey;
  /** The function the API stage invokes. */
  readonly webhook: WebhookFunction;
  /** The shared layer of the allowlist updater. */
  readonly layerArn: string;
  /** The kit's tags, with self-runners:prefix. */
  readonly tags: Record<string, string>;
}

export interface SelfRunnersIngress {
  readonly api: WebhookApi;
  readonly firewall: WebhookFirewall;
}

export function createSelfRunnersIngress(scope: Construct, o: SelfRunnersIngressOptions): SelfRunnersIngress {
  const { resolved, tags } = o;
  const prefix = resolved.prefix;
  const kmsKeyArn = o.encryption.kmsKeyArn;
  const api = new WebhookApi(scope, "webhook-api", {
    name: prefix,
    handler: o.webhook,
    context: o.context,
    throttlingRateLimit: resolved.apiThrottlingRateLimit,
    throttlingBurstLimit: resolved.apiThrottlingBurstLimit,
    logRetentionDays: resolved.logRetentionDays,
    manageAccountLoggingRole: resolved.manageApiGatewayAccount,
    kmsKeyArn,
    tags,
  });

  const firewall = new WebhookFirewall(scope, "webhook-firewall", {
    name: prefix,
    stageArn: api.stageArn,
    enabled: resolved.enableWaf,
    rateLimit: resolved.wafRateLimit,
    rateLimitWindowSeconds: resolved.wafRateLimitWindowSeconds,
    githubHooksAllowlist: resolved.wafGitHubHooksAllowlist,
    maxBodyBytes: resolved.webhookMaxBodyBytes,
    ipSetUpdater: {
      functionName: `${prefix}-github-hooks-ipset`,
      zipPath: `${resolved.distDir}/lambdas/github-hooks-ipset.zip`,
      githubApiUrl: resolved.githubApiUrl,
      scheduleExpression: resolved.wafIpSetRefreshSchedule,
      layers: [o.layerArn],
      subnetIds: resolved.lambdaSubnetIds,
      securityGroupIds: resolved.lambdaSecurityGroupIds,
      tracing: resolved.enableTracing,
    },
    logRetentionDays: resolved.logRetentionDays,
    kmsKeyArn,
    tags,
  });
  const ipSetUpdater = firewall.ipSetUpdater;
  if (ipSetUpdater !== undefined) {
    o.encryption.grantUse("github-hooks-ipset", { id: ipSetUpdater.attribute(ipSetUpdater.role, "id") }, ["lambda"], firewall.allowlistEnabled);
  }
  return { api, firewall };
}
