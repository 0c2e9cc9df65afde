/**
 * The github-hooks-ipset function (lambdas/github-hooks-ipset/): keeps the webhook firewall's allowlist
 * IP sets in step with GitHub's `GET /meta`, on a schedule and once at apply time. Created inside the
 * {@link WebhookFirewall} (a function, not a construct, so its resources keep their addresses there).
 */
import type { Construct } from "constructs";
import { Fn } from "../cdktf.js";
import { CloudwatchEventRule, CloudwatchEventTarget, LambdaInvocation, LambdaPermission, type Wafv2IpSet } from "../aws.js";
import { SelfRunnersValidationError } from "../errors.js";
import { SHARED_INPUTS } from "../module/shared-rules.js";
import { NodejsFunction } from "../nodejs-function.js";
import { powertoolsEnvironment, renderEnvironment } from "../private/environment.js";
import { GITHUB_HOOKS_IPSET_ENV } from "../../contracts/github-hooks-ipset.js";

/** The function that keeps the allowlist's IP sets in step with GitHub's `GET /meta`. */
export interface HooksIpSetUpdaterProps {
  /** Function name; also names its role, log group and schedule. */
  readonly functionName: string;
  /** Path of github-hooks-ipset.zip built by `npm run build`. */
  readonly zipPath: string;
  /**
   * GitHub REST API base URL whose `GET /meta` lists the webhook source ranges.
   * @default "https://api.github.com"
   */
  readonly githubApiUrl?: string;
  /**
   * When the IP sets are refreshed (EventBridge schedule expression).
   * @default "rate(1 hour)"
   */
  readonly scheduleExpression?: string;
  /**
   * Layer version ARNs (the shared layer).
   * @default []
   */
  readonly layers?: string[];
  /**
   * Subnets for the function; empty keeps it outside any VPC.
   * @default []
   */
  readonly subnetIds?: string[];
  /**
   * Security groups for the function when it runs in subnets.
   * @default []
   */
  readonly securityGroupIds?: string[];
  /**
   * X-Ray active tracing (NodejsFunction `tracing`).
   * @default false
   */
  readonly tracing?: boolean;
}

/** What the updater is given by its firewall. */
export interface HooksIpSetUpdaterContext {
  /** Firewall name prefix (the functions' Powertools service namespace). */
  readonly name: string;
  readonly ipSetUpdater?: HooksIpSetUpdaterProps;
  readonly kmsKeyArn?: string;
}

/**
 * The updater function in `scope` (the firewall), its schedule, and one invocation at apply time that
 * fills the sets; undefined when the allowlist is literally off (`count` 0).
 */
export function createHooksIpSetUpdater(
  scope: Construct,
  props: HooksIpSetUpdaterContext,
  ipSets: { readonly ipv4: Wafv2IpSet; readonly ipv6: Wafv2IpSet },
  count: number,
  logRetentionDays: number,
  tags: Record<string, string>,
): { updater: NodejsFunction; invocation: LambdaInvocation } | undefined {
const options = props.ipSetUpdater;
  if (count === 0) return undefined;
  if (options === undefined) {
    throw new SelfRunnersValidationError(scope.node.path, "ipSetUpdater", undefined, "an updater (function name and zip) whenever githubHooksAllowlist is or may be true");
  }
  const first = (resource: { fqn: string }, attribute: string): string => Fn.lookupNested(resource.fqn, ["0", attribute]);
  const updater = new NodejsFunction(scope, "github-hooks-ipset", {
    count,
    functionName: options.functionName,
    description: "Writes GitHub's webhook source ranges (GET /meta hooks) to the WAF allowlist IP sets",
    zipPath: options.zipPath,
    layers: options.layers,
    timeout: 60,
    // One run at a time: a scheduled run and the apply-time run would only race for the lock tokens.
    reservedConcurrency: 1,
    logRetentionDays,
    kmsKeyArn: props.kmsKeyArn,
    subnetIds: options.subnetIds,
    securityGroupIds: options.securityGroupIds,
    tracing: options.tracing,
    environment: renderEnvironment(GITHUB_HOOKS_IPSET_ENV, {
      ...powertoolsEnvironment("github-hooks-ipset", props.name),
      githubApiUrl: options.githubApiUrl ?? SHARED_INPUTS.githubApiUrl.default,
      ipSetScope: "REGIONAL",
      ipv4SetName: first(ipSets.ipv4, "name"),
      ipv4SetId: first(ipSets.ipv4, "id"),
      ipv6SetName: first(ipSets.ipv6, "name"),
      ipv6SetId: first(ipSets.ipv6, "id"),
    }),
    tags,
  });
  const policy = updater.addToRolePolicy("update-ip-sets", [
    { Sid: "UpdateGitHubHooksIpSets", Action: ["wafv2:GetIPSet", "wafv2:UpdateIPSet"], Resource: [first(ipSets.ipv4, "arn"), first(ipSets.ipv6, "arn")] },
  ]);
  const rule = new CloudwatchEventRule(scope, "github-hooks-ipset-schedule", {
    count,
    name: options.functionName,
    description: "Refreshes the WAF allowlist from GitHub's GET /meta hooks",
    scheduleExpression: options.scheduleExpression ?? SHARED_INPUTS.wafIpSetRefreshSchedule.default,
    tags,
  });
  new CloudwatchEventTarget(scope, "github-hooks-ipset-target", { count, rule: first(rule, "name"), arn: updater.functionArn, targetId: "github-hooks-ipset" });
  new LambdaPermission(scope, "github-hooks-ipset-invoke", {
    count,
    statementId: "AllowEventBridgeInvoke",
    action: "lambda:InvokeFunction",
    functionName: updater.functionName,
    principal: "events.amazonaws.com",
    sourceArn: first(rule, "arn"),
  });
  // Fills the empty sets during apply; a refused or failed fill fails the apply instead of leaving
  // an allowlist that blocks GitHub. Runs again whenever the sets are replaced.
  const invocation = new LambdaInvocation(scope, "github-hooks-ipset-fill", {
    count,
    functionName: updater.functionName,
    input: Fn.jsonencode({ source: "terraform" }),
    triggers: { ipv4_set_id: first(ipSets.ipv4, "id"), ipv6_set_id: first(ipSets.ipv6, "id") },
    dependsOn: [policy],
  });
  return { updater, invocation };
}
