import type { IResolvable } from "./cdktf.js";
import type { RunnerPoolProps } from "./pools.js";
import type { RunnerImageProps } from "./runner-images-spec.js";
import type { AdmissionProps, ControlPlaneProps, FunctionsProps, WebhookApiStageProps } from "./props/control-plane-props.js";
import type { NatProps, VpcEndpointProps } from "./props/network-props.js";
import type { BuildCacheInputProps, OperationsProps } from "./props/operations-props.js";
import type { AuditProps, WafProps } from "./props/security-props.js";

export type * from "./props/control-plane-props.js";
export type * from "./props/network-props.js";
export type * from "./props/operations-props.js";
export type * from "./props/security-props.js";

// Props of SelfRunners, grouped as the module's variables are (stacks/module/inputs.ts): the general,
// GitHub App, runner, image, encryption and IAM groups here, the others in ./props/. Each prop is the
// camelCase of its Terraform variable; defaults and rules live in the input table, not here.

/** Name, tags and build output of the whole kit. */
export interface GeneralProps {
  /**
   * Name prefix of every resource.
   * @default "self-runners"
   */
  readonly prefix?: string;
  /**
   * Tags for every resource.
   * @default {}
   */
  readonly tags?: Record<string, string>;
  /**
   * Directory holding lambdas/<name>.zip and layers/shared.zip built by `npm run build`; a relative
   * path is resolved against the working directory.
   * @default - the zips shipped next to the code: `lib/dist` in the npm package, `dist` in a checkout
   */
  readonly distDir?: string;
}

/** The GitHub App the kit authenticates as, its secrets and the API it talks to. */
export interface GitHubAppProps {
  /** GitHub App ID (numeric). */
  readonly githubAppId: string;
  /**
   * SecureString parameter with the App's private key.
   * @default "" (created as `/<prefix>/github-app/private-key` with a placeholder)
   */
  readonly githubAppPrivateKeySsmParameterName?: string;
  /**
   * SecureString parameter with the webhook secret.
   * @default "" (created as `/<prefix>/github-app/webhook-secret` with a placeholder)
   */
  readonly webhookSecretSsmParameterName?: string;
  /**
   * SecureString parameter with the previous webhook secret, accepted besides the current one while it
   * holds a real value (webhook secret rotation).
   * @default "" (created as `/<prefix>/github-app/webhook-secret-previous` with a placeholder)
   */
  readonly webhookPreviousSecretSsmParameterName?: string;
  /**
   * GitHub REST API base URL (GitHub Enterprise Server: `https://HOST/api/v3`).
   * @default "https://api.github.com"
   */
  readonly githubApiUrl?: string;
  /**
   * More GitHub Apps installed on the same owners; JIT configs go round robin across all Apps.
   * @default []
   */
  readonly additionalGitHubApps?: ReadonlyArray<{ readonly appId: string; readonly privateKeySsmParameterName: string }> | IResolvable;
  /**
   * Register runners at repository (`repo`), organization (`org`) or enterprise (`enterprise`) level.
   * @default "repo"
   */
  readonly runnerScope?: string;
  /**
   * Enterprise scope only (required there): the enterprise's slug; runners join each pool's enterprise runner group.
   * @default ""
   */
  readonly enterpriseSlug?: string;
  /**
   * Enterprise scope only (required there): existing SSM SecureString with a classic token
   * (`manage_runners:enterprise`); GitHub App installation tokens cannot manage enterprise runners.
   * @default ""
   */
  readonly enterpriseTokenSsmParameterName?: string;
}

