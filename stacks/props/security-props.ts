// SelfRunners props of the webhook firewall and the audit trail (input table groups WAF, Audit trail).
// Each prop is the camelCase of its Terraform variable; defaults and rules live in the input table.

/** The WAF web ACL in front of the webhook stage. */
export interface WafProps {
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
}

/** The CloudTrail audit trail. */
export interface AuditProps {
  /**
   * Record the account's management events with a CloudTrail trail into an encrypted, versioned bucket
   * (see {@link AuditTrail}). Ignored when `existingCloudTrailArn` is set.
   * @default true
   */
  readonly enableCloudTrail?: boolean;
  /**
   * ARN of a trail that already records this account; nothing is created for the audit trail.
   * @default "" (none)
   */
  readonly existingCloudTrailArn?: string;
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
}
