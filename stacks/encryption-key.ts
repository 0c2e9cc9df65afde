import { Construct } from "constructs";
import { Fn, Op, TerraformLocal, Token } from "./cdktf.js";
import { IamRolePolicy, KmsAlias, KmsKey, type IamRole } from "./aws.js";
import type { AwsContext } from "./aws-context.js";
import { allOf, countIf, isEmptyString } from "./private/conditions.js";
import { SelfRunnersValidationError, checkProps, isUnresolved } from "./errors.js";
import { integerBetween } from "./module/rules.js";
import { SHARED_INPUTS } from "./module/shared-rules.js";
import { policyDocument } from "./private/iam.js";

/** Services through which a role may use the key (the `kms:ViaService` condition of {@link EncryptionKey.grantUse}). */
export type KmsViaService = "sqs" | "ssm" | "dynamodb" | "lambda";

/** Props of {@link EncryptionKey}. */
export interface EncryptionKeyProps {
  /** Names the alias (`alias/<name>`) and appears in the key's description. */
  readonly name: string;
  /** Partition, region and account, for the key policy. */
  readonly context: AwsContext;
  /**
   * Create a customer managed key (rotation on). Mutually exclusive with `keyArn`.
   * @default false
   */
  readonly createKey?: boolean;
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
 * A created key rotates yearly. Its policy has two statements: the account root statement, which
 * delegates to IAM (without it no IAM policy could grant use of the key and only the principals named
 * in the key policy could ever manage it; it grants nothing by itself), one letting CloudWatch Logs
 * of this region use the key only under the encryption context of the kit's own log groups, and one
 * letting CloudWatch, Budgets and Cost Anomaly Detection of this account publish to the encrypted alarm
 * topic (stacks/operations/alarm-topic.ts). Every
 * other use comes from IAM policies made by {@link EncryptionKey.grantUse}: decrypt and generate data
 * keys, on this key only, through named services only.
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
    const createKey = props.createKey ?? false;
    const givenArn = props.keyArn ?? SHARED_INPUTS.kmsKeyArn.default;
    checkProps(this.node.path, [
      { prop: "keyArn", value: props.keyArn, rule: SHARED_INPUTS.kmsKeyArn.rule },
      { prop: "deletionWindowInDays", value: props.deletionWindowInDays, rule: integerBetween(7, 30) },
    ]);
    if (!isUnresolved(createKey) && !isUnresolved(givenArn) && createKey && givenArn !== "") {
      throw new SelfRunnersValidationError(this.node.path, "keyArn", givenArn, '"" when createKey is true: create a key or name one, not both');
    }
    this.context = props.context;
    const { context } = props;
    const logGroupArns = (props.logGroupNames ?? []).map((name) => context.arn("logs", `log-group:${name}`));
    const literal = !isUnresolved(createKey) && !isUnresolved(givenArn);

    this.key = new KmsKey(this, "key", {
      count: countIf(createKey),
      description: `Encrypts the queues, table, parameters, logs and function settings of ${props.name}`,
      enableKeyRotation: true,
      deletionWindowInDays: props.deletionWindowInDays ?? 30,
      policy: policyDocument([
        {
          // The standard root statement: delegates to IAM in this account. Without it IAM policies could
          // not grant use of the key and the key could become unmanageable.
          Sid: "AccountAdministersKey",
          Principal: { AWS: `arn:${context.partition}:iam::${context.accountId}:root` },
          Action: ["kms:*"],
          Resource: "*",
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
      // The module's variables cannot check each other (Terraform < 1.9), so the pair is checked here;
      // the key exists only when create_kms_key is true, which is when the check matters.
      lifecycle: literal
        ? undefined
        : { precondition: [{ condition: isEmptyString(givenArn), errorMessage: "create_kms_key and kms_key_arn are mutually exclusive: create a key or name one, not both." }] },
    });
    new KmsAlias(this, "alias", {
      count: countIf(createKey),
      name: `alias/${props.name}`,
      targetKeyId: Fn.lookupNested(this.key.fqn, ["0", "key_id"]),
    });

    const createdArn = Fn.lookupNested(this.key.fqn, ["0", "arn"]);
    if (literal) {
      this.enabled = createKey || givenArn !== "";
      this.kmsKeyArn = createKey ? createdArn : givenArn !== "" ? givenArn : undefined;
    } else {
      // Named locals, so every consumer reads `local.encryption_enabled` / `local.encryption_key_arn`.
      this.enabled = new TerraformLocal(this, "enabled", Op.or(createKey, Op.not(isEmptyString(givenArn)))).asBoolean as unknown as boolean;
      this.kmsKeyArn = new TerraformLocal(this, "key-arn", Fn.conditional(this.enabled, Fn.try([createdArn, givenArn]), Token.nullValue())).asString;
    }
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
}
