import type { GITHUB_APP_ENV } from "../../contracts/common.js";
import type { EnvInput } from "../../contracts/env.js";
import type { AwsContext } from "../aws-context.js";
import { Fn, Op, TerraformIterator, Token, type IResolvable } from "../cdktf.js";
import { countIf, isEmptyString } from "./conditions.js";
import type { GitHubAppSecrets } from "../github-app-secrets.js";
import type { NodejsFunction } from "../nodejs-function.js";

/** More GitHub Apps on the same owners, as SelfRunnersProps takes them (or a Terraform expression). */
export type AdditionalGitHubApps = ReadonlyArray<{ readonly appId: string; readonly privateKeySsmParameterName: string }> | IResolvable;

export interface GitHubAppAccessProps {
  readonly secrets: GitHubAppSecrets;
  readonly context: AwsContext;
  readonly githubAppId: string;
  readonly githubApiUrl: string;
  readonly additionalGitHubApps: AdditionalGitHubApps;
  /** Enterprise scope: the enterprise slug ("" otherwise). */
  readonly enterpriseSlug: string;
  /** Enterprise scope: the SSM SecureString holding the enterprise runners token ("" otherwise). */
  readonly enterpriseTokenParameterName: string;
}

/**
 * How a function acts as the GitHub App(s): the GITHUB_APP_ENV part of its environment (names of the
 * key parameters only: the keys stay in SSM and are read at run time) and the grant to read exactly
 * those keys.
 */
export class GitHubAppAccess {
  readonly environment: EnvInput<typeof GITHUB_APP_ENV>;
  private readonly keyArns: string[];
  private readonly enterpriseTokenParameterName: string;
  private readonly enterpriseTokenArn: string;

  constructor(props: GitHubAppAccessProps) {
    const { secrets, context } = props;
    const apps = props.additionalGitHubApps;
    const additionalApps = Token.isUnresolved(apps)
      ? Fn.jsonencode(
          TerraformIterator.fromList(apps as IResolvable).forExpressionForList("{ appId = tonumber(val.app_id), privateKeyParameter = val.private_key_ssm_parameter_name }"),
        )
      : JSON.stringify((apps as Exclude<AdditionalGitHubApps, IResolvable>).map((app) => ({ appId: Number(app.appId), privateKeyParameter: app.privateKeySsmParameterName })));
    this.environment = {
      githubAppId: props.githubAppId,
      githubAppPrivateKeySsmParameterName: secrets.privateKeyParameterName,
      githubApiUrl: props.githubApiUrl,
      additionalGithubApps: additionalApps,
      enterpriseSlug: props.enterpriseSlug,
      enterpriseTokenSsmParameterName: props.enterpriseTokenParameterName,
    };
    this.enterpriseTokenParameterName = props.enterpriseTokenParameterName;
    this.enterpriseTokenArn = secrets.parameterArn(props.enterpriseTokenParameterName);
    this.keyArns = Token.isUnresolved(apps)
      ? // formatlist over names, not templates inside functions: cdktf cannot nest a template in a call.
        (Fn.formatlist("%s%s", [
          Fn.format("arn:%s:ssm:%s:%s:parameter", [context.partition, context.region, context.accountId]),
          Fn.concat([
            [secrets.privateKeyParameterName],
            TerraformIterator.fromList(apps as IResolvable).forExpressionForList("val.private_key_ssm_parameter_name") as unknown as string[],
          ]),
        ]) as unknown as string[])
      : [
          secrets.parameterArn(secrets.privateKeyParameterName),
          ...(apps as Exclude<AdditionalGitHubApps, IResolvable>).map((app) => secrets.parameterArn(app.privateKeySsmParameterName)),
        ];
  }

  /**
   * `ssm:GetParameter` on the enterprise runners token, only in enterprise scope (the policy has count
   * 0 otherwise); for the functions that list, register and delete runners.
   */
  grantReadEnterpriseToken(fn: NodejsFunction): void {
    const none = isEmptyString(this.enterpriseTokenParameterName);
    fn.addToRolePolicy("read-enterprise-token", [{ Sid: "ReadEnterpriseRunnersToken", Action: ["ssm:GetParameter"], Resource: this.enterpriseTokenArn }]).count = countIf(
      Token.isUnresolved(none) ? (Op.not(none) as unknown as boolean) : !none,
    );
  }

  /** `ssm:GetParameter` on the private key parameters of every App. */
  grantReadKeys(fn: NodejsFunction): void {
    fn.addToRolePolicy("read-github-app-key", [{ Sid: "ReadGitHubAppKey", Action: ["ssm:GetParameter"], Resource: this.keyArns }]);
  }
}
