/**
 * Names of the kit's roles and log groups, known before they exist: the key policy and the tables'
 * policies name them without depending on the roles, which are created later.
 */
import { Fn, Token } from "../cdktf.js";
import type { AwsContext } from "../aws-context.js";
import type { PoolMap } from "../pools.js";
import { runnerLogGroupName } from "../runner-logs.js";
import { poolRoleNames } from "../runner-pool-roles.js";
import { rolePathInArn } from "./role-settings.js";

/** The kit's roles (function roles are named after their functions), path included. */
export interface KitRoleNames {
  /** The role path as it appears in an ARN (`ci/`, or empty). */
  readonly rolePath: string;
  /** The runner roles of pools with extra_iam_policy_arns (stacks/runner-pool-roles.ts), path included. */
  readonly poolRoles: string[];
  /** `<path><prefix>-<name>`. */
  roleName(name: string): string;
  /** `arn:<partition>:iam::<account>:role/<path><prefix>-<name>`. */
  roleArn(name: string): string;
  /** The ARNs of roles named with their path. */
  roleArns(names: string[]): string[];
  /** `names` followed by the pool roles `pool`, as a Terraform list when either is known only at plan time. */
  withPoolRoles(names: string[], pool: string[]): string[];
}

export function kitRoleNames(context: AwsContext, prefix: string, iamRolePath: string, pools: PoolMap): KitRoleNames {
  const rolePath = rolePathInArn(iamRolePath);
  return {
    rolePath,
    poolRoles: poolRoleNames(pools, prefix, rolePath),
    // format() for Terraform values: cdktf cannot nest interpolations in function arguments (the key policy's formatlist).
    roleName: (name) =>
      Token.isUnresolved(rolePath) || Token.isUnresolved(prefix) ? Fn.format("%s%s-%s", [rolePath, prefix, name]) : `${rolePath}${prefix}-${name}`,
    roleArn: (name) => `arn:${context.partition}:iam::${context.accountId}:role/${rolePath}${prefix}-${name}`,
    // formatlist() over a Terraform list: cdktf cannot render template strings inside concat().
    roleArns: (names) =>
      Token.isUnresolved(names)
        ? (Fn.formatlist("arn:%s:iam::%s:role/%s", [context.partition, context.accountId, names]) as unknown as string[])
        : names.map((name) => `arn:${context.partition}:iam::${context.accountId}:role/${name}`),
    withPoolRoles: (names, pool) => (Token.isUnresolved(pool) ? (Fn.concat([names, pool]) as unknown as string[]) : [...names, ...pool]),
  };
}

/** Every role that uses the kit key (function roles are named after their functions). */
export function keyUserRoleNames(roles: KitRoleNames): string[] {
  return roles.withPoolRoles(
    [
      ...["runner", "webhook", "scale-up", "reconcile", "spot-interruption", "github-hooks-ipset", "nat-failover", "runner-binaries-syncer", "image-builder", "build-cache", "build-cache-sweep"].map(roles.roleName),
      // Image Builder encrypts the baked images' snapshots with the key through its service-linked role.
      "aws-service-role/imagebuilder.amazonaws.com/AWSServiceRoleForImageBuilder",
    ],
    roles.poolRoles,
  );
}

/** Every log group the kit creates (names as NodejsFunction, WebhookApi and AuditTrail build them). */
export function kitLogGroupNames(prefix: string): string[] {
  return [
    ...["webhook", "scale-up", "reconcile", "spot-interruption", "github-hooks-ipset", "runner-binaries-syncer", "build-cache", "build-cache-sweep"].map((name) => `/aws/lambda/${prefix}-${name}`),
    `/aws/apigateway/${prefix}`,
    // One failover function per AZ (NatFailover); the AZ names are only known at plan time.
    `/aws/lambda/${prefix}-nat-failover-*`,
    `aws-waf-logs-${prefix}`,
    `/aws/cloudtrail/${prefix}-audit`,
    runnerLogGroupName(prefix),
  ];
}
