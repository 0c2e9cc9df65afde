import { Construct } from "constructs";
import { Fn, Op, Token } from "./cdktf.js";
import { IamRolePolicy, SsmParameter, type IamRole } from "./aws.js";
import { policyDocument } from "./private/iam.js";
import type { AwsContext } from "./aws-context.js";
import { checkProps } from "./errors.js";
import { SHARED_INPUTS } from "./module/shared-rules.js";

/** Value written into parameters the kit creates, until the operator puts the real secret in. */
export const PLACEHOLDER_SECRET = "replace-me";

/** Props of {@link GitHubAppSecrets}. */
export interface GitHubAppSecretsProps {
  /** Name prefix; created parameters live under `/<prefix>/`. */
  readonly prefix: string;
  /** Partition, region and account, for exact ARNs. */
  readonly context: AwsContext;
  /**
   * Existing SecureString parameter holding the GitHub App's PEM private key.
   * @default - the kit creates `/<prefix>/github-app/private-key` with a placeholder value
   */
  readonly privateKeyParameterName?: string;
  /**
   * Existing SecureString parameter holding the webhook secret.
   * @default - the kit creates `/<prefix>/github-app/webhook-secret` with a placeholder value
   */
  readonly webhookSecretParameterName?: string;
  /**
   * Existing SecureString parameter for the previous webhook secret, which the webhook also accepts
   * while it holds a real value (during a rotation; see docs/security.md, "Rotating the webhook secret").
   * @default - the kit creates `/<prefix>/github-app/webhook-secret-previous` with a placeholder value
   */
  readonly previousWebhookSecretParameterName?: string;
  /**
   * Customer managed KMS key for the parameters the kit creates. A Terraform expression may evaluate to
   * null, which keeps the AWS managed key (`aws/ssm`).
   * @default - the AWS managed key
   */
  readonly kmsKeyArn?: string;
  /**
   * Tags for created parameters.
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/**
 * The GitHub App private key, the webhook secret and the previous webhook secret (used only while a
 * secret is being rotated) as SSM SecureString parameters: either passed in
 * by name, or created with a placeholder that Terraform never overwrites afterwards (the operator sets
 * the real value with `aws ssm put-parameter --overwrite`), so secrets never sit in Terraform state,
 * environment variables or user data.
 */
export class GitHubAppSecrets extends Construct {
  /** Name of the parameter holding the private key. */
  readonly privateKeyParameterName: string;
  /** Name of the parameter holding the webhook secret. */
  readonly webhookSecretParameterName: string;
  /** Name of the parameter holding the previous webhook secret (the placeholder outside a rotation). */
  readonly previousWebhookSecretParameterName: string;
  private readonly context: AwsContext;
  private readonly prefix: string;
  private readonly kmsKeyArn: string | undefined;

  constructor(scope: Construct, id: string, props: GitHubAppSecretsProps) {
    super(scope, id);
    // "" names no parameter: the kit creates it, as for the module's variables.
    checkProps(this.node.path, [
      { prop: "privateKeyParameterName", value: props.privateKeyParameterName, rule: SHARED_INPUTS.githubAppPrivateKeySsmParameterName.rule },
      { prop: "webhookSecretParameterName", value: props.webhookSecretParameterName, rule: SHARED_INPUTS.webhookSecretSsmParameterName.rule },
      { prop: "previousWebhookSecretParameterName", value: props.previousWebhookSecretParameterName, rule: SHARED_INPUTS.webhookPreviousSecretSsmParameterName.rule },
    ]);
    this.context = props.context;
    this.prefix = props.prefix;
    this.kmsKeyArn = props.kmsKeyArn;
    this.privateKeyParameterName = this.parameter(props.prefix, "private-key", props.privateKeyParameterName, props.tags);
    this.webhookSecretParameterName = this.parameter(props.prefix, "webhook-secret", props.webhookSecretParameterName, props.tags);
    this.previousWebhookSecretParameterName = this.parameter(props.prefix, "webhook-secret-previous", props.previousWebhookSecretParameterName, props.tags);
  }

  /**
   * Denies `role` every read of the three parameters and of everything under `/<prefix>/`
   * (ssm:GetParameter, GetParameters, GetParameterHistory, GetParametersByPath): an explicit Deny, so
   * no policy attached later (a managed SSM policy, an operator's addition) lets a workflow job read them.
   */
  denyRead(role: Pick<IamRole, "id">): void {
    new IamRolePolicy(this, "deny-read", {
      role: role.id,
      name: "deny-github-app-secrets",
      policy: policyDocument([
        {
          Sid: "DenyGitHubAppSecrets",
          Effect: "Deny",
          Action: ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParameterHistory", "ssm:GetParametersByPath"],
          Resource: [
            this.parameterArn(this.privateKeyParameterName),
            this.parameterArn(this.webhookSecretParameterName),
            this.parameterArn(this.previousWebhookSecretParameterName),
            this.context.arn("ssm", `parameter/${this.prefix}/*`),
          ],
        },
      ]),
    });
  }

  /** ARN of a parameter by name (names start with '/'). */
  parameterArn(name: string): string {
    return this.context.arn("ssm", `parameter${name}`);
  }

  /** Creates the parameter unless a name was given; returns the name in use either way. */
  private parameter(prefix: string, id: string, given: string | undefined, tags: Record<string, string> = {}): string {
    const literal = given === undefined || !Token.isUnresolved(given);
    if (literal && given) return given;
    // format() rather than a template string: cdktf cannot nest an interpolation inside coalesce().
    const defaultName = Token.isUnresolved(prefix) ? Fn.format("/%s/github-app/%s", [prefix, id]) : `/${prefix}/github-app/${id}`;
    new SsmParameter(this, id, {
      // Created only when no existing parameter is named: 1 - min(length(compact([name])), 1) is 1
      // for "" (or null) and 0 otherwise, decided at plan time when the name is a variable.
      count: literal ? 1 : Token.asNumber(Op.sub(1, Fn.min([Fn.lengthOf(Fn.compact([given])), 1]))),
      name: defaultName,
      type: "SecureString",
      keyId: this.kmsKeyArn,
      value: PLACEHOLDER_SECRET,
      description: `self-runners ${id}; set the real value with aws ssm put-parameter --overwrite`,
      tags,
      lifecycle: { ignoreChanges: ["value"] },
    });
    return literal ? defaultName : Fn.coalesce([given, defaultName]);
  }
}
