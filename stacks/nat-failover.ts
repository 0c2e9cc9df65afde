import { Construct } from "constructs";
import { AssetType, Fn, Op, TerraformAsset, TerraformIterator, Token } from "./cdktf.js";
import {
  CloudwatchEventRule,
  CloudwatchEventTarget,
  CloudwatchLogGroup,
  IamRole,
  IamRolePolicy,
  LambdaFunction,
  LambdaPermission,
  SecurityGroup,
} from "./aws.js";
import type { AwsContext } from "./aws-context.js";
import { countIf, mapIf } from "./private/conditions.js";
import { RULES, checkProps } from "./errors.js";
import { pattern } from "./module/input-spec.js";
import { DEFAULT_PROBE_TARGETS, SHARED_INPUTS } from "./module/shared-rules.js";
import { assumeRolePolicy, policyDocument } from "./private/iam.js";
import { routeTableArns } from "./nat-instance.js";
import { mergeTags } from "./private/tags.js";
import { NAT_FAILOVER_ENV } from "../contracts/nat-failover.js";
import { powertoolsEnvironment, renderEnvironment } from "./private/environment.js";

export { DEFAULT_PROBE_TARGETS };
/** EC2 state-change states after which a NAT instance no longer forwards. */
export const NAT_DOWN_STATES = ["stopping", "stopped", "shutting-down", "terminated"];

/** Props of {@link NatFailover}. */
export interface NatFailoverProps {
  /** Name prefix; functions are `<prefix>-nat-failover-<az>`. NAT instances are found by `self-runners:nat = <prefix>`. */
  readonly prefix: string;
  /** VPC of the probe subnets (for the functions' security group). */
  readonly vpcId: string;
  /** Partition, region and account (route table and log group ARNs). */
  readonly context: AwsContext;
  /**
   * Create the functions; on whenever the NAT instances are.
   * @default true
   */
  readonly enabled?: boolean;
  /** Path of dist/lambdas/nat-failover.zip. */
  readonly zipPath: string;
  /** The shared layer's ARN. */
  readonly layerArn: string;
  /** Private route tables per AZ: one function per AZ manages that AZ's tables. */
  readonly privateRouteTableIds: Record<string, string[]>;
  /**
   * One private subnet per AZ (a key of `privateRouteTableIds`) whose route table is among that AZ's:
   * the AZ's function runs there, so its probes take the AZ's egress path.
   */
  readonly probeSubnetIds: Record<string, string>;
  /**
   * A NAT Gateway per AZ to fail over to before trying another AZ's NAT instance.
   * @default {}
   */
  readonly standbyNatGatewayIds?: Record<string, string>;
  /**
   * Probe targets: `https://host[/path]` (any HTTP answer counts) or `tcp://host:port`. A round fails
   * only when none answers.
   * @default ["https://api.github.com", "https://checkip.amazonaws.com"]
   */
  readonly probeTargets?: string[];
  /**
   * Seconds between probe rounds (each probe times out after min(3, interval - 1) s).
   * @default 5
   */
  readonly probeIntervalSeconds?: number;
  /**
   * Failed rounds in a row that count as loss of egress.
   * @default 3
   */
  readonly failureThreshold?: number;
  /**
   * Seconds the home NAT instance must be usable (and, after failed probes, seconds since it was
   * abandoned) before routes return to it.
   * @default 300
   */
  readonly failbackHoldDownSeconds?: number;
  /**
   * The EC2 API is reachable from the probe subnets without the NAT (an EC2 interface endpoint with
   * private DNS). Without it a function cannot move routes when its own NAT is down, so false is refused.
   * @default true
   */
  readonly ec2ApiReachable?: boolean;
  /**
   * Retention of the functions' log groups, in days.
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * Customer managed KMS key for the log groups and the functions' environment; a Terraform
   * expression may evaluate to null, which keeps AWS managed encryption.
   * @default - AWS managed encryption
   */
  readonly kmsKeyArn?: string;
  /**
   * X-Ray active tracing, its write permissions and POWERTOOLS_TRACE_ENABLED (as NodejsFunction `tracing`).
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * Tags for every resource.
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/**
 * One failover function per availability zone, in that AZ's private subnet (lambdas/nat-failover):
 * every minute it probes the AZ's egress for about a minute, and an EC2 state-change rule invokes it
 * at once when an instance stops. On loss of egress it points the AZ's route tables at the AZ's
 * standby NAT Gateway or another AZ's NAT instance, and back after a hold-down. Its role may
 * ReplaceRoute on the given route tables only; everything else it does is reading.
 */
export class NatFailover extends Construct {
  readonly securityGroup: SecurityGroup;
  readonly role: IamRole;
  readonly functions: LambdaFunction;

