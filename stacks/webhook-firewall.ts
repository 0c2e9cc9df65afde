import { Construct } from "constructs";
import { Fn, Token } from "./cdktf.js";
import {
  CloudwatchEventRule,
  CloudwatchEventTarget,
  CloudwatchLogGroup,
  LambdaInvocation,
  LambdaPermission,
  Wafv2IpSet,
  Wafv2WebAcl,
  Wafv2WebAclAssociation,
  Wafv2WebAclLoggingConfiguration,
  type Wafv2WebAclRule,
} from "./aws.js";
import { allOf, countIf, localCondition } from "./private/conditions.js";
import { SelfRunnersValidationError, checkProps } from "./errors.js";
import { SHARED_INPUTS } from "./module/shared-rules.js";
import { NodejsFunction } from "./nodejs-function.js";
import { GITHUB_HOOKS_IPSET_ENV } from "../contracts/github-hooks-ipset.js";
import { powertoolsEnvironment, renderEnvironment } from "./private/environment.js";

/**
 * Body rules of the AWS managed groups that only count. A `workflow_job` delivery is larger than the
 * 8 KB SizeRestrictions_BODY allows and carries commit messages, which quote HTML, paths (`../`),
 * URLs, `169.254.169.254`, SQL and `${jndi:...}` often enough in ordinary work; a blocked delivery is
 * a lost job, while the body is authenticated by its HMAC signature before anything reads it.
 */
export const WAF_COUNTED_BODY_RULES = {
  AWSManagedRulesKnownBadInputsRuleSet: ["Log4JRCE_BODY", "JavaDeserializationRCE_BODY"],
  AWSManagedRulesCommonRuleSet: ["SizeRestrictions_BODY", "CrossSiteScripting_BODY", "GenericLFI_BODY", "GenericRFI_BODY", "EC2MetaDataSSRF_BODY"],
  AWSManagedRulesSQLiRuleSet: ["SQLi_BODY", "SQLiExtendedPatterns_BODY"],
} as const;

/** The web ACL's rules by name, in priority order, with the CloudWatch metric name of each. */
export const WAF_RULES = [
  { name: "github-hooks-allowlist", priority: 0, metricName: "github-hooks-allowlist" },
  { name: "rate-limit-per-ip", priority: 1, metricName: "rate-limit-per-ip" },
  { name: "aws-ip-reputation", priority: 2, metricName: "aws-ip-reputation", group: "AWSManagedRulesAmazonIpReputationList" },
  { name: "aws-known-bad-inputs", priority: 3, metricName: "aws-known-bad-inputs", group: "AWSManagedRulesKnownBadInputsRuleSet" },
  { name: "aws-common-rule-set", priority: 4, metricName: "aws-common-rule-set", group: "AWSManagedRulesCommonRuleSet" },
  { name: "aws-sqli", priority: 5, metricName: "aws-sqli", group: "AWSManagedRulesSQLiRuleSet" },
] as const;

/** Headers WAF logs must not show: GitHub's HMAC signatures of the body. */
export const WAF_REDACTED_HEADERS = ["x-hub-signature-256", "x-hub-signature"] as const;

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

