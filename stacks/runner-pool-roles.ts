import { Construct, type IConstruct } from "constructs";
import { Aspects, DefaultTokenResolver, Fn, Op, StringConcat, TerraformIterator, TerraformStack, Token, Tokenization } from "./cdktf.js";
import { IamInstanceProfile, IamRole, IamRolePolicy, IamRolePolicyAttachment } from "./aws.js";
import { mapIf } from "./private/conditions.js";
import { assumeRolePolicy } from "./private/iam.js";
import type { NormalizedPool, PoolMap } from "./pools.js";

/** `format()` of a pool role's (and instance profile's) name from the kit's prefix and the pool key. */
export const RUNNER_POOL_ROLE_NAME_FORMAT = "%s-runner-pool-%s";

/**
 * The pools that get a runner role of their own (those with `extra_iam_policy_arns`), as a map pool -> pool:
 * literal for CDKTF users' pools, a filtering for-expression over the module's `pools`.
 */
export function poolsWithOwnRole(pools: PoolMap): Record<string, string> {
  if (!Token.isUnresolved(pools)) {
    const literal = pools as Record<string, NormalizedPool>;
    return Object.fromEntries(Object.keys(literal).filter((key) => literal[key].extra_iam_policy_arns.length > 0).map((key) => [key, key]));
  }
  return TerraformIterator.fromMap(pools).forExpressionForMap("key", "key if length(val.extra_iam_policy_arns) > 0") as unknown as Record<string, string>;
}

/**
 * The pool roles' names with `pathInArn` before them (`ci/sr-runner-pool-gpu`), for policies that name the
 * kit's roles by ARN before the roles exist (the key policy's users, the runners table's deny-others).
 */
export function poolRoleNames(pools: PoolMap, prefix: string, pathInArn: string): string[] {
  const withRole = poolsWithOwnRole(pools);
  if (!Token.isUnresolved(withRole) && !Token.isUnresolved(prefix) && !Token.isUnresolved(pathInArn)) {
    return Object.keys(withRole).map((key) => pathInArn + RUNNER_POOL_ROLE_NAME_FORMAT.replace("%s", prefix).replace("%s", key));
  }
  return Fn.formatlist(`%s${RUNNER_POOL_ROLE_NAME_FORMAT}`, [pathInArn, prefix, Fn.keys(withRole)]) as unknown as string[];
}

/** Props of {@link RunnerPoolRoles}. */
export interface RunnerPoolRolesProps {
  /** Name prefix: roles and instance profiles are `<prefix>-runner-pool-<pool>`. */
  readonly prefix: string;
  /** The runner pools; those with `extra_iam_policy_arns` get a role. */
  readonly pools: PoolMap;
  /** The shared runner role, whose inline policies every pool role gets too. */
  readonly sharedRole: IamRole;
  /**
   * Tags of the roles and instance profiles.
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/**
 * A runner role and instance profile per pool that sets `extra_iam_policy_arns`: the pool's managed
 * policies attached, plus a copy of every inline policy of the shared runner role (its own item in the
 * runners table, the key, the binaries bucket, logs, the Session Manager policy, the Deny on the App's
 * parameters), so a pool role can do all a runner needs and more, never less. The copies are made when
 * the app is synthesized (an aspect), after every grant on the shared role, whichever construct made it.
 * Permissions boundary and path come from stacks/private/role-settings.ts like every role's.
 */
export class RunnerPoolRoles extends Construct {
  readonly roles: IamRole;
  readonly instanceProfiles: IamInstanceProfile;
  private readonly withRole: Record<string, string>;
  private readonly sharedRole: IamRole;
  /** Aspects run again on every synth of the same stack; the copies are made once. */
  private copied = false;

