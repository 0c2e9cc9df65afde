/**
 * The IAM statements of RunnerFleet's grants (what scale-up may launch, what the functions may terminate)
 * and of the runner role's Session Manager policy, apart from the construct so each reads as one list.
 */
import { Fn, TerraformIterator, Token } from "../cdktf.js";
import type { AwsContext } from "../aws-context.js";
import type { NormalizedPool, PoolMap } from "../pools.js";
import { RUNNER_TAGS } from "../../contracts/tags.js";
import { runnerCredentialsCondition, type PolicyStatement } from "./iam.js";

/** The fleet's resources a launch is confined to. */
export interface RunnerLaunchScope {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  /** The kit's prefix: the `self-runners:prefix` tag value launches must request. */
  readonly prefix: string;
  readonly launchTemplateArns: string[];
  /** The runner instance profiles: the shared one and the pools' own. */
  readonly instanceProfileArns: string[];
  /** The runner roles: the shared one and the pools' own. */
  readonly roleArns: string[];
  /** The runner security group and the pools' subnets ({@link runnerNetworkArns}). */
  readonly networkArns: string[];
  /** Instance types (patterns) a pool may launch. */
  readonly instanceTypes: string[];
}

/** The `launch-runners` policy: see RunnerFleet.grantLaunch for what it allows. */
export function runnerLaunchStatements(o: RunnerLaunchScope): PolicyStatement[] {
  const { partition, region, accountId } = o;
  const ec2Arn = (resource: string): string => `arn:${partition}:ec2:${region}:${accountId}:${resource}`;
  const launch = ["ec2:CreateFleet", "ec2:RunInstances"];
  const kitTagRequested = { [`aws:RequestTag/${RUNNER_TAGS.prefix}`]: o.prefix };
  // Every resource of the request must come from one of this fleet's templates (issue 18, finding 8).
  const fromOwnTemplate = { "ec2:LaunchTemplate": o.launchTemplateArns };
  return [
    { Sid: "LaunchFromOwnTemplates", Action: launch, Resource: o.launchTemplateArns },
    {
      // The instance: tagged, with the runner profile, IMDSv2 only, an instance type a pool may launch.
      Sid: "LaunchRunnerInstances",
      Action: launch,
      Resource: ec2Arn("instance/*"),
      Condition: {
        StringEquals: { ...kitTagRequested, "ec2:MetadataHttpTokens": "required" },
        // Patterns: an attribute-based pool may launch any type its allowed_instance_types match.
        StringLike: { "ec2:InstanceType": o.instanceTypes },
        ArnEquals: { "ec2:InstanceProfile": o.instanceProfileArns },
        ArnLike: fromOwnTemplate,
      },
    },
    {
      // CreateFleet tags instances, the launch templates tag volumes and network interfaces.
      Sid: "LaunchTaggedRunners",
      Action: launch,
      Resource: [ec2Arn("volume/*"), ec2Arn("network-interface/*")],
      Condition: { StringEquals: kitTagRequested, ArnLike: fromOwnTemplate },
    },
    { Sid: "LaunchIntoRunnerNetwork", Action: launch, Resource: o.networkArns, Condition: { ArnLike: fromOwnTemplate } },
    {
      // AMIs may be public or shared from other accounts; the templates choose which, and the request may not.
      Sid: "LaunchFromTemplateImages",
      Action: launch,
      Resource: `arn:${partition}:ec2:${region}::image/*`,
      Condition: { ArnLike: fromOwnTemplate, Bool: { "ec2:IsLaunchTemplateResource": "true" } },
    },
    { Sid: "LaunchFromImageSnapshots", Action: launch, Resource: `arn:${partition}:ec2:${region}::snapshot/*`, Condition: { ArnLike: fromOwnTemplate } },
    {
      // The instant fleet itself and, for spot, its requests: created only together with tagged instances.
      Sid: "FleetRequests",
      Action: launch,
      Resource: [ec2Arn("fleet/*"), ec2Arn("spot-instances-request/*")],
    },
    {
      Sid: "TagOnLaunch",
      Action: ["ec2:CreateTags"],
      Resource: [ec2Arn("instance/*"), ec2Arn("volume/*"), ec2Arn("network-interface/*")],
      Condition: { StringEquals: { "ec2:CreateAction": ["CreateFleet", "RunInstances"], [`aws:RequestTag/${RUNNER_TAGS.prefix}`]: o.prefix } },
    },
    {
      // The Name tag (the runner name) and the job the instance was launched for are known only after
      // launch (a fleet serves several jobs), so they are set per instance.
      Sid: "NameOwnRunners",
      Action: ["ec2:CreateTags"],
      Resource: ec2Arn("instance/*"),
      Condition: {
        StringEquals: { [`ec2:ResourceTag/${RUNNER_TAGS.prefix}`]: o.prefix },
        ArnEquals: { "ec2:InstanceProfile": o.instanceProfileArns },
        "ForAllValues:StringEquals": { "aws:TagKeys": ["Name", RUNNER_TAGS.jobId, RUNNER_TAGS.deliveryId, RUNNER_TAGS.repository] },
      },
    },
    {
      Sid: "Describe",
      Action: [
        "ec2:DescribeInstances",
        "ec2:DescribeLaunchTemplates",
        "ec2:DescribeLaunchTemplateVersions",
        "ec2:DescribeImages",
        "ec2:DescribeSubnets",
        "ec2:DescribeInstanceTypeOfferings",
      ],
      Resource: "*",
    },
    { Sid: "ResolveAmiParameters", Action: ["ssm:GetParameters", "ssm:GetParameter"], Resource: `arn:${partition}:ssm:${region}::parameter/aws/service/*` },
    {
      Sid: "PassRunnerRole",
      Action: ["iam:PassRole"],
      Resource: o.roleArns,
      Condition: { StringEquals: { "iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"] } },
    },
    {
      Sid: "FleetServiceLinkedRoles",
      Action: ["iam:CreateServiceLinkedRole"],
      Resource: [
        `arn:${partition}:iam::${accountId}:role/aws-service-role/spot.amazonaws.com/AWSServiceRoleForEC2Spot`,
        `arn:${partition}:iam::${accountId}:role/aws-service-role/ec2fleet.amazonaws.com/AWSServiceRoleForEC2Fleet`,
      ],
      Condition: { StringEquals: { "iam:AWSServiceName": ["spot.amazonaws.com", "ec2fleet.amazonaws.com"] } },
    },
  ];
}