/** Runner instances: network, pools, runner software and timeouts. */
export interface RunnerProps {
  /** VPC of the runner subnets. */
  readonly vpcId: string;
  /** Subnets for runners, ideally one per availability zone. */
  readonly runnerSubnetIds: string[];
  /**
   * Runner pools by key. Jobs are routed to the first pool (in key order) whose labels contain all
   * of the job's labels. Either literal pools or a Terraform expression already in the module's shape.
   */
  readonly pools: Record<string, RunnerPoolProps> | IResolvable;
  /**
   * Runner version the syncer copies into the runner binaries bucket, which runners install from:
   * "latest" or >= 2.329.0.
   * @default "latest"
   */
  readonly runnerVersion?: string;
  /**
   * When the runner binaries syncer checks GitHub for the release again (EventBridge schedule expression).
   * @default "rate(1 hour)"
   */
  readonly runnerBinariesSyncSchedule?: string;
  /**
   * Minutes after boot at which a runner that started no job shuts itself down.
   * @default 30
   */
  readonly runnerIdleTimeoutMinutes?: number;
  /**
   * Seconds an instance may take to come up and register; the reconciler terminates it after that.
   * @default 600
   */
  readonly runnerBootTimeoutSeconds?: number;
  /**
   * Give runners public IPs.
   * @default false
   */
  readonly associatePublicIpAddress?: boolean;
  /**
   * Let an Ubuntu runner whose AMI has no AWS CLI fall back to AWS's installer from awscli.amazonaws.com
   * when the bucket has no copy for its architecture (docs/runner-hosts.md).
   * @default false
   */
  readonly awsCliInternetFallback?: boolean;
  /**
   * Allow Session Manager shells on runners (a Session-Manager-only policy, never AmazonSSMManagedInstanceCore).
   * @default false
   */
  readonly enableSsmSessions?: boolean;
  /**
   * Ship each runner's bootstrap log, `_diag` logs and job marks to the log group
   * `/self-runners/<prefix>/runners` with the CloudWatch agent (where the AMI has its package), and
   * publish BootToRegistration and RegistrationFailures from the marks.
   * @default true
   */
  readonly enableRunnerLogs?: boolean;
}

/** Baked runner images (stacks/runner-images.ts, docs/runner-images.md). */
export interface RunnerImagesInputProps {
  /**
   * Image definitions by key: one EC2 Image Builder pipeline each, publishing its AMI id to
   * `/<prefix>/runner-images/<key>` (runnerImageParameterName) for pools to use.
   * @default {}
   */
  readonly runnerImages?: Readonly<Record<string, RunnerImageProps>> | IResolvable;
}

/** Customer managed KMS encryption. */
export interface EncryptionProps {
  /**
   * Create a customer managed KMS key (rotation on) for the queues, the tables, the SSM parameters the
   * kit creates, every log group and the functions' environment; only the
   * kit's roles and `kmsKeyAdministratorArns` may use it. Ignored when `kmsKeyArn` names a key.
   * @default true
   */
  readonly createKmsKey?: boolean;
  /**
   * IAM role or user ARNs that may use the created key besides the kit's roles; include the principal
   * that runs Terraform.
   * @default [] (the IAM role or user running Terraform)
   */
  readonly kmsKeyAdministratorArns?: string[];
  /**
   * Use this existing customer managed KMS key for the same resources (see docs/security.md for the key
   * policy it needs). Must be known at plan time.
   * @default "" (none: AWS-managed encryption)
   */
  readonly kmsKeyArn?: string;
}

/** The Lambda functions: network placement, logs and concurrency. */

/** Settings of every IAM role the kit creates (enterprise service control policies often require them). */
export interface IamProps {
  /**
   * Managed policy ARN set as the permissions boundary of every role the kit creates.
   * @default "" (no boundary)
   */
  readonly permissionsBoundaryArn?: string;
  /**
   * Path of every role and instance profile the kit creates.
   * @default "/"
   */
  readonly iamRolePath?: string;
}

/** Props of {@link SelfRunners}: flat, declared in groups. */
export interface SelfRunnersProps
  extends GeneralProps,
    IamProps,
    GitHubAppProps,
    RunnerProps,
    RunnerImagesInputProps,
    EncryptionProps,
    FunctionsProps,
    WebhookApiStageProps,
    AdmissionProps,
    ControlPlaneProps,
    WafProps,
    AuditProps,
    VpcEndpointProps,
    NatProps,
    OperationsProps,
    BuildCacheInputProps {}
