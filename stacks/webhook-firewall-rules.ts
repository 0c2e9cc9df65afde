/**
 * The webhook firewall's rule table and statements (stacks/webhook-firewall.ts): which rules, in which
 * order, and what each matches. Plain data and functions; the construct turns them into the web ACL.
 */
import { Fn, Token } from "./cdktf.js";
import { WEBHOOK_SIGNATURE_HEADER, WEBHOOK_SIGNATURE_PATTERN } from "../contracts/webhook.js";

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
  { name: "signed-requests-only", priority: 0, metricName: "signed-requests-only" },
  { name: "github-hooks-allowlist", priority: 1, metricName: "github-hooks-allowlist" },
  { name: "rate-limit-per-ip", priority: 2, metricName: "rate-limit-per-ip" },
  { name: "aws-ip-reputation", priority: 3, metricName: "aws-ip-reputation", group: "AWSManagedRulesAmazonIpReputationList" },
  { name: "aws-known-bad-inputs", priority: 4, metricName: "aws-known-bad-inputs", group: "AWSManagedRulesKnownBadInputsRuleSet" },
  { name: "aws-common-rule-set", priority: 5, metricName: "aws-common-rule-set", group: "AWSManagedRulesCommonRuleSet" },
  { name: "aws-sqli", priority: 6, metricName: "aws-sqli", group: "AWSManagedRulesSQLiRuleSet" },
] as const;

/** Headers WAF logs must not show: GitHub's HMAC signatures of the body. */
export const WAF_REDACTED_HEADERS = ["x-hub-signature-256", "x-hub-signature"] as const;

/**
 * Matches a request without a well-formed signature header (a request without it cannot be a
 * delivery, so it must not count against the rate rule or the stage throttle; issue 18, finding 4), or whose `Content-Length` has more digits
 * than `maxBodyBytes`: neither can be a delivery the function would accept.
 */
export function unsignedOrOversized(maxBodyBytes: number): Record<string, unknown> {
  const digits = Token.isUnresolved(maxBodyBytes) ? Fn.lengthOf(Fn.tostring(maxBodyBytes)) : String(maxBodyBytes).length;
  return {
    or_statement: {
      statement: [
        {
          not_statement: {
            statement: {
              regex_match_statement: {
                regex_string: WEBHOOK_SIGNATURE_PATTERN,
                field_to_match: { single_header: { name: WEBHOOK_SIGNATURE_HEADER } },
                text_transformation: [{ priority: 0, type: "NONE" }],
              },
            },
          },
        },
        {
          size_constraint_statement: {
            comparison_operator: "GT",
            size: digits,
            field_to_match: { single_header: { name: "content-length" } },
            text_transformation: [{ priority: 0, type: "NONE" }],
          },
        },
      ],
    },
  };
}

/** A managed rule group statement with the group's body rules overridden to count. */
export function managedGroup(group: string): Record<string, unknown> {
  const counted: readonly string[] = WAF_COUNTED_BODY_RULES[group as keyof typeof WAF_COUNTED_BODY_RULES] ?? [];
  return {
    name: group,
    vendor_name: "AWS",
    ...(counted.length === 0 ? {} : { rule_action_override: counted.map((name) => ({ name, action_to_use: { count: {} } })) }),
  };
}
