import { Construct } from "constructs";
import { Fn, Op, TerraformLocal, Token } from "./cdktf.js";
import { DataAwsCallerIdentity, DataAwsIamSessionContext, IamRolePolicy, KmsAlias, KmsKey, type IamRole } from "./aws.js";
import type { AwsContext } from "./aws-context.js";
import { allOf, countIf, isEmptyString } from "./private/conditions.js";
import { checkProps, isUnresolved } from "./errors.js";
import { integerBetween } from "./module/rules.js";
import { SHARED_INPUTS } from "./module/shared-rules.js";
import { policyDocument } from "./private/iam.js";

/** Key administration without use: every kms action that neither encrypts, decrypts nor creates grants. */
const KEY_ADMINISTRATION_ACTIONS = [
  "kms:Describe*", "kms:List*", "kms:Get*", "kms:CreateAlias", "kms:Put*", "kms:Update*", "kms:Enable*", "kms:Disable*",
  "kms:Revoke*", "kms:Delete*", "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:RotateKeyOnDemand",
];

/** Services through which a role may use the key (the `kms:ViaService` condition of {@link EncryptionKey.grantUse}). */
export type KmsViaService = "sqs" | "ssm" | "dynamodb" | "lambda" | "s3" | "ec2";

/** Props of {@link EncryptionKey}. */
export interface EncryptionKeyProps {
  /** Names the alias (`alias/<name>`) and appears in the key's description. */
  readonly name: string;
  /** Partition, region and account, for the key policy. */
  readonly context: AwsContext;
  /**
   * Create a customer managed key (rotation on) unless `keyArn` names one (a given key wins).
   * @default true
   */
  readonly createKey?: boolean;
  /**
   * Names of the kit's IAM roles that use a created key (the key policy lets only these, the
   * administrators and CloudWatch Logs use it). Roles that may not exist (optional features) may be
   * listed: a name grants nothing until an administrator creates a role with it.
   * @default []
   */
  readonly userRoleNames?: string[];
  /**
   * IAM role or user ARNs that may use a created key through the services (besides administering it
   * like every account principal allowed by IAM). Terraform's own principal needs this to create the
   * functions, tables and parameters and to refresh the parameters.
   * @default - the IAM role or user that runs Terraform (`aws_iam_session_context`)
   */
  readonly administratorArns?: string[];
  /**
   * ARN of an existing customer managed key to use instead. Must be known at plan time (a literal or
   * a variable), since it decides how many grant policies exist. Its key policy must let CloudWatch
   * Logs use it for `logGroupNames` (see docs/security.md).
   * @default "" (none)
   */
  readonly keyArn?: string;
  /**
   * Log groups CloudWatch Logs may encrypt with a created key (the key policy's encryption-context
   * condition names exactly these).
   * @default []
   */
  readonly logGroupNames?: string[];
  /**
   * Days a created key waits before deletion once scheduled.
   * @default 30
   */
  readonly deletionWindowInDays?: number;
  /**
   * Tags for the key.
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/**
 * The optional customer managed KMS key of the kit: created here, given by ARN, or neither (then every
 * resource keeps its AWS-managed encryption). Consumers read {@link EncryptionKey.kmsKeyArn}, which is
 * the key's ARN when one is in use and null (undefined for literal props) otherwise, so an optional
 * `kms_key_id`-style attribute can take it as it is.
 *
 * A created key rotates yearly. Its policy (docs/security.md, "Keys and data at rest") lets the account
 * administer the key through IAM (describe, tag, change the policy, schedule deletion: so the key can
 * never become unmanageable) but not use it: encrypting, decrypting and creating grants for AWS
 * resources are allowed only to the kit's roles (`userRoleNames`) and the named administrators (by
 * `aws:PrincipalArn`), plus CloudWatch Logs under the encryption context of the kit's own log groups.
 * CloudWatch, Budgets and Cost Anomaly Detection of this account may publish to the encrypted alarm
 * topic (stacks/operations/alarm-topic.ts). The roles still need IAM policies: {@link EncryptionKey.grantUse}
 * makes them.
 */
export class EncryptionKey extends Construct {
  readonly key: KmsKey;
  /** Whether a customer managed key is in use: a boolean for literal props, a Terraform expression otherwise. */
  readonly enabled: boolean;
  /** The key's ARN when one is in use; null (a Terraform expression) or undefined when none. */
  readonly kmsKeyArn: string | undefined;
  private readonly context: AwsContext;

