import { Token } from "./cdktf.js";
import { PROBE_TARGET_ALLOWED, PROBE_TARGET_PATTERN } from "../contracts/patterns.js";

/**
 * Every validation rule of the constructs, in one table. The emitted module's variable validations
 * use the same patterns (see module-stack.ts), so a CDKTF user and a Terraform user are refused the
 * same values with the same words.
 */
export const RULES = {
  prefix: {
    pattern: "^[a-z][a-z0-9-]{0,18}[a-z0-9]$",
    allowed: "2-20 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen",
  },
  poolKey: {
    pattern: "^[a-z0-9][a-z0-9-]{0,19}$",
    allowed: "1-20 characters: lowercase letters, digits and hyphens, starting with a letter or digit",
  },
  label: {
    pattern: "^[A-Za-z0-9._-]{1,100}$",
    allowed: "labels of 1-100 characters: letters, digits, '.', '_' and '-'",
  },
  instanceType: {
    pattern: "^[a-z][a-z0-9-]*\\.[a-z0-9]+$",
    allowed: "EC2 instance type names such as m7i.large or c7g.2xlarge",
  },
  subnetId: { pattern: "^subnet-[0-9a-f]{8,17}$", allowed: "subnet ids of the form subnet-0123456789abcdef0" },
  securityGroupId: { pattern: "^sg-[0-9a-f]{8,17}$", allowed: "security group ids of the form sg-0123456789abcdef0" },
  vpcId: { pattern: "^vpc-[0-9a-f]{8,17}$", allowed: "a VPC id of the form vpc-0123456789abcdef0" },
  githubAppId: { pattern: "^[0-9]{1,12}$", allowed: "the numeric App ID shown on the GitHub App's settings page" },
  enterpriseSlug: {
    pattern: "^[a-zA-Z0-9][a-zA-Z0-9-]{0,59}$",
    allowed: "the enterprise's slug as in https://github.com/enterprises/SLUG (letters, digits and hyphens, at most 60)",
  },
  runnerVersion: {
    pattern: "^(latest|2\\.(329|3[3-9][0-9]|[4-9][0-9]{2})\\.[0-9]+|[3-9]\\.[0-9]+\\.[0-9]+)$",
    allowed: "\"latest\" or a runner version >= 2.329.0 (GitHub refuses to register older runners)",
  },
  cloudTrailArn: {
    pattern: "^arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:[0-9]{12}:trail/[A-Za-z0-9._-]{3,128}$",
    allowed: "a CloudTrail trail ARN of the form arn:aws:cloudtrail:<region>:<account>:trail/<name>",
  },
  s3BucketName: {
    pattern: "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
    allowed: "3-63 characters: lowercase letters, digits, '.' and '-', starting and ending with a letter or digit",
  },
  iamPrincipalArn: {
    pattern: "^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_/-]{1,512}$",
    allowed: "an IAM role or user ARN of the form arn:aws:iam::<account>:role/<name> (not an assumed-role session)",
  },
  kmsKeyArn: {
    pattern: "^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$",
    allowed: "a KMS key ARN of the form arn:aws:kms:<region>:<account>:key/<key id> (not an alias)",
  },
  scheduleExpression: {
    pattern: "^(rate\\([0-9]+ (minute|minutes|hour|hours|day|days)\\)|cron\\(.+\\))$",
    allowed: "rate(N minutes|hours|days) or cron(...)",
  },
  httpsUrl: { pattern: "^https://[^\\s/]+(/\\S*)?$", allowed: "an https:// URL such as https://api.github.com or https://HOST/api/v3" },
  reconcileScheduleExpression: {
    pattern: "^(rate\\([0-9]+ (minute|minutes|hour|hours)\\)|cron\\(.+\\))$",
    allowed: "rate(N minutes|hours) or cron(...)",
  },
  ssmParameterName: { pattern: "^/[a-zA-Z0-9_.\\-/]{1,1000}$", allowed: "an SSM parameter name starting with '/'" },
  routeTableId: { pattern: "^rtb-[0-9a-f]{8,17}$", allowed: "route table ids of the form rtb-0123456789abcdef0" },
  natGatewayId: { pattern: "^nat-[0-9a-f]{8,17}$", allowed: "NAT Gateway ids of the form nat-0123456789abcdef0" },
  availabilityZone: {
    pattern: "^[a-z]{2}(-[a-z]+)+-[0-9]+(-[a-z]+-[0-9]+)?[a-z]$",
    allowed: "availability zone names such as eu-west-1a (not zone ids such as euw1-az1)",
  },
  vpcEndpointService: {
    pattern: "^[a-z0-9][a-z0-9.-]{0,62}$",
    allowed: "the service part of an endpoint service name, such as sqs, ssm, ec2, logs, sts, kms or ecr.dkr",
  },
  // The nat-failover function checks the same pattern at run time (contracts/patterns.ts).
  probeTarget: { pattern: PROBE_TARGET_PATTERN, allowed: PROBE_TARGET_ALLOWED },
} as const;

/** Requests per source IP and evaluation window WAF rate-based rules accept (the provider's bounds). */
export const WAF_RATE_LIMIT = { min: 100, max: 2_000_000_000 } as const;

/** Evaluation windows of WAF rate-based rules, in seconds. */
export const WAF_RATE_WINDOWS_SECONDS = [60, 120, 300, 600] as const;

/** Allowed CloudWatch Logs retention periods, in days. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** Raised when a construct is given a prop value that cannot work. */
export class SelfRunnersValidationError extends Error {
  constructor(
    readonly constructPath: string,
    readonly prop: string,
    readonly received: unknown,
    readonly allowed: string,
  ) {
    super(`${constructPath}: invalid ${prop} ${JSON.stringify(received)}; allowed: ${allowed}`);
    this.name = "SelfRunnersValidationError";
  }
}

/** A check of a prop: an InputRule of the input table (module/rules.ts), or a construct-only `{ allowed, check }`. */
export interface PropCheck {
  /** What is allowed, in the words the error prints after "allowed: ". */
  readonly allowed: string;
  check(value: unknown): boolean;
}

/** One prop, its value and its rule: skipped while the value is absent or a token (known only at apply time). */
export interface PropRow {
  readonly prop: string;
  readonly value: unknown;
  readonly rule: PropCheck;
}

/** Throws for the first row whose value is known now and refused by its rule, with the rule's `allowed` words. */
export function checkProps(constructPath: string, rows: readonly PropRow[]): void {
  for (const row of rows) {
    if (row.value === undefined || isUnresolved(row.value)) continue;
    if (!row.rule.check(row.value)) throw new SelfRunnersValidationError(constructPath, row.prop, row.value, row.rule.allowed);
  }
}

/** True when the value (or any element of it) is only known at apply time. */
export function isUnresolved(value: unknown): boolean {
  if (Token.isUnresolved(value)) return true;
  if (Array.isArray(value)) return value.some((v) => Token.isUnresolved(v));
  return false;
}