/** ARNs of the runner security group and of every pool's subnets: where runners may be launched. */
export function runnerNetworkArns(context: AwsContext, pools: PoolMap, securityGroupId: string): string[] {
  const { partition, region, accountId } = context;
  const securityGroupArn = `arn:${partition}:ec2:${region}:${accountId}:security-group/${securityGroupId}`;
  if (!Token.isUnresolved(pools)) {
    const subnetIds = [...new Set(Object.values(pools as Record<string, NormalizedPool>).flatMap((pool) => pool.subnet_ids))];
    if (!subnetIds.some((id) => Token.isUnresolved(id))) {
      return [securityGroupArn, ...subnetIds.map((id) => `arn:${partition}:ec2:${region}:${accountId}:subnet/${id}`)];
    }
  }
  // format()/formatlist() rather than template strings: cdktf cannot nest interpolations in function arguments.
  const subnetIds = Fn.distinct(Fn.flatten(TerraformIterator.fromMap(pools).forExpressionForList("val.subnet_ids")));
  const subnetArns = Fn.formatlist("arn:%s:ec2:%s:%s:subnet/%s", [partition, region, accountId, subnetIds]);
  return Fn.concat([[Fn.format("arn:%s:ec2:%s:%s:security-group/%s", [partition, region, accountId, securityGroupId])], subnetArns]) as unknown as string[];
}

/**
 * ec2:DescribeInstances, and ec2:TerminateInstances on instances tagged `self-runners:prefix = <prefix>`
 * that run with a runner instance profile only (RunnerFleet.grantTerminate).
 */
export function runnerTerminateStatements(o: Pick<RunnerLaunchScope, "partition" | "region" | "accountId" | "prefix" | "instanceProfileArns">): PolicyStatement[] {
  return [
    { Sid: "DescribeRunners", Action: ["ec2:DescribeInstances"], Resource: "*" },
    {
      Sid: "TerminateOwnRunners",
      Action: ["ec2:TerminateInstances"],
      Resource: `arn:${o.partition}:ec2:${o.region}:${o.accountId}:instance/*`,
      // The tag alone is no proof (anyone with ec2:CreateTags can copy it); the instance profile is set at
      // launch and changing it needs iam:PassRole for the runner role (issue 18, finding 3).
      Condition: {
        StringEquals: { [`ec2:ResourceTag/${RUNNER_TAGS.prefix}`]: o.prefix },
        ArnEquals: { "ec2:InstanceProfile": o.instanceProfileArns },
      },
    },
  ];
}

/**
 * Session Manager only (the actions of AWS's minimal Session Manager instance profile): never
 * AmazonSSMManagedInstanceCore, whose ssm:GetParameter(s) on "*" would let any job read the App key.
 */
export function sessionManagerStatements(context: AwsContext, vpcId: string): PolicyStatement[] {
  return [
    {
      Sid: "RegisterWithSessionManager",
      Action: ["ssm:UpdateInstanceInformation"],
      Resource: `arn:${context.partition}:ec2:${context.region}:${context.accountId}:instance/*`,
      Condition: runnerCredentialsCondition(vpcId),
    },
    {
      // ssmmessages has no resource types; the condition keeps the channels to instance credentials.
      Sid: "SessionManagerChannels",
      Action: ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"],
      Resource: "*",
      Condition: { Null: { "ec2:SourceInstanceARN": "false" }, ...runnerCredentialsCondition(vpcId) },
    },
  ];
}