/** Props of {@link WebhookFirewall}. */
export interface WebhookFirewallProps {
  /** Name prefix: web ACL `<name>-webhook`, IP sets `<name>-github-hooks-ipv4|6`, log group `aws-waf-logs-<name>`. */
  readonly name: string;
  /** ARN of the API Gateway REST stage to protect. */
  readonly stageArn: string;
  /**
   * Create the web ACL and associate it with the stage.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Requests one source IP may send per evaluation window before WAF blocks it. GitHub delivers an
   * organization's webhooks from a few addresses, and each job sends three (queued, in_progress,
   * completed): a 1,000-job burst is 3,000 deliveries, possibly from one address. The default leaves
   * more than three times that within a window.
   * @default 10000
   */
  readonly rateLimit?: number;
  /**
   * The rate limit's evaluation window, in seconds: 60, 120, 300 or 600.
   * @default 300
   */
  readonly rateLimitWindowSeconds?: number;
  /**
   * Block every source address outside GitHub's webhook ranges (`hooks` of `GET /meta`), kept in two
   * IP sets by a scheduled function. The rate limit then applies only to addresses outside them.
   * @default false
   */
  readonly githubHooksAllowlist?: boolean;
  /**
   * The IP set updater; required when `githubHooksAllowlist` is true or decided by a variable.
   * @default - none
   */
  readonly ipSetUpdater?: HooksIpSetUpdaterProps;
  /**
   * Retention of the WAF log group and the updater's log group, in days.
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * Customer managed KMS key for the WAF log group and the updater (its log group and environment).
   * Its key policy must let CloudWatch Logs use it for `aws-waf-logs-<name>` and the updater's group.
   * @default - AWS-managed encryption
   */
  readonly kmsKeyArn?: string;
  /**
   * Tags for every resource.
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/**
 * A regional WAFv2 web ACL in front of the webhook stage: optional allowlist of GitHub's webhook
 * ranges, a per-IP rate limit, and the AWS managed IP reputation, known bad inputs, core and SQL
 * injection groups with their body rules counting only. Requests are logged to CloudWatch Logs with
 * the signature headers redacted. Every resource has a `count`, so literal props and module variables
 * switch it alike.
 */
export class WebhookFirewall extends Construct {
  /** The web ACL's ARN; "" when disabled. */
  readonly webAclArn: string;
  /** The WAF log group's name; "" when disabled. */
  readonly logGroupName: string;
  readonly webAcl: Wafv2WebAcl;
  readonly ipv4Set: Wafv2IpSet;
  readonly ipv6Set: Wafv2IpSet;
  /** The IP set updater; created (count 1) only with the allowlist. */
  readonly ipSetUpdater?: NodejsFunction;
  /** Whether the allowlist (IP sets, updater) exists: a boolean for literal props, a Terraform expression otherwise. */
  readonly allowlistEnabled: boolean;

