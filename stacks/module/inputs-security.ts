/** The webhook firewall and the audit trail, groups of the input table (./inputs.ts). */
import type { InputGroup } from "./input-spec.js";
import { SHARED_INPUTS } from "./shared-rules.js";

export const WAF: InputGroup = {
  title: "WAF",
  inputs: [
    {
      name: "enable_waf", type: "bool", default: true,
      description: "Put a WAFv2 web ACL in front of the webhook stage: per-IP rate limit, AWS managed IP reputation, known bad inputs, core and SQL injection rules (body rules count only), logged to CloudWatch Logs aws-waf-logs-<prefix>.",
    },
    {
      name: "waf_rate_limit", type: "number", default: SHARED_INPUTS.wafRateLimit.default,
      description: "Requests one source IP may send per waf_rate_limit_window_seconds before WAF blocks it. GitHub delivers an organization's webhooks from a handful of addresses and every job sends three (queued, in_progress, completed), so a 1,000-job burst is about 3,000 requests, possibly from one address: the default leaves more than three times that. GitHub's own addresses are limited too (anyone can send from them with a webhook of their own).",
      rules: [SHARED_INPUTS.wafRateLimit.rule],
    },
    {
      name: "waf_rate_limit_window_seconds", type: "number", default: SHARED_INPUTS.wafRateLimitWindowSeconds.default,
      description: "Evaluation window of waf_rate_limit, in seconds: one of 60, 120, 300, 600.",
      rules: [SHARED_INPUTS.wafRateLimitWindowSeconds.rule],
    },
    {
      name: "waf_github_hooks_allowlist", type: "bool", default: false,
      description: "Block every source address outside GitHub's webhook ranges (hooks of GET /meta at github_api_url). A scheduled function keeps two IP sets up to date and fills them during apply; it refuses empty or invalid lists, keeping the previous ranges. Needs enable_waf.",
    },
    {
      name: "waf_ip_set_refresh_schedule", type: "string", default: SHARED_INPUTS.wafIpSetRefreshSchedule.default,
      description: "EventBridge schedule of the function that refreshes the allowlist's IP sets from GitHub: rate(N minutes|hours|days) or cron(...).",
      rules: [SHARED_INPUTS.wafIpSetRefreshSchedule.rule],
    },
  ],
};

export const AUDIT: InputGroup = {
  title: "Audit trail",
  inputs: [
    {
      name: "enable_cloudtrail", type: "bool", default: true,
      description: "Create a CloudTrail trail recording every management event (read and write) into a KMS-encrypted, versioned, TLS-only S3 bucket. Ignored when existing_cloudtrail_arn is set.",
    },
    {
      name: "existing_cloudtrail_arn", type: "string", default: SHARED_INPUTS.existingCloudTrailArn.default,
      description: "ARN of a trail that already records this account (an organization trail, say). When set, the module creates no trail, bucket or key and outputs this ARN as cloudtrail_arn.",
      rules: [SHARED_INPUTS.existingCloudTrailArn.rule],
    },
    {
      name: "cloudtrail_multi_region", type: "bool", default: true,
      description: "Make the trail record every region, not only the deployment's.",
    },
    {
      name: "cloudtrail_glacier_after_days", type: "number", default: SHARED_INPUTS.cloudTrailGlacierAfterDays.default,
      description: "Days after which trail log files move to S3 Glacier.",
      rules: [SHARED_INPUTS.cloudTrailGlacierAfterDays.rule],
    },
    {
      name: "cloudtrail_retention_days", type: "number", default: SHARED_INPUTS.cloudTrailRetentionDays.default,
      description: "Days after which trail log files are deleted; must be more than cloudtrail_glacier_after_days.",
      rules: [SHARED_INPUTS.cloudTrailRetentionDays.rule],
    },
    {
      name: "cloudtrail_cloudwatch_logs", type: "bool", default: false,
      description: "Also deliver trail events to a CloudWatch Logs group (retention log_retention_days), for metric filters and alarms.",
    },
  ],
};