  constructor(scope: Construct, id: string, props: EncryptionKeyProps) {
    super(scope, id);
    const givenArn = props.keyArn ?? SHARED_INPUTS.kmsKeyArn.default;
    checkProps(this.node.path, [
      { prop: "keyArn", value: props.keyArn, rule: SHARED_INPUTS.kmsKeyArn.rule },
      { prop: "deletionWindowInDays", value: props.deletionWindowInDays, rule: integerBetween(7, 30) },
    ]);
    // A given key wins over the default of creating one, so naming a key is enough to use it.
    const createKey = isUnresolved(props.createKey ?? true) || isUnresolved(givenArn)
      ? (new TerraformLocal(this, "create", Op.and(props.createKey ?? true, isEmptyString(givenArn))).asBoolean as unknown as boolean)
      : (props.createKey ?? true) && givenArn === "";
    this.context = props.context;
    const { context } = props;
    const logGroupArns = (props.logGroupNames ?? []).map((name) => context.arn("logs", `log-group:${name}`));
    const literal = !isUnresolved(createKey) && !isUnresolved(givenArn);
    // formatlist() rather than template strings: cdktf cannot nest interpolations in function arguments.
    const users = Fn.formatlist(`arn:%s:iam::%s:role/%s`, [context.partition, context.accountId, props.userRoleNames ?? []]);
    const keyUsers = Fn.concat([users, this.administrators(createKey, props.administratorArns)]) as unknown as string[];
    const root = { AWS: `arn:${context.partition}:iam::${context.accountId}:root` };

    this.key = new KmsKey(this, "key", {
      count: countIf(createKey),
      description: `Encrypts the queues, tables, parameters, logs and function settings of ${props.name}`,
      enableKeyRotation: true,
      deletionWindowInDays: props.deletionWindowInDays ?? 30,
      policy: policyDocument([
        {
          // Administration only, delegated to IAM: IAM principals allowed kms:PutKeyPolicy can always
          // repair the policy (no lockout), but no IAM policy alone lets anyone decrypt with the key.
          Sid: "AccountAdministersKey",
          Principal: root,
          Action: KEY_ADMINISTRATION_ACTIONS,
          Resource: "*",
        },
        {
          // Use (also through grants the services create for their own resources) only by the kit's
          // roles and the named administrators; each still needs an IAM policy allowing it.
          Sid: "KitRolesAndAdministratorsUseKey",
          Principal: root,
          Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"],
          Resource: "*",
          Condition: { ArnEquals: { "aws:PrincipalArn": keyUsers } },
        },
        {
          Sid: "KitRolesAndAdministratorsLetServicesUseKey",
          Principal: root,
          Action: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
          Resource: "*",
          Condition: { ArnEquals: { "aws:PrincipalArn": keyUsers }, Bool: { "kms:GrantIsForAWSResource": "true" } },
        },
        {
          Sid: "CloudWatchLogsEncryptsOwnLogGroups",
          Principal: { Service: `logs.${context.region}.amazonaws.com` },
          Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"],
          Resource: "*",
          Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": logGroupArns } },
        },
        {
          // The alarm topic is encrypted with this key: CloudWatch alarms, Budgets and Cost Anomaly
          // Detection need a data key to publish to it, for this account's resources only.
          Sid: "AlarmPublishersUseKey",
          Principal: { Service: ["cloudwatch.amazonaws.com", "budgets.amazonaws.com", "costalerts.amazonaws.com"] },
          Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
          Resource: "*",
          Condition: { StringEquals: { "aws:SourceAccount": context.accountId } },
        },
      ]),
      tags: props.tags ?? {},
    });
    new KmsAlias(this, "alias", {
      count: countIf(createKey),
      name: `alias/${props.name}`,
      targetKeyId: Fn.lookupNested(this.key.fqn, ["0", "key_id"]),
    });

    const createdArn = Fn.lookupNested(this.key.fqn, ["0", "arn"]);
    if (literal) {
      this.enabled = createKey || givenArn !== "";
      this.kmsKeyArn = givenArn !== "" ? givenArn : createKey ? createdArn : undefined;
    } else {
      // Named locals, so every consumer reads `local.encryption_enabled` / `local.encryption_key_arn`.
      this.enabled = new TerraformLocal(this, "enabled", Op.or(createKey, Op.not(isEmptyString(givenArn)))).asBoolean as unknown as boolean;
      this.kmsKeyArn = new TerraformLocal(this, "key-arn", Fn.conditional(this.enabled, Fn.try([createdArn, givenArn]), Token.nullValue())).asString;
    }
  }