  constructor(scope: Construct, id: string, props: WebhookFirewallProps) {
    super(scope, id);
    checkProps(this.node.path, [
      { prop: "rateLimit", value: props.rateLimit, rule: SHARED_INPUTS.wafRateLimit.rule },
      { prop: "rateLimitWindowSeconds", value: props.rateLimitWindowSeconds, rule: SHARED_INPUTS.wafRateLimitWindowSeconds.rule },
      { prop: "logRetentionDays", value: props.logRetentionDays, rule: SHARED_INPUTS.logRetentionDays.rule },
      { prop: "ipSetUpdater.scheduleExpression", value: props.ipSetUpdater?.scheduleExpression, rule: SHARED_INPUTS.wafIpSetRefreshSchedule.rule },
    ]);
    const tags = props.tags ?? {};
    const logRetentionDays = props.logRetentionDays ?? SHARED_INPUTS.logRetentionDays.default;
    const enabled = localCondition(this, "enabled", props.enabled ?? true);
    const allowlist = localCondition(this, "allowlist", allOf([enabled, props.githubHooksAllowlist ?? false]));
    this.allowlistEnabled = allowlist;
    const count = countIf(enabled);
    const allowlistCount = countIf(allowlist);
    const first = (resource: { fqn: string }, attribute: string): string => Fn.lookupNested(resource.fqn, ["0", attribute]);
    const created = (resource: { fqn: string }, attribute: string, ifCount: number): string => (ifCount === 0 ? "" : Fn.try([first(resource, attribute), ""]));

    const ipSet = (version: "IPV4" | "IPV6"): Wafv2IpSet =>
      new Wafv2IpSet(this, `github-hooks-${version.toLowerCase()}`, {
        count: allowlistCount,
        name: `${props.name}-github-hooks-${version.toLowerCase()}`,
        description: "GitHub webhook source ranges (hooks of GET /meta), written by the github-hooks-ipset function",
        scope: "REGIONAL",
        ipAddressVersion: version,
        addresses: [],
        tags,
        // The updater function owns the addresses; Terraform only creates the set.
        lifecycle: { ignoreChanges: ["addresses"] },
      });
    this.ipv4Set = ipSet("IPV4");
    this.ipv6Set = ipSet("IPV6");
    const fromGitHub = {
      or_statement: {
        statement: [this.ipv4Set, this.ipv6Set].map((set) => ({ ip_set_reference_statement: { arn: first(set, "arn") } })),
      },
    };
    const notFromGitHub = { not_statement: { statement: fromGitHub } };

    const [allowlistRule, rateRule, ...managedRules] = WAF_RULES;
    const visibility = (metricName: string) => ({ cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName });
    const rateStatement: Record<string, unknown> = {
      limit: props.rateLimit ?? SHARED_INPUTS.wafRateLimit.default,
      evaluation_window_sec: props.rateLimitWindowSeconds ?? SHARED_INPUTS.wafRateLimitWindowSeconds.default,
      aggregate_key_type: "IP",
    };
    // With the allowlist, GitHub's own addresses are never rate limited.
    if (Token.isUnresolved(allowlist)) {
      rateStatement.dynamic = { scope_down_statement: { for_each: onlyIf(allowlist), content: notFromGitHub } };
    } else if (allowlist) {
      rateStatement.scope_down_statement = notFromGitHub;
    }
    const rules: Wafv2WebAclRule[] = [
      {
        name: rateRule.name,
        priority: rateRule.priority,
        action: { block: {} },
        statement: { rate_based_statement: rateStatement },
        visibilityConfig: visibility(rateRule.metricName),
      },
      ...managedRules.map((rule) => ({
        name: rule.name,
        priority: rule.priority,
        overrideAction: { none: {} },
        statement: { managed_rule_group_statement: managedGroup(rule.group) },
        visibilityConfig: visibility(rule.metricName),
      })),
    ];
    const allowlistBlock = {
      name: allowlistRule.name,
      priority: allowlistRule.priority,
      action: { block: {} },
      statement: notFromGitHub,
    };
    if (allowlist === true) rules.unshift({ ...allowlistBlock, visibilityConfig: visibility(allowlistRule.metricName) });

    this.webAcl = new Wafv2WebAcl(this, "web-acl", {
      count,
      name: `${props.name}-webhook`,
      description: "Protects the self-runners webhook stage",
      scope: "REGIONAL",
      defaultAction: { allow: {} },
      rule: rules,
      visibilityConfig: visibility(`${props.name}-webhook`),
      tags,
    });
    if (Token.isUnresolved(allowlist)) {
      // A rule that exists only with the allowlist: a dynamic block next to the static rules.
      this.webAcl.addOverride("dynamic.rule", {
        for_each: onlyIf(allowlist),
        content: { ...allowlistBlock, visibility_config: { cloudwatch_metrics_enabled: true, sampled_requests_enabled: true, metric_name: allowlistRule.metricName } },
      });
    }

    const fill = this.createUpdater(props, allowlistCount, logRetentionDays, tags);
    this.ipSetUpdater = fill?.updater;

    new Wafv2WebAclAssociation(this, "association", {
      count,
      resourceArn: props.stageArn,
      webAclArn: first(this.webAcl, "arn"),
      // With the allowlist, traffic meets the ACL only once the sets hold GitHub's ranges.
      dependsOn: fill === undefined ? undefined : [fill.invocation],
    });

    // WAF delivers only to log groups named aws-waf-logs-*.
    const logGroup = new CloudwatchLogGroup(this, "logs", {
      count,
      name: `aws-waf-logs-${props.name}`,
      retentionInDays: logRetentionDays,
      kmsKeyId: props.kmsKeyArn,
      tags,
    });
    new Wafv2WebAclLoggingConfiguration(this, "logging", {
      count,
      resourceArn: first(this.webAcl, "arn"),
      logDestinationConfigs: [first(logGroup, "arn")],
      redactedFields: WAF_REDACTED_HEADERS.map((name) => ({ singleHeader: { name } })),
    });

    this.webAclArn = created(this.webAcl, "arn", count);
    this.logGroupName = created(logGroup, "name", count);
  }

