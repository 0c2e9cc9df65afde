/**
 * Rules that read several inputs. Terraform before 1.9 cannot reference another variable in a
 * variable's validation, so the module renders these as `lifecycle { precondition }` blocks (they fail
 * the plan like a validation does); SelfRunners checks the same rule on its props when they are known.
 */
import { metricsNamespace } from "../../contracts/metrics.js";
import type { SelfRunnersProps } from "../self-runners-props.js";
import { hclString } from "./rules.js";

/** One rule over several inputs. */
export interface CrossCheck {
  /** The props it reads; skipped on the construct side while any is known only at apply time. */
  readonly props: readonly (keyof SelfRunnersProps)[];
  /** The HCL condition over `var.*`. */
  readonly condition: string;
  /** The precondition's error message. */
  readonly errorMessage: string;
  /** The failing prop and what is allowed, or undefined when the props pass. */
  check(props: Required<SelfRunnersProps>): { readonly prop: keyof SelfRunnersProps; readonly allowed: string } | undefined;
}

const RERUN_APP_ALLOWED = "set exactly when rerun_github_app_id is set (the re-run App needs both its id and its key)";
const ENTERPRISE_SLUG_ALLOWED = 'set exactly when runner_scope is "enterprise" (the enterprise whose runners the kit manages)';
const ENTERPRISE_TOKEN_ALLOWED = 'set exactly when runner_scope is "enterprise" (GitHub App installation tokens cannot call the enterprise runner endpoints)';
const ALLOWLIST_ALLOWED = "false while enable_waf is false (the allowlist is a rule of the WAF web ACL)";
const SECURITY_GROUPS_ALLOWED = "at least one security group when lambda_subnet_ids is set (a function in a VPC needs both)";
// The agent is a Node service under systemd started by the Linux bootstraps; the Windows bootstrap has no
// service of it yet, and a Windows job would silently build without its cache (docs/build-cache.md).
const BUILD_CACHE_ALLOWED = 'false while any pool has os "windows" (the Windows bootstrap does not start the cache agent yet)';
const SUBNETS_ALLOWED = "at least one subnet when lambda_security_group_ids is set (a function in a VPC needs both)";

/** Lambda's limit on a function's environment: the JSON of the variables map, at most 4 KB. */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;

/**
 * The webhook environment's bytes that do not depend on inputs: the variable names, JSON punctuation
 * and constant values (Powertools settings, NODE_OPTIONS). test/stacks/module-stack.test.ts measures
 * the synthesized environment and fails when this allowance is too small.
 */
export const WEBHOOK_ENVIRONMENT_FIXED_BYTES = 460;

// The longest queue URL a pool can get, but for its name: https://sqs.<region>.amazonaws.com.cn/<account>.
// Regions are at most 14 characters today (ap-southeast-5); 16 leaves room.
const QUEUE_URL_BASE = `https://sqs.${"r".repeat(16)}.amazonaws.com.cn/${"0".repeat(12)}`;

/**
 * Upper bound of the webhook environment's size, in bytes, computed as module-stack renders it: the
 * JSON of the variables map, where POOLS is itself JSON of each pool's labels and queue URL.
 */
export function webhookEnvironmentBytes(props: {
  readonly prefix: string;
  readonly pools: Readonly<Record<string, { readonly labels: readonly string[]; readonly allowPublicRepositories?: boolean }>>;
  readonly webhookSecretSsmParameterName: string;
  readonly webhookPreviousSecretSsmParameterName: string;
  readonly webhookMaxBodyBytes: number;
  readonly allowedOwners: readonly string[];
  readonly allowedRepositories: readonly string[];
  readonly webhookMaxJobAgeSeconds: number;
}): number {
  const pools = Object.fromEntries(
    Object.keys(props.pools)
      .sort()
      // `false` is the longer of the two flag values.
      .map((key) => [key, { labels: props.pools[key].labels, allowPublicRepositories: false, queueUrl: `${QUEUE_URL_BASE}/${props.prefix}-${key}.fifo` }]),
  );
  const values = [
    props.prefix,
    `${props.prefix}-jobs`,
    metricsNamespace(props.prefix),
    props.webhookSecretSsmParameterName || `/${props.prefix}/github-app/webhook-secret`,
    props.webhookPreviousSecretSsmParameterName || `/${props.prefix}/github-app/webhook-secret-previous`,
    String(props.webhookMaxBodyBytes),
    JSON.stringify(props.allowedOwners),
    JSON.stringify(props.allowedRepositories),
    String(props.webhookMaxJobAgeSeconds),
    JSON.stringify(pools),
  ];
  return WEBHOOK_ENVIRONMENT_FIXED_BYTES + Buffer.byteLength(JSON.stringify(values));
}

const WEBHOOK_ENVIRONMENT_BYTES_HCL = `${WEBHOOK_ENVIRONMENT_FIXED_BYTES} + length(jsonencode([var.prefix, format("%s-jobs", var.prefix), format(${hclString(metricsNamespace("%s"))}, var.prefix), coalesce(var.webhook_secret_ssm_parameter_name, format("/%s/github-app/webhook-secret", var.prefix)), coalesce(var.webhook_previous_secret_ssm_parameter_name, format("/%s/github-app/webhook-secret-previous", var.prefix)), tostring(var.webhook_max_body_bytes), jsonencode(var.allowed_owners), jsonencode(var.allowed_repositories), tostring(var.webhook_max_job_age_seconds), jsonencode({ for k, p in var.pools : k => { labels = p.labels, allowPublicRepositories = false, queueUrl = format("%s/%s-%s.fifo", ${hclString(QUEUE_URL_BASE)}, var.prefix, k) } })]))`;