  constructor(scope: Construct, id: string, props: RunnerPoolRolesProps) {
    super(scope, id);
    this.sharedRole = props.sharedRole;
    this.withRole = poolsWithOwnRole(props.pools);
    const tags = props.tags ?? {};
    const pools = TerraformIterator.fromMap(this.withRole);
    const name = Fn.format(RUNNER_POOL_ROLE_NAME_FORMAT, [props.prefix, pools.key]);
    this.roles = new IamRole(this, "role", { forEach: pools, name, assumeRolePolicy: assumeRolePolicy("ec2.amazonaws.com"), tags });
    const roles = TerraformIterator.fromResources(this.roles);
    this.instanceProfiles = new IamInstanceProfile(this, "instance-profile", { forEach: roles, name: roles.getString("name"), role: roles.getString("name"), tags });

    // One attachment per pool and policy, keyed "<pool> <policy ARN>" so reordering the list changes nothing.
    const attachments = Token.isUnresolved(props.pools)
      ? TerraformIterator.fromMap(
          TerraformIterator.fromList(
            Fn.flatten(TerraformIterator.fromMap(props.pools).forExpressionForList("[for arn in val.extra_iam_policy_arns : { pool = key, arn = arn }]")),
          ).forExpressionForMap('format("%s %s", val.pool, val.arn)', "val"),
        )
      : TerraformIterator.fromMap(literalAttachments(props.pools as Record<string, NormalizedPool>));
    new IamRolePolicyAttachment(this, "extra-policy", {
      forEach: attachments,
      role: Fn.lookupNested(this.roles.fqn, [attachments.getString("pool"), "name"]),
      policyArn: attachments.getString("arn"),
    });

    Aspects.of(this).add({ visit: (node: IConstruct) => (node === this ? this.copySharedRolePolicies() : undefined) });
  }

  /** Pool -> instance profile ARN of the pools with a role of their own. */
  get instanceProfileArnsByPool(): Record<string, string> {
    return TerraformIterator.fromResources(this.instanceProfiles).forExpressionForMap("key", "val.arn") as unknown as Record<string, string>;
  }

  /** Pool -> role ARN of the pools with a role of their own. */
  get roleArnsByPool(): Record<string, string> {
    return TerraformIterator.fromResources(this.roles).forExpressionForMap("key", "val.arn") as unknown as Record<string, string>;
  }

  /** Every inline policy on the shared role, once more per pool role (same name, same document, same condition). */
  private copySharedRolePolicies(): void {
    if (this.copied) return;
    this.copied = true;
    const stack = TerraformStack.of(this);
    // Each `role.id` is a new token string: compare what they resolve to (`${aws_iam_role.<id>.id}`).
    const resolve = (value: unknown): unknown => Tokenization.resolve(value, { scope: stack, resolver: new DefaultTokenResolver(new StringConcat()) });
    const shared = new Set([resolve(this.sharedRole.id), resolve(this.sharedRole.name)]);
    const policies = stack.node.findAll().filter((node): node is IamRolePolicy => node instanceof IamRolePolicy && shared.has(resolve(node.roleInput)));
    for (const policy of policies) {
      const name = policy.nameInput;
      if (name === undefined || Token.isUnresolved(name)) throw new Error(`${policy.node.path}: a runner role policy needs a literal name to be copied to the pool roles`);
      const count = policy.count as number | undefined;
      if (count === 0) continue;
      // tonumber() keeps a `c ? 1 : 0` count whole: cdktf renders operators without parentheses.
      const forEach = count === undefined || !Token.isUnresolved(count) ? this.withRole : mapIf(Op.gte(Fn.tonumber(count), 1) as unknown as boolean, this.withRole);
      const pools = TerraformIterator.fromMap(forEach);
      new IamRolePolicy(this, `shared-${name}`, {
        forEach: pools,
        role: Fn.lookupNested(this.roles.fqn, [pools.key, "id"]),
        name,
        policy: policy.policyInput as string,
      });
    }
  }
}

/** The attachments of CDKTF users' literal pools, keyed as the module keys them. */
function literalAttachments(pools: Record<string, NormalizedPool>): Record<string, { pool: string; arn: string }> {
  return Object.fromEntries(Object.entries(pools).flatMap(([pool, p]) => p.extra_iam_policy_arns.map((arn) => [`${pool} ${arn}`, { pool, arn }])));
}
