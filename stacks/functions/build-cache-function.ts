import type { Construct } from "constructs";
import { BUILD_CACHE_ENV, BUILD_CACHE_OBJECT_PREFIXES } from "../../contracts/build-cache.js";
import { Fn } from "../cdktf.js";
import { IamRolePolicy, LambdaFunctionUrl, type IamRole } from "../aws.js";
import type { EncryptionKey } from "../encryption-key.js";
import type { JobLedger } from "../job-ledger.js";
import { NodejsFunction } from "../nodejs-function.js";
import { countIf } from "../private/conditions.js";
import { policyDocument, runnerCredentialsCondition } from "../private/iam.js";
import { powertoolsEnvironment, renderEnvironment } from "../private/environment.js";
import type { GitHubAppAccess } from "../private/github-app-access.js";
import type { RunnersTable } from "../runners-table.js";
import type { BuildCacheBucket } from "../build-cache/build-cache-bucket.js";
import type { BuildCacheIndex } from "../build-cache/build-cache-index.js";
import { handlerFunctionProps, type HandlerFunctionProps } from "./handler-function.js";

/** Props of {@link BuildCacheFunction}. */
export interface BuildCacheFunctionProps extends HandlerFunctionProps {
  /** Whether the build cache is on (a Terraform expression in the module): every resource is counted by it. */
  readonly enabled: boolean;
  readonly bucket: BuildCacheBucket;
  readonly index: BuildCacheIndex;
  /** The runners table: the caller instance's item (registration scope, launch job). */
  readonly table: RunnersTable;
  /** The job ledger: the job's repository, owner and branches. */
  readonly ledger: JobLedger;
  readonly encryption: EncryptionKey;
  /** Bytes one scope may keep (a literal or a Terraform expression). */
  readonly scopeBudgetBytes: string;
  /** JSON list of the protocols served (a literal or a Terraform expression). */
  readonly protocols: string;
  /**
   * Names of the runner instances' roles (the shared one and the pools' own, without path): the function
   * answers only their sessions. A literal list or a Terraform list expression.
   */
  readonly runnerRoleNames: string[];
  /** The GitHub App: its installation token confirms a lookup's pull request claim (the base branch). */
  readonly app: GitHubAppAccess;
}

/**
 * lambdas/build-cache behind a function URL with IAM authentication (never NONE): runners sign their
 * requests with their instance role, the function derives the caller's scope and branch from that
 * identity and hands out presigned URLs of that scope's blobs (docs/build-cache.md, "Trust boundary").
 */
export class BuildCacheFunction extends NodejsFunction {
  readonly url: LambdaFunctionUrl;
  private readonly enabledCount: number;

  constructor(scope: Construct, id: string, props: BuildCacheFunctionProps) {
    const { bucket, index, table, ledger } = props;
    super(scope, id, {
      ...handlerFunctionProps("build-cache", props, {
        description: "Build cache: looks up entries and hands out presigned URLs of the caller's scope",
        // A commit recomputes the SHA-256 of a blob of up to 5 GiB streamed from S3: one full vCPU, minutes.
        timeout: 300,
        memorySize: 1769,
        environment: renderEnvironment(BUILD_CACHE_ENV, {
          ...powertoolsEnvironment("build-cache", props.prefix),
          ...props.app.environment,
          prefix: props.prefix,
          buildCacheBucket: bucket.bucketName,
          buildCacheIndexTable: index.tableName,
          runnersTable: table.table.name,
          jobsTable: ledger.table.name,
          // The runner roles' names (a session ARN carries no path): only their sessions may call.
          buildCacheRunnerRoleNames: Fn.jsonencode(props.runnerRoleNames),
          buildCacheScopeBudgetBytes: props.scopeBudgetBytes,
          buildCacheProtocols: props.protocols,
        }),
      }),
      count: countIf(props.enabled),
    });
    const count = countIf(props.enabled);
    this.enabledCount = count;
    const staging = `${bucket.bucketArn}/${BUILD_CACHE_OBJECT_PREFIXES.staging}*`;
    const blobs = `${bucket.bucketArn}/${BUILD_CACHE_OBJECT_PREFIXES.blobs}*`;
    this.addToRolePolicy("build-cache", [
      // Presigned multipart PUTs and GETs act with these permissions; the copy to blobs/ follows verification.
      { Sid: "StageUploads", Action: ["s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload"], Resource: staging },
      { Sid: "StoreVerifiedBlobs", Action: ["s3:PutObject", "s3:GetObject"], Resource: blobs },
      // Without ListBucket a HeadObject of a missing blob answers 403 instead of 404.
      { Sid: "SeeMissingBlobs", Action: ["s3:ListBucket"], Resource: bucket.bucketArn, Condition: { StringLike: { "s3:prefix": Object.values(BUILD_CACHE_OBJECT_PREFIXES).map((p) => `${p}*`) } } },
      { Sid: "UseIndex", Action: ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"], Resource: index.tableArn },
      { Sid: "ReadCallerRunner", Action: ["dynamodb:GetItem"], Resource: table.table.arn },
      { Sid: "ReadCallerJob", Action: ["dynamodb:GetItem"], Resource: ledger.table.arn },
    ]);
    // Only the App keys: the pull request check needs no enterprise token (installation tokens read pulls).
    props.app.grantReadKeys(this);
    props.encryption.grantUse("build-cache", { id: this.attribute(this.role, "id") }, ["lambda", "ssm", "s3", "dynamodb"], props.enabled);
    this.url = new LambdaFunctionUrl(this, "url", { count, functionName: this.functionName, authorizationType: "AWS_IAM", invokeMode: "BUFFERED" });
  }

  /** The function URL (through index 0: the URL is counted). */
  get functionUrl(): string {
    return Fn.lookupNested(this.url.fqn, ["0", "function_url"]);
  }

  /**
   * Lets runner instances call the function through its URL only: lambda:InvokeFunctionUrl with
   * `lambda:FunctionUrlAuthType` = AWS_IAM, and lambda:InvokeFunction (which function URLs created since
   * October 2025 also require) only with `lambda:InvokedViaFunctionUrl`, so a runner can never invoke it
   * directly with an event of its own making; both with instance credentials of the kit's VPC.
   */
  grantInvokeUrl(role: IamRole, vpcId: string): IamRolePolicy {
    const fromRunner = runnerCredentialsCondition(vpcId);
    return new IamRolePolicy(this, "runner-invoke-url", {
      count: this.enabledCount,
      role: role.id,
      name: "build-cache",
      policy: policyDocument([
        {
          Sid: "CallBuildCacheUrl",
          Action: ["lambda:InvokeFunctionUrl"],
          Resource: this.functionArn,
          Condition: { ...fromRunner, StringEquals: { ...fromRunner.StringEquals, "lambda:FunctionUrlAuthType": "AWS_IAM" } },
        },
        {
          Sid: "InvokeBuildCacheOnlyThroughUrl",
          Action: ["lambda:InvokeFunction"],
          Resource: this.functionArn,
          Condition: { ...fromRunner, Bool: { "lambda:InvokedViaFunctionUrl": "true" } },
        },
      ]),
    });
  }
}
