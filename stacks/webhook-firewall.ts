import { Construct } from "constructs";
import { Fn, Token } from "./cdktf.js";
import { CloudwatchLogGroup, Wafv2IpSet, Wafv2WebAcl, Wafv2WebAclAssociation, Wafv2WebAclLoggingConfiguration, type Wafv2WebAclRule } from "./aws.js";
import { allOf, countIf, localCondition } from "./private/conditions.js";
import { checkProps } from "./errors.js";
import { SHARED_INPUTS } from "./module/shared-rules.js";
import type { NodejsFunction } from "./nodejs-function.js";
import { createHooksIpSetUpdater, type HooksIpSetUpdaterProps } from "./functions/github-hooks-ipset-function.js";
import { WAF_REDACTED_HEADERS, WAF_RULES, managedGroup, unsignedOrOversized } from "./webhook-firewall-rules.js";

// The rule table and the updater's props are part of this construct's public API.
export { WAF_COUNTED_BODY_RULES, WAF_REDACTED_HEADERS, WAF_RULES } from "./webhook-firewall-rules.js";
export type { HooksIpSetUpdaterProps } from "./functions/github-hooks-ipset-function.js";

/** Props of {@link WebhookFirewall}. */
export interface WebhookFirewallProps {
  /** Name prefix: web ACL `<name>-webhook`, IP sets `<name>-github-hooks-ipv4|6`, log group `aws-waf-logs-<name>`. */
  readonly name: string;
  /** ARN of the API Gateway REST stage to protect. */
  readonly stageArn: string;
  /**
   * Largest webhook body the function accepts, in bytes. The first rule blocks a `Content-Length` with
   * more digits than this number has (WAF compares sizes, not numbers): for 262144, 1,000,000 bytes or more.
   * @default 262144
   */
  readonly maxBodyBytes?: number;
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
   * IP sets by a scheduled function. GitHub's ranges are rate limited like any other address: every
   * GitHub user can send from them with a repository webhook of their own.
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

    const [signatureRule, allowlistRule, rateRule, ...managedRules] = WAF_RULES;
    const visibility = (metricName: string) => ({ cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName });
    const rateStatement: Record<string, unknown> = {
      limit: props.rateLimit ?? SHARED_INPUTS.wafRateLimit.default,
      evaluation_window_sec: props.rateLimitWindowSeconds ?? SHARED_INPUTS.wafRateLimitWindowSeconds.default,
      aggregate_key_type: "IP",
    };
    // No exemption for GitHub's ranges: anyone can send from them through a webhook of their own.
    const rules: Wafv2WebAclRule[] = [
      {
        name: signatureRule.name,
        priority: signatureRule.priority,
        action: { block: {} },
        statement: unsignedOrOversized(props.maxBodyBytes ?? SHARED_INPUTS.webhookMaxBodyBytes.default),
        visibilityConfig: visibility(signatureRule.metricName),
      },
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
    if (allowlist === true) rules.splice(1, 0, { ...allowlistBlock, visibilityConfig: visibility(allowlistRule.metricName) });

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

    const fill = createHooksIpSetUpdater(this, props, { ipv4: this.ipv4Set, ipv6: this.ipv6Set }, allowlistCount, logRetentionDays, tags);
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
}

/** `for_each` of a block that exists only when `condition` holds. */
function onlyIf(condition: boolean): string[] {
  return Fn.conditional(condition, ["enabled"], []) as unknown as string[];
}