  /** The named administrators, or else the principal running Terraform (read only when a key is created). */
  private administrators(createKey: boolean, given: string[] | undefined): string[] {
    if (given !== undefined && !isUnresolved(given) && given.length > 0) return given;
    const caller = new DataAwsCallerIdentity(this, "deployer", { count: countIf(createKey) });
    // The role behind an assumed-role session (the session ARN itself changes with every run).
    const session = new DataAwsIamSessionContext(this, "deployer-session", { count: countIf(createKey), arn: Fn.lookupNested(caller.fqn, ["0", "arn"]) });
    const deployer = [Fn.lookupNested(session.fqn, ["0", "issuer_arn"])] as unknown as string[];
    // coalescelist: the first non-empty list.
    return given === undefined || !isUnresolved(given) ? deployer : (Fn.coalescelist([given, deployer]) as unknown as string[]);
  }

  /** The key ARN for outputs: "" when no key is in use. */
  get keyArnOrEmpty(): string {
    if (this.kmsKeyArn === undefined) return "";
    return Token.isUnresolved(this.enabled) ? (Fn.conditional(this.enabled, this.kmsKeyArn, "") as string) : this.kmsKeyArn;
  }

  /**
   * Lets `role` use the key only through `services`: kms:Decrypt and kms:GenerateDataKey on this key,
   * with `kms:ViaService` = `<service>.<region>.amazonaws.com`. Nothing is created when no key is in use,
   * nor when `onlyIf` (the condition of a role that has a count) is false.
   */
  grantUse(id: string, role: Pick<IamRole, "id">, services: readonly KmsViaService[], onlyIf: boolean = true): void {
    if (this.kmsKeyArn === undefined) return;
    new IamRolePolicy(this, `grant-${id}`, {
      count: countIf(allOf([this.enabled, onlyIf])),
      role: role.id,
      name: "use-kms-key",
      policy: policyDocument([
        {
          Sid: "UseKmsKeyThroughServices",
          Action: ["kms:Decrypt", "kms:GenerateDataKey"],
          Resource: this.kmsKeyArn,
          Condition: { StringEquals: { "kms:ViaService": services.map((service) => `${service}.${this.context.region}.amazonaws.com`) } },
        },
      ]),
    });
  }

  /**
   * Lets `role` launch instances from snapshots encrypted with the key (baked runner images, when the
   * key encrypts them): what EC2 needs of the caller, only through EC2, grants only for AWS resources.
   * Nothing is created when no key is in use, nor when `onlyIf` is false.
   */
  grantEbs(id: string, role: Pick<IamRole, "id">, onlyIf: boolean = true): void {
    if (this.kmsKeyArn === undefined) return;
    const viaEc2 = { "kms:ViaService": [`ec2.${this.context.region}.amazonaws.com`] };
    new IamRolePolicy(this, `grant-ebs-${id}`, {
      count: countIf(allOf([this.enabled, onlyIf])),
      role: role.id,
      name: "use-kms-key-ebs",
      policy: policyDocument([
        {
          Sid: "UseKmsKeyForEbs",
          Action: ["kms:Decrypt", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:DescribeKey"],
          Resource: this.kmsKeyArn,
          Condition: { StringEquals: viaEc2 },
        },
        {
          Sid: "LetEc2UseKmsKeyForEbs",
          Action: ["kms:CreateGrant"],
          Resource: this.kmsKeyArn,
          Condition: { StringEquals: viaEc2, Bool: { "kms:GrantIsForAWSResource": "true" } },
        },
      ]),
    });
  }
}
