/**
 * Rules and defaults that a Terraform input and a sub-construct prop share, declared once: the input
 * table (./inputs.ts, ./inputs-network.ts) takes its entry's `rules` and `default` from here, and the
 * construct checks its prop with the same rule ({@link checkProps}) and falls back to the same
 * default, so both refuse a value with the same `allowed` words. Keyed by the SelfRunners prop of
 * the input. This file imports no construct, so constructs and the table can both import it.
 */
import { NAT_FAILOVER_DEFAULTS } from "../../contracts/nat-failover.js";
import { LOG_RETENTION_DAYS, RULES, WAF_RATE_LIMIT, WAF_RATE_WINDOWS_SECONDS } from "../errors.js";
import { eachItem, emptyOr, integerBetween, nonEmptyList, numberBetween, oneOf, type InputRule } from "./rules.js";
import { RESERVED_CONCURRENCY, pattern } from "./input-spec.js";

/** Interface endpoints the control plane and runners use (see docs/networking.md for why each). */
export const DEFAULT_INTERFACE_ENDPOINT_SERVICES = ["sqs", "ssm", "ec2", "logs", "sts", "kms"];
/** Services AWS offers as (free) gateway endpoints. */
export const GATEWAY_ENDPOINT_SERVICES = ["dynamodb", "s3"] as const;

/**
 * c6gn.medium: Graviton2, network-optimised, 1.6 Gbps baseline (bursts to 16 Gbps) for about the
 * hourly price of a NAT Gateway. A t4g.nano sustains ~32 Mbps, too little for CI traffic (container
 * pulls, package downloads); see docs/networking.md for the figures and the cost comparison.
 */
export const DEFAULT_NAT_INSTANCE_TYPE = "c6gn.medium";

/** What the NAT probes reach by default: GitHub's API, and an AWS service outside the VPC endpoints. */
export const DEFAULT_PROBE_TARGETS: string[] = [...NAT_FAILOVER_DEFAULTS.probeUrls];

/** An existing SSM parameter, or "" for one the kit creates with a placeholder (GitHubAppSecrets). */
const EXISTING_PARAMETER_OR_EMPTY = emptyOr(pattern(RULES.ssmParameterName));

/** The rule and (when the input has one) the default of an input a sub-construct also takes. */
export interface SharedInput {
  readonly rule: InputRule;
  readonly default?: unknown;
}

/** Shared inputs by SelfRunners prop. */
export const SHARED_INPUTS = {
  vpcId: { rule: pattern(RULES.vpcId) },
  kmsKeyArn: { rule: emptyOr(pattern(RULES.kmsKeyArn)), default: "" },
  kmsKeyAdministratorArns: { rule: eachItem(pattern(RULES.iamPrincipalArn)), default: [] as string[] },
  logRetentionDays: { rule: oneOf(LOG_RETENTION_DAYS), default: 30 },
  lambdaSubnetIds: { rule: eachItem(pattern(RULES.subnetId)), default: [] },
  lambdaSecurityGroupIds: { rule: eachItem(pattern(RULES.securityGroupId)), default: [] },
  githubAppPrivateKeySsmParameterName: { rule: EXISTING_PARAMETER_OR_EMPTY },
  webhookSecretSsmParameterName: { rule: EXISTING_PARAMETER_OR_EMPTY },
  webhookPreviousSecretSsmParameterName: { rule: EXISTING_PARAMETER_OR_EMPTY },
  githubApiUrl: { rule: pattern(RULES.httpsUrl), default: "https://api.github.com" },
  runnerVersion: { rule: pattern(RULES.runnerVersion), default: "latest" },
  runnerIdleTimeoutMinutes: { rule: integerBetween(5, 1440), default: 30 },
  runnerBootTimeoutSeconds: { rule: integerBetween(60, 3600), default: 600 },
  reconcileReservedConcurrency: { rule: RESERVED_CONCURRENCY, default: 1 },
  apiThrottlingRateLimit: { rule: numberBetween(1, 10000), default: 300 },
  apiThrottlingBurstLimit: { rule: numberBetween(1, 5000), default: 1000 },
  reconcileScheduleExpression: { rule: pattern(RULES.reconcileScheduleExpression), default: "rate(5 minutes)" },
  webhookMaxBodyBytes: { rule: integerBetween(1024, 10485760, " (API Gateway's 10 MiB limit)"), default: 262144 },
  wafRateLimit: { rule: integerBetween(WAF_RATE_LIMIT.min, WAF_RATE_LIMIT.max), default: 10000 },
  wafRateLimitWindowSeconds: { rule: oneOf(WAF_RATE_WINDOWS_SECONDS), default: 300 },
  wafIpSetRefreshSchedule: { rule: pattern(RULES.scheduleExpression), default: "rate(1 hour)" },
  runnerBinariesSyncSchedule: { rule: pattern(RULES.scheduleExpression), default: "rate(1 hour)" },
  existingCloudTrailArn: { rule: emptyOr(pattern(RULES.cloudTrailArn)), default: "" },
  cloudTrailGlacierAfterDays: { rule: integerBetween(1, 3650), default: 90 },
  cloudTrailRetentionDays: { rule: integerBetween(2, 3650), default: 365 },
  vpcEndpointSubnetIds: { rule: eachItem(pattern(RULES.subnetId)), default: [] },
  vpcEndpointRouteTableIds: { rule: eachItem(pattern(RULES.routeTableId)), default: [] },
  vpcEndpointServices: { rule: eachItem(pattern(RULES.vpcEndpointService)), default: DEFAULT_INTERFACE_ENDPOINT_SERVICES },
  vpcEndpointGatewayServices: {
    rule: eachItem(oneOf(GATEWAY_ENDPOINT_SERVICES), `a list of ${GATEWAY_ENDPOINT_SERVICES.map((s) => `"${s}"`).join(" and/or ")}`),
    // s3: runners download the runner archive from the kit's bucket at every boot, free of NAT traffic.
    default: ["dynamodb", "s3"],
  },
  vpcEndpointSourceSecurityGroupIds: { rule: eachItem(pattern(RULES.securityGroupId)), default: [] },
  natInstanceType: { rule: pattern(RULES.instanceType), default: DEFAULT_NAT_INSTANCE_TYPE },
  natProbeUrls: { rule: nonEmptyList(pattern(RULES.probeTarget)), default: DEFAULT_PROBE_TARGETS },
  natProbeIntervalSeconds: { rule: integerBetween(2, 30), default: NAT_FAILOVER_DEFAULTS.probeIntervalSeconds },
  natFailureThreshold: { rule: integerBetween(1, 20), default: NAT_FAILOVER_DEFAULTS.failureThreshold },
  natFailbackHoldDownSeconds: { rule: integerBetween(30, 86400), default: NAT_FAILOVER_DEFAULTS.failbackHoldDownSeconds },
} satisfies Record<string, SharedInput>;