const POOLS_ENVIRONMENT_ALLOWED = `no more pools, keys and labels than fit the webhook function's environment (Lambda allows ${LAMBDA_ENVIRONMENT_LIMIT_BYTES} bytes, allowed_owners and allowed_repositories included: use fewer pools, or shorter keys, labels or prefix, or fewer allowed repositories)`;

/** Every cross-field rule, in the order they are checked. */
export const CROSS_CHECKS: readonly CrossCheck[] = [
  {
    props: ["enableWaf", "wafGitHubHooksAllowlist"],
    condition: "var.enable_waf || !var.waf_github_hooks_allowlist",
    errorMessage: `waf_github_hooks_allowlist must be ${ALLOWLIST_ALLOWED}.`,
    check: (p) => (p.enableWaf || !p.wafGitHubHooksAllowlist ? undefined : { prop: "wafGitHubHooksAllowlist", allowed: ALLOWLIST_ALLOWED }),
  },
  {
    props: ["rerunGitHubAppId", "rerunGitHubAppPrivateKeySsmParameterName"],
    condition: '(var.rerun_github_app_id == "") == (var.rerun_github_app_private_key_ssm_parameter_name == "")',
    errorMessage: `rerun_github_app_private_key_ssm_parameter_name must be ${RERUN_APP_ALLOWED}.`,
    check: (p) =>
      (p.rerunGitHubAppId === "") === (p.rerunGitHubAppPrivateKeySsmParameterName === "") ? undefined : { prop: "rerunGitHubAppPrivateKeySsmParameterName", allowed: RERUN_APP_ALLOWED },
  },
  {
    props: ["runnerScope", "enterpriseSlug"],
    condition: '(var.runner_scope == "enterprise") == (var.enterprise_slug != "")',
    errorMessage: `enterprise_slug must be ${ENTERPRISE_SLUG_ALLOWED}.`,
    check: (p) => ((p.runnerScope === "enterprise") === (p.enterpriseSlug !== "") ? undefined : { prop: "enterpriseSlug", allowed: ENTERPRISE_SLUG_ALLOWED }),
  },
  {
    props: ["runnerScope", "enterpriseTokenSsmParameterName"],
    condition: '(var.runner_scope == "enterprise") == (var.enterprise_token_ssm_parameter_name != "")',
    errorMessage: `enterprise_token_ssm_parameter_name must be ${ENTERPRISE_TOKEN_ALLOWED}.`,
    check: (p) =>
      (p.runnerScope === "enterprise") === (p.enterpriseTokenSsmParameterName !== "") ? undefined : { prop: "enterpriseTokenSsmParameterName", allowed: ENTERPRISE_TOKEN_ALLOWED },
  },
  {
    props: ["lambdaSubnetIds", "lambdaSecurityGroupIds"],
    condition: "length(var.lambda_subnet_ids) == 0 || length(var.lambda_security_group_ids) > 0",
    errorMessage: `lambda_security_group_ids must be ${SECURITY_GROUPS_ALLOWED}.`,
    check: (p) => (p.lambdaSubnetIds.length === 0 || p.lambdaSecurityGroupIds.length > 0 ? undefined : { prop: "lambdaSecurityGroupIds", allowed: SECURITY_GROUPS_ALLOWED }),
  },
  {
    props: ["lambdaSubnetIds", "lambdaSecurityGroupIds"],
    condition: "length(var.lambda_security_group_ids) == 0 || length(var.lambda_subnet_ids) > 0",
    errorMessage: `lambda_subnet_ids must be ${SUBNETS_ALLOWED}.`,
    check: (p) => (p.lambdaSecurityGroupIds.length === 0 || p.lambdaSubnetIds.length > 0 ? undefined : { prop: "lambdaSubnetIds", allowed: SUBNETS_ALLOWED }),
  },
  {
    props: ["enableBuildCache", "pools"],
    condition: '!var.enable_build_cache || alltrue([for key, pool in var.pools : pool.os != "windows"])',
    errorMessage: `enable_build_cache must be ${BUILD_CACHE_ALLOWED}.`,
    check: (p) => {
      const pools = Object.values(p.pools as Record<string, { readonly os?: string }>);
      return !p.enableBuildCache || pools.every((pool) => pool.os !== "windows") ? undefined : { prop: "enableBuildCache", allowed: BUILD_CACHE_ALLOWED };
    },
  },
  {
    props: ["prefix", "pools", "webhookSecretSsmParameterName", "webhookPreviousSecretSsmParameterName", "webhookMaxBodyBytes", "allowedOwners", "allowedRepositories", "webhookMaxJobAgeSeconds"],
    condition: `${WEBHOOK_ENVIRONMENT_BYTES_HCL} <= ${LAMBDA_ENVIRONMENT_LIMIT_BYTES}`,
    errorMessage: `pools must be ${POOLS_ENVIRONMENT_ALLOWED}; these need up to \${${WEBHOOK_ENVIRONMENT_BYTES_HCL}} bytes.`,
    check: (p) => {
      const bytes = webhookEnvironmentBytes(p as Parameters<typeof webhookEnvironmentBytes>[0]);
      return bytes <= LAMBDA_ENVIRONMENT_LIMIT_BYTES ? undefined : { prop: "pools", allowed: `${POOLS_ENVIRONMENT_ALLOWED}; these need up to ${bytes} bytes` };
    },
  },
];
