import { Construct } from "constructs";
import { AssetType, Fn, TerraformAsset, Token, type TerraformResource } from "./cdktf.js";
import { CloudwatchLogGroup, IamRole, IamRolePolicy, LambdaFunction } from "./aws.js";
import { checkProps } from "./errors.js";
import { RESERVED_CONCURRENCY } from "./module/input-spec.js";
import { integerBetween, matching } from "./module/rules.js";
import { SHARED_INPUTS } from "./module/shared-rules.js";
import { assumeRolePolicy, policyDocument, type PolicyStatement } from "./private/iam.js";
import { countIf, countIfNotEmpty } from "./private/conditions.js";
import { renderEnvironment } from "./private/environment.js";
import { POWERTOOLS_ENV } from "../contracts/common.js";

/** Props of {@link NodejsFunction}. */
export interface NodejsFunctionProps {
  /** Function name; also names its role and log group. */
  readonly functionName: string;
  /** Path of the reproducible zip built by `npm run build` (scripts/build-lambdas.ts). */
  readonly zipPath: string;
  /**
   * What the function does, shown in the console.
   * @default - no description
   */
  readonly description?: string;
  /**
   * Module and export of the handler inside the zip.
   * @default "index.handler"
   */
  readonly handler?: string;
  /**
   * Lambda runtime; must be Node.js 22 or newer.
   * @default "nodejs22.x"
   */
  readonly runtime?: string;
  /**
   * Memory in MiB.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Timeout in seconds.
   * @default 30
   */
  readonly timeout?: number;
  /**
   * Size of /tmp in MiB (512 to 10240).
   * @default 512
   */
  readonly ephemeralStorageSize?: number;
  /**
   * Environment variables. Never put a secret here: pass the name of an SSM parameter instead.
   * @default {}
   */
  readonly environment?: Record<string, string>;
  /**
   * Layer version ARNs to attach (the shared layer).
   * @default []
   */
  readonly layers?: string[];
  /**
   * Retention of the function's log group, in days.
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * Reserved concurrency; -1 leaves the function unreserved.
   * @default -1
   */
  readonly reservedConcurrency?: number;
  /**
   * Subnets to place the function in. Empty runs it outside any VPC; when non-empty, the role also
   * gets the ENI permissions Lambda needs (and only then).
   * @default []
   */
  readonly subnetIds?: string[];
  /**
   * Security groups for the function's ENIs; used only with `subnetIds`.
   * @default []
   */
  readonly securityGroupIds?: string[];
  /**
   * Instruction set; the bundles are plain JavaScript, so the cheaper arm64 is the default.
   * @default "arm64"
   */
  readonly architecture?: "arm64" | "x86_64";
  /**
   * Customer managed KMS key for the function's environment variables and its log group. A Terraform
   * expression may evaluate to null, which keeps AWS-managed encryption.
   * @default - AWS-managed encryption
   */
  readonly kmsKeyArn?: string;
  /**
   * X-Ray active tracing, the X-Ray write permissions (xray:PutTraceSegments, xray:PutTelemetryRecords)
   * and POWERTOOLS_TRACE_ENABLED=true, so the handler's AWS SDK clients are traced (lambdas/shared/tracer.ts).
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * Create the function only when this is 1: a `count` for every resource of the function, so a
   * module variable can switch it (`countIf(...)`). References then go through index 0.
   * @default - always created, without a count
   */
  readonly count?: number;
  /**
   * Tags for every resource of the function.
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/**
 * A Node.js Lambda function from a prebuilt reproducible zip, with its own log group, a role that
 * may write only to that log group, and optional VPC placement.
 */
export class NodejsFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: IamRole;
  readonly logGroup: CloudwatchLogGroup;
  /** The `count` of every resource of the function, when it has one. */
  readonly count?: number;

