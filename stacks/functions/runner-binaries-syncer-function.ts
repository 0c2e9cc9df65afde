import type { Construct } from "constructs";
import { RUNNER_BINARIES_SYNCER_ENV } from "../../contracts/runner-binaries.js";
import { CloudwatchEventRule, CloudwatchEventTarget, LambdaInvocation, LambdaPermission } from "../aws.js";
import { Fn, TerraformIterator } from "../cdktf.js";
import type { EncryptionKey } from "../encryption-key.js";
import { checkProps } from "../errors.js";
import { SHARED_INPUTS } from "../module/shared-rules.js";
import { NodejsFunction } from "../nodejs-function.js";
import type { PoolMap } from "../pools.js";
import { powertoolsEnvironment, renderEnvironment } from "../private/environment.js";
import type { GitHubAppAccess } from "../private/github-app-access.js";
import type { RunnerBinaries } from "../runner-binaries.js";
import { handlerFunctionProps, type HandlerFunctionProps } from "./handler-function.js";

/** Props of {@link RunnerBinariesSyncerFunction}. */
export interface RunnerBinariesSyncerFunctionProps extends HandlerFunctionProps {
  /** The pools: their architectures pick the archives to copy. */
  readonly pools: PoolMap;
  /** The bucket the archives go to. */
  readonly binaries: RunnerBinaries;
  /** The GitHub App: release lookups use its installation token. */
  readonly app: GitHubAppAccess;
  readonly encryption: EncryptionKey;
  /**
   * `latest` or a pinned runner version (at least the minimum GitHub registers).
   * @default "latest"
   */
  readonly runnerVersion?: string;
  /**
   * When the release is checked again (EventBridge schedule expression).
   * @default "rate(1 hour)"
   */
  readonly scheduleExpression?: string;
}

/**
 * lambdas/runner-binaries-syncer: copies the runner release into the bucket on a schedule and once during
 * `terraform apply` (so the first runner finds it there). Owns its environment, grants, schedule and that
 * invocation.
 */
export class RunnerBinariesSyncerFunction extends NodejsFunction {
  readonly invocation: LambdaInvocation;

  constructor(scope: Construct, id: string, props: RunnerBinariesSyncerFunctionProps) {
    const runnerVersion = props.runnerVersion ?? SHARED_INPUTS.runnerVersion.default;
    const { bucketName, prefix: objectPrefix } = props.binaries.location;
    super(
      scope,
      id,
      handlerFunctionProps("runner-binaries-syncer", props, {
        description: "Copies the GitHub Actions runner release into the runner binaries bucket",
        // Each archive is downloaded and checked in full before any is written: /tmp holds them all.
        timeout: 600,
        memorySize: 512,
        ephemeralStorageSize: 2048,
        // One run at a time: the scheduled and the apply-time run would copy the same archives.
        reservedConcurrency: 1,
        environment: renderEnvironment(RUNNER_BINARIES_SYNCER_ENV, {
          ...powertoolsEnvironment("runner-binaries-syncer", props.prefix),
          githubApiUrl: props.app.environment.githubApiUrl,
          githubAppId: props.app.environment.githubAppId,
          githubAppPrivateKeySsmParameterName: props.app.environment.githubAppPrivateKeySsmParameterName,
          runnerVersion,
          runnerPlatforms: runnerPlatforms(props.pools),
          awsCliPlatforms: awsCliPlatforms(props.pools),
          bucketName,
          objectPrefix,
        }),
      }),
    );
    checkProps(this.node.path, [
      { prop: "runnerVersion", value: props.runnerVersion, rule: SHARED_INPUTS.runnerVersion.rule },
      { prop: "scheduleExpression", value: props.scheduleExpression, rule: SHARED_INPUTS.runnerBinariesSyncSchedule.rule },
    ]);
    const policy = props.binaries.grantSync(this);
    props.app.grantReadKeys(this);
    props.encryption.grantUse("runner-binaries-syncer", this.role, ["lambda", "ssm", "s3"]);

    const rule = new CloudwatchEventRule(scope, `${id}-schedule`, {
      name: `${props.prefix}-runner-binaries-syncer`,
      description: "Checks GitHub for a new runner release and copies it into the runner binaries bucket",
      scheduleExpression: props.scheduleExpression ?? SHARED_INPUTS.runnerBinariesSyncSchedule.default,
      tags: props.tags,
    });
    new CloudwatchEventTarget(scope, `${id}-target`, { rule: rule.name, arn: this.functionArn, targetId: "runner-binaries-syncer" });
    new LambdaPermission(scope, `${id}-invoke`, {
      statementId: "AllowEventBridgeInvoke",
      action: "lambda:InvokeFunction",
      functionName: this.functionName,
      principal: "events.amazonaws.com",
      sourceArn: rule.arn,
    });
    // Fills the bucket during apply, and again whenever the version or the platforms change; a refused
    // release or a checksum mismatch fails the apply rather than leaving runners nothing to install.
    this.invocation = new LambdaInvocation(scope, `${id}-first-sync`, {
      functionName: this.functionName,
      input: Fn.jsonencode({ source: "terraform" }),
      triggers: { runner_version: runnerVersion, platforms: runnerPlatforms(props.pools), aws_cli_platforms: awsCliPlatforms(props.pools), bucket: bucketName },
      dependsOn: [policy],
    });
  }
}

/** `["linux-x64", "win-x64", ...]`: one runner platform (contracts RUNNER_PLATFORMS) per OS and architecture the pools use. */
function runnerPlatforms(pools: PoolMap): string {
  return Fn.jsonencode(Fn.distinct(TerraformIterator.fromMap(pools).forExpressionForList('format(val.os == "windows" ? "win-%s" : "linux-%s", val.architecture)') as unknown as string[]));
}

/** `["linux-x64", ...]`: the architectures of the Ubuntu pools, whose bootstrap installs the AWS CLI from the bucket (contracts/aws-cli.ts). */
function awsCliPlatforms(pools: PoolMap): string {
  return Fn.jsonencode(Fn.distinct(TerraformIterator.fromMap(pools).forExpressionForList('format("linux-%s", val.architecture) if val.os != "windows" && startswith(val.linux_distribution, "ubuntu")') as unknown as string[]));
}