  constructor(scope: Construct, id: string, props: NatFailoverProps) {
    super(scope, id);
    const enabled = props.enabled ?? true;
    const literal = <T>(value: T): boolean => !Token.isUnresolved(value);
    const subnetId = pattern(RULES.subnetId);
    const natGatewayId = pattern(RULES.natGatewayId);
    checkProps(this.node.path, [
      { prop: "vpcId", value: props.vpcId, rule: SHARED_INPUTS.vpcId.rule },
      { prop: "probeTargets", value: props.probeTargets, rule: SHARED_INPUTS.natProbeUrls.rule },
      { prop: "probeIntervalSeconds", value: props.probeIntervalSeconds, rule: SHARED_INPUTS.natProbeIntervalSeconds.rule },
      { prop: "failureThreshold", value: props.failureThreshold, rule: SHARED_INPUTS.natFailureThreshold.rule },
      { prop: "failbackHoldDownSeconds", value: props.failbackHoldDownSeconds, rule: SHARED_INPUTS.natFailbackHoldDownSeconds.rule },
      { prop: "logRetentionDays", value: props.logRetentionDays, rule: SHARED_INPUTS.logRetentionDays.rule },
      {
        prop: "probeSubnetIds",
        value: literal(props.probeSubnetIds) ? props.probeSubnetIds : undefined,
        rule: { allowed: `a map of AZ names to ${subnetId.allowed}`, check: (v: Record<string, string>) => Object.values(v).every((id) => subnetId.check(id)) },
      },
      {
        prop: "probeSubnetIds",
        value: enabled === true && literal(props.probeSubnetIds) && literal(props.privateRouteTableIds) ? props.probeSubnetIds : undefined,
        rule: { allowed: "a subnet for every AZ of privateRouteTableIds", check: (v: Record<string, string>) => Object.keys(props.privateRouteTableIds).every((az) => az in v) },
      },
      {
        prop: "standbyNatGatewayIds",
        value: props.standbyNatGatewayIds !== undefined && literal(props.standbyNatGatewayIds) ? props.standbyNatGatewayIds : undefined,
        rule: { allowed: `a map of AZ names to ${natGatewayId.allowed}`, check: (v: Record<string, string>) => Object.values(v).every((id) => natGatewayId.check(id)) },
      },
      {
        prop: "ec2ApiReachable",
        value: enabled === true ? props.ec2ApiReachable : undefined,
        rule: { allowed: "true: the functions need an EC2 interface endpoint to move routes while their NAT is down", check: (v: boolean) => v },
      },
    ]);
    const { context } = props;
    const tags = props.tags ?? {};
    const count = countIf(enabled);
    const functionName = (az: string): string => `${props.prefix}-nat-failover-${az}`;
    const standby = props.standbyNatGatewayIds ?? {};
    const checks = [props.privateRouteTableIds, props.probeSubnetIds, standby, props.ec2ApiReachable].some((v) => Token.isUnresolved(v));

    this.securityGroup = new SecurityGroup(this, "security-group", {
      count,
      name: `${props.prefix}-nat-failover`,
      description: "self-runners NAT failover functions: probes and AWS APIs out, nothing in",
      vpcId: props.vpcId,
      egress: [{ description: "Probes (HTTPS/TCP) and AWS APIs", protocol: "tcp", fromPort: 0, toPort: 65535, cidrBlocks: ["0.0.0.0/0"] }],
      tags: mergeTags(tags, { Name: `${props.prefix}-nat-failover` }),
      // The module's variables cannot check each other (Terraform < 1.9): checked when NAT is on.
      lifecycle: checks
        ? {
            precondition: [
              {
                condition: props.ec2ApiReachable ?? true,
                errorMessage:
                  "The NAT failover must reach the EC2 API while a NAT is down: set create_vpc_endpoints = true with \"ec2\" in vpc_endpoint_services, or nat_failover_existing_ec2_endpoint = true if the VPC has an EC2 interface endpoint with private DNS.",
              },
              {
                condition: Op.lt(Fn.lengthOf(Fn.setsubtract(Fn.keys(props.privateRouteTableIds), Fn.keys(props.probeSubnetIds))), 1) as unknown as boolean,
                errorMessage: "nat_probe_subnet_ids needs a private subnet for every AZ in nat_private_route_table_ids (the AZ's failover function runs there).",
              },
              {
                condition: Op.lt(Fn.lengthOf(Fn.setsubtract(Fn.keys(standby), Fn.keys(props.privateRouteTableIds))), 1) as unknown as boolean,
                errorMessage: "nat_standby_nat_gateway_ids may only name AZs that are in nat_private_route_table_ids.",
              },
            ],
          }
        : undefined,
    });

    this.role = new IamRole(this, "role", { count, name: `${props.prefix}-nat-failover`, assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com"), tags });
    new IamRolePolicy(this, "policy", {
      count,
      role: Fn.lookupNested(this.role.fqn, ["0", "id"]),
      name: "nat-failover",
      policy: policyDocument([
        {
          Sid: "WriteOwnLogs",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: `arn:${context.partition}:logs:${context.region}:${context.accountId}:log-group:/aws/lambda/${props.prefix}-nat-failover-*:*`,
        },
        {
          // ENI actions cannot be scoped to resources; the functions always run in the VPC.
          Sid: "ManageLambdaEnis",
          Action: ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"],
          Resource: "*",
        },
        { Sid: "ReadNetwork", Action: ["ec2:DescribeInstances", "ec2:DescribeInstanceStatus", "ec2:DescribeRouteTables", "ec2:DescribeNatGateways"], Resource: "*" },
        { Sid: "ReplaceDefaultRoutes", Action: ["ec2:ReplaceRoute"], Resource: routeTableArns(context, props.privateRouteTableIds) },
      ]),
    });

    const tracing = props.tracing ?? false;
    new IamRolePolicy(this, "tracing", {
      count: Token.isUnresolved(enabled) || Token.isUnresolved(tracing) ? countIf(Op.and(enabled, tracing) as unknown as boolean) : countIf(enabled && tracing),
      role: Fn.lookupNested(this.role.fqn, ["0", "id"]),
      name: "tracing",
      // X-Ray's write actions have no resource-level permissions (AWSXRayDaemonWriteAccess grants them on "*").
      policy: policyDocument([{ Sid: "SendTraces", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" }]),
    });

    const azs = TerraformIterator.fromMap(mapIf(enabled, props.privateRouteTableIds));
    const logGroups = new CloudwatchLogGroup(this, "logs", {
      forEach: azs,
      name: `/aws/lambda/${functionName(azs.key)}`,
      retentionInDays: props.logRetentionDays ?? SHARED_INPUTS.logRetentionDays.default,
      kmsKeyId: props.kmsKeyArn,
      tags,
    });
    const code = new TerraformAsset(this, "code", { path: props.zipPath, type: AssetType.FILE });
    this.functions = new LambdaFunction(this, "function", {
      forEach: azs,
      functionName: functionName(azs.key),
      description: "Moves this AZ's default routes off a failed NAT and back after a hold-down",
      role: Fn.lookupNested(this.role.fqn, ["0", "arn"]),
      handler: "index.handler",
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      // The function mostly waits between probes; 128 MB keeps a minute-long loop cheap.
      memorySize: 128,
      // A scheduled invocation loops 58 s (lambdas/nat-failover/config.ts); the rest is margin.
      timeout: 70,
      // One loop per AZ at a time: two overlapping minutes would probe and move routes twice.
      reservedConcurrentExecutions: 1,
      kmsKeyArn: props.kmsKeyArn,
      filename: code.path,
      sourceCodeHash: Fn.filebase64sha256(code.path),
      layers: [props.layerArn],
      environment: {
        variables: {
          NODE_OPTIONS: "--enable-source-maps",
          ...renderEnvironment(NAT_FAILOVER_ENV, {
            ...powertoolsEnvironment("nat-failover", props.prefix),
            prefix: props.prefix,
            az: azs.key,
            routeTableIds: Fn.jsonencode(azs.value),
            standbyNatGatewayId: valueOr(standby, azs.key, ""),
            natProbeUrls: Fn.jsonencode(props.probeTargets ?? DEFAULT_PROBE_TARGETS),
            natProbeIntervalSeconds: Token.asString(props.probeIntervalSeconds ?? SHARED_INPUTS.natProbeIntervalSeconds.default),
            natFailureThreshold: Token.asString(props.failureThreshold ?? SHARED_INPUTS.natFailureThreshold.default),
            natFailbackHoldDownSeconds: Token.asString(props.failbackHoldDownSeconds ?? SHARED_INPUTS.natFailbackHoldDownSeconds.default),
            powertoolsTraceEnabled: Token.isUnresolved(tracing) ? Fn.tostring(tracing as unknown as string) : String(tracing),
          }),
        },
      },
      tracingConfig: Token.isUnresolved(tracing) ? { mode: Fn.conditional(tracing, "Active", "PassThrough") as string } : tracing ? { mode: "Active" } : undefined,
      vpcConfig: { subnetIds: [valueOr(props.probeSubnetIds, azs.key, "")], securityGroupIds: [Fn.lookupNested(this.securityGroup.fqn, ["0", "id"])] },
      loggingConfig: { logFormat: "JSON", logGroup: Fn.lookupNested(logGroups.fqn, [azs.key, "name"]) },
      tags,
      dependsOn: [logGroups],
    });
    const functionArn = Fn.lookupNested(this.functions.fqn, [azs.key, "arn"]);

    const trigger = (kind: string, rule: Omit<ConstructorParameters<typeof CloudwatchEventRule>[2], "forEach" | "name" | "tags">): void => {
      const eventRule = new CloudwatchEventRule(this, kind, { forEach: azs, name: `${props.prefix}-nat-${kind}-${azs.key}`, tags, ...rule });
      new CloudwatchEventTarget(this, `${kind}-target`, { forEach: azs, rule: Fn.lookupNested(eventRule.fqn, [azs.key, "name"]), arn: functionArn, targetId: "nat-failover" });
      new LambdaPermission(this, `${kind}-invoke`, {
        forEach: azs,
        statementId: `AllowEventBridge-${kind}`,
        action: "lambda:InvokeFunction",
        functionName: Fn.lookupNested(this.functions.fqn, [azs.key, "function_name"]),
        principal: "events.amazonaws.com",
        sourceArn: Fn.lookupNested(eventRule.fqn, [azs.key, "arn"]),
      });
    };
    trigger("schedule", { description: "Runs the NAT failover probe loop of one AZ", scheduleExpression: "rate(1 minute)" });
    // State-change events carry no tags, so the rule sees every instance; the function ignores non-NAT ones.
    trigger("state-change", {
      description: "Runs the NAT failover of one AZ at once when an instance stops",
      eventPattern: Fn.jsonencode({ source: ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"], detail: { state: NAT_DOWN_STATES } }),
    });
  }

  /** Function name per AZ; empty when off. */
  get functionNames(): Record<string, string> {
    return TerraformIterator.fromResources(this.functions).forExpressionForMap("key", "val.function_name") as unknown as Record<string, string>;
  }
}

/** `try(map[key], fallback)`: Fn.lookup drops an empty-string default and renders a plain index. */
function valueOr(map: Record<string, string>, key: string, fallback: string): string {
  return Fn.try([Fn.lookupNested(map, [key]), fallback]) as string;
}