  constructor(scope: Construct, id: string, props: NodejsFunctionProps) {
    super(scope, id);
    checkProps(this.node.path, [
      { prop: "functionName", value: props.functionName, rule: matching("^[A-Za-z0-9_-]{1,64}$", "1-64 letters, digits, '-' or '_'") },
      { prop: "runtime", value: props.runtime, rule: matching("^nodejs(2[2-9]|[3-9][0-9])\\.x$", "nodejs22.x or newer") },
      { prop: "memorySize", value: props.memorySize, rule: integerBetween(128, 10240) },
      { prop: "timeout", value: props.timeout, rule: integerBetween(1, 900, " seconds") },
      { prop: "logRetentionDays", value: props.logRetentionDays, rule: SHARED_INPUTS.logRetentionDays.rule },
      { prop: "reservedConcurrency", value: props.reservedConcurrency, rule: RESERVED_CONCURRENCY },
      { prop: "subnetIds", value: props.subnetIds, rule: SHARED_INPUTS.lambdaSubnetIds.rule },
      { prop: "securityGroupIds", value: props.securityGroupIds, rule: SHARED_INPUTS.lambdaSecurityGroupIds.rule },
    ]);
    const tags = props.tags ?? {};
    const subnetIds = props.subnetIds ?? [];
    const count = props.count;
    this.count = count;
    const code = new TerraformAsset(this, "code", { path: props.zipPath, type: AssetType.FILE });

    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      count,
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: props.logRetentionDays ?? SHARED_INPUTS.logRetentionDays.default,
      kmsKeyId: props.kmsKeyArn,
      tags,
    });
    this.role = new IamRole(this, "role", {
      count,
      name: props.functionName,
      assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com"),
      tags,
    });
    // Only its own log group: the managed basic-execution policy would allow CreateLogGroup on "*".
    this.addToRolePolicy("logs", [
      { Sid: "WriteOwnLogs", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${this.attribute(this.logGroup, "arn")}:*` },
    ]);
    const tracing = props.tracing ?? false;
    const traced = countIf(tracing);
    new IamRolePolicy(this, "tracing", {
      count: count === undefined ? traced : bothCounts(count, traced),
      role: this.attribute(this.role, "id"),
      name: "tracing",
      // What the AWS managed AWSXRayDaemonWriteAccess grants for sending traces; X-Ray has no resource-level permissions.
      policy: policyDocument([{ Sid: "SendTraces", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" }]),
    });
    // ENI actions cannot be scoped to resources; they are granted only when the function is in a VPC.
    const inVpc = countIfNotEmpty(subnetIds);
    new IamRolePolicy(this, "vpc-access", {
      count: count === undefined ? inVpc : bothCounts(count, inVpc),
      role: this.attribute(this.role, "id"),
      name: "vpc-access",
      policy: policyDocument([
        {
          Sid: "ManageLambdaEnis",
          Action: [
            "ec2:CreateNetworkInterface",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeSubnets",
            "ec2:DeleteNetworkInterface",
            "ec2:AssignPrivateIpAddresses",
            "ec2:UnassignPrivateIpAddresses",
          ],
          Resource: "*",
        },
      ]),
    });

    this.function = new LambdaFunction(this, "function", {
      count,
      functionName: props.functionName,
      description: props.description,
      role: this.attribute(this.role, "arn"),
      handler: props.handler ?? "index.handler",
      runtime: props.runtime ?? "nodejs22.x",
      architectures: [props.architecture ?? "arm64"],
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? 30,
      ephemeralStorage: props.ephemeralStorageSize === undefined ? undefined : { size: props.ephemeralStorageSize },
      filename: code.path,
      sourceCodeHash: Fn.filebase64sha256(code.path),
      layers: props.layers ?? [],
      reservedConcurrentExecutions: props.reservedConcurrency ?? -1,
      environment: {
        variables: {
          NODE_OPTIONS: "--enable-source-maps",
          ...(props.environment ?? {}),
          ...renderEnvironment(POWERTOOLS_ENV, { powertoolsTraceEnabled: Token.isUnresolved(tracing) ? Fn.tostring(tracing as unknown as string) : String(tracing) }),
        },
      },
      tracingConfig: Token.isUnresolved(tracing) ? { mode: Fn.conditional(tracing, "Active", "PassThrough") as string } : tracing ? { mode: "Active" } : undefined,
      kmsKeyArn: props.kmsKeyArn,
      vpcConfig: { subnetIds, securityGroupIds: props.securityGroupIds ?? [] },
      loggingConfig: { logFormat: "JSON", logGroup: this.attribute(this.logGroup, "name") },
      tags,
      dependsOn: [this.logGroup],
    });
  }

  /** The function's ARN. */
  get functionArn(): string {
    return this.attribute(this.function, "arn");
  }

  /** The function's name. */
  get functionName(): string {
    return this.attribute(this.function, "function_name");
  }

  /** Adds an inline policy with exactly these statements to the function's role (counted like the function). */
  addToRolePolicy(name: string, statements: readonly PolicyStatement[]): IamRolePolicy {
    return new IamRolePolicy(this, `policy-${name}`, {
      count: this.count,
      role: this.attribute(this.role, "id"),
      name,
      policy: policyDocument(statements),
    });
  }

  /** An attribute of one of the function's resources: through index 0 when they have a count. */
  attribute(resource: TerraformResource, name: string): string {
    if (this.count === undefined) return resource.getStringAttribute(name);
    return Fn.lookupNested(resource.fqn, ["0", name]);
  }
}

/** 1 when both counts are 1: plain numbers stay numbers, tokens become `min(a, b)`. */
function bothCounts(a: number, b: number): number {
  if (!Token.isUnresolved(a) && !Token.isUnresolved(b)) return Math.min(a, b);
  return Token.asNumber(Fn.min([a, b]));
}