  /** The updater function, its schedule, and one invocation at apply time; undefined when the allowlist is literally off. */
  private createUpdater(
    props: WebhookFirewallProps,
    count: number,
    logRetentionDays: number,
    tags: Record<string, string>,
  ): { updater: NodejsFunction; invocation: LambdaInvocation } | undefined {
    const options = props.ipSetUpdater;
    if (count === 0) return undefined;
    if (options === undefined) {
      throw new SelfRunnersValidationError(this.node.path, "ipSetUpdater", undefined, "an updater (function name and zip) whenever githubHooksAllowlist is or may be true");
    }
    const first = (resource: { fqn: string }, attribute: string): string => Fn.lookupNested(resource.fqn, ["0", attribute]);
    const updater = new NodejsFunction(this, "github-hooks-ipset", {
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
        ipv4SetName: first(this.ipv4Set, "name"),
        ipv4SetId: first(this.ipv4Set, "id"),
        ipv6SetName: first(this.ipv6Set, "name"),
        ipv6SetId: first(this.ipv6Set, "id"),
      }),
      tags,
    });
    const policy = updater.addToRolePolicy("update-ip-sets", [
      { Sid: "UpdateGitHubHooksIpSets", Action: ["wafv2:GetIPSet", "wafv2:UpdateIPSet"], Resource: [first(this.ipv4Set, "arn"), first(this.ipv6Set, "arn")] },
    ]);
    const rule = new CloudwatchEventRule(this, "github-hooks-ipset-schedule", {
      count,
      name: options.functionName,
      description: "Refreshes the WAF allowlist from GitHub's GET /meta hooks",
      scheduleExpression: options.scheduleExpression ?? SHARED_INPUTS.wafIpSetRefreshSchedule.default,
      tags,
    });
    new CloudwatchEventTarget(this, "github-hooks-ipset-target", { count, rule: first(rule, "name"), arn: updater.functionArn, targetId: "github-hooks-ipset" });
    new LambdaPermission(this, "github-hooks-ipset-invoke", {
      count,
      statementId: "AllowEventBridgeInvoke",
      action: "lambda:InvokeFunction",
      functionName: updater.functionName,
      principal: "events.amazonaws.com",
      sourceArn: first(rule, "arn"),
    });
    // Fills the empty sets during apply; a refused or failed fill fails the apply instead of leaving
    // an allowlist that blocks GitHub. Runs again whenever the sets are replaced.
    const invocation = new LambdaInvocation(this, "github-hooks-ipset-fill", {
      count,
      functionName: updater.functionName,
      input: Fn.jsonencode({ source: "terraform" }),
      triggers: { ipv4_set_id: first(this.ipv4Set, "id"), ipv6_set_id: first(this.ipv6Set, "id") },
      dependsOn: [policy],
    });
    return { updater, invocation };
  }
}

/** `for_each` of a block that exists only when `condition` holds. */
function onlyIf(condition: boolean): string[] {
  return Fn.conditional(condition, ["enabled"], []) as unknown as string[];
}

/** A managed rule group statement with the group's body rules overridden to count. */
function managedGroup(group: string): Record<string, unknown> {
  const counted: readonly string[] = WAF_COUNTED_BODY_RULES[group as keyof typeof WAF_COUNTED_BODY_RULES] ?? [];
  return {
    name: group,
    vendor_name: "AWS",
    ...(counted.length === 0 ? {} : { rule_action_override: counted.map((name) => ({ name, action_to_use: { count: {} } })) }),
  };
}
