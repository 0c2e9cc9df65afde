import { Construct } from "constructs";
import { Fn, Op, TerraformIterator, Token } from "./cdktf.js";
import { AutoscalingGroup, DataAwsVpc, IamInstanceProfile, IamRole, IamRolePolicy, LaunchTemplate, SecurityGroup } from "./aws.js";
import type { AwsContext } from "./aws-context.js";
import { countIf, mapIf } from "./private/conditions.js";
import { RULES, checkProps } from "./errors.js";
import { pattern } from "./module/input-spec.js";
import { DEFAULT_NAT_INSTANCE_TYPE, SHARED_INPUTS } from "./module/shared-rules.js";
import { assumeRolePolicy, policyDocument } from "./private/iam.js";
import { natBootstrapScript } from "./nat-bootstrap.js";
import { mergeTags } from "./private/tags.js";

/**
 * The tag on every NAT instance (value: the prefix). The failover function finds NAT instances by it
 * and the instance role may change only instances carrying it. NAT instances deliberately do not carry
 * `self-runners:prefix`: the reconciler terminates instances with that tag that are not runners.
 */
export const NAT_TAG = "self-runners:nat";

export { DEFAULT_NAT_INSTANCE_TYPE };

/** Amazon Linux 2023 for the instance's architecture; `%s` is `arm64` or `x86_64`. */
export const NAT_AMI_PARAMETER_FORMAT = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-%s";

/** Instance families with a `g` after the generation digit are Graviton (c6gn, t4g, m7gd); `g5` is not. `[.]`, not a backslash: cdktf mangles backslashes in expressions. */
const GRAVITON_FAMILY = "^[a-z]+[0-9]+[a-z]*g[a-z]*[.]";

/** Props of {@link NatInstances}. */
export interface NatInstancesProps {
  /** Name prefix; NAT instances are `<prefix>-nat-<az>` and tagged `self-runners:nat = <prefix>`. */
  readonly prefix: string;
  /** The VPC; its CIDR blocks may send traffic through the NAT instances. */
  readonly vpcId: string;
  /** Partition, region and account (route table ARNs in the instance policy). */
  readonly context: AwsContext;
  /**
   * Create the NAT instances. Off by default in the module (`enable_nat_instances`).
   * @default true
   */
  readonly enabled?: boolean;
  /** One public subnet per availability zone, keyed by AZ name: one NAT instance (and Auto Scaling group) each. */
  readonly subnetIds: Record<string, string>;
  /**
   * Private route tables per AZ (keys among `subnetIds`'): their 0.0.0.0/0 route goes through that AZ's
   * NAT instance (set by the instance at boot when missing or dead, moved by the failover function).
   */
  readonly privateRouteTableIds: Record<string, string[]>;
  /**
   * Instance type of the NAT instances; pick a network-optimised size for CI traffic.
   * @default "c6gn.medium"
   */
  readonly instanceType?: string;
  /**
   * The IAM path of the NAT role and instance profile as it appears in their ARNs (`""` for `/`,
   * `a/b/` for `/a/b/`): the boot policy names the instance profile by ARN.
   * @default ""
   */
  readonly iamPathInArn?: string;
  /**
   * Tags for every resource, instances included. Never `self-runners:prefix` (see {@link NAT_TAG}).
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/**
 * One NAT instance per availability zone, each in its own Auto Scaling group (min = max = 1, so a
 * failed instance is replaced) from a launch template with IMDSv2 required, an encrypted gp3 root
 * volume and Amazon Linux 2023 resolved from its public SSM parameter. The boot script
 * (nat-bootstrap.ts) sets up forwarding and masquerading, switches off its own source/destination
 * check and claims its AZ's route tables; the instance role allows exactly that. A security group
 * admits everything from the VPC's CIDR blocks and allows all egress.
 */
export class NatInstances extends Construct {
  readonly securityGroup: SecurityGroup;
  readonly role: IamRole;
  readonly instanceProfile: IamInstanceProfile;
  readonly launchTemplates: LaunchTemplate;
  readonly autoscalingGroups: AutoscalingGroup;

  constructor(scope: Construct, id: string, props: NatInstancesProps) {
    super(scope, id);
    const enabled = props.enabled ?? true;
    const instanceType = props.instanceType ?? DEFAULT_NAT_INSTANCE_TYPE;
    const literal = <T>(value: T): value is T => !Token.isUnresolved(value);
    const az = pattern(RULES.availabilityZone);
    const subnetId = pattern(RULES.subnetId);
    const routeTableId = pattern(RULES.routeTableId);
    checkProps(this.node.path, [
      { prop: "vpcId", value: props.vpcId, rule: SHARED_INPUTS.vpcId.rule },
      { prop: "instanceType", value: props.instanceType, rule: SHARED_INPUTS.natInstanceType.rule },
      {
        prop: "subnetIds",
        value: literal(props.subnetIds) ? props.subnetIds : undefined,
        rule: {
          allowed: `a map of ${az.allowed} to ${subnetId.allowed}`,
          check: (v: Record<string, string>) => Object.keys(v).every((k) => az.check(k)) && Object.values(v).every((id) => subnetId.check(id)),
        },
      },
      {
        prop: "subnetIds",
        value: enabled === true && literal(props.subnetIds) ? props.subnetIds : undefined,
        rule: { allowed: "at least one AZ with a public subnet", check: (v: Record<string, string>) => Object.keys(v).length > 0 },
      },
      {
        prop: "privateRouteTableIds",
        value: literal(props.privateRouteTableIds) ? props.privateRouteTableIds : undefined,
        rule: {
          allowed: `a map of AZ names to lists of ${routeTableId.allowed}`,
          check: (v: Record<string, string[]>) => Object.values(v).every((ids) => ids.every((id) => routeTableId.check(id))),
        },
      },
      {
        prop: "privateRouteTableIds",
        value: enabled === true && literal(props.privateRouteTableIds) && literal(props.subnetIds) ? props.privateRouteTableIds : undefined,
        rule: {
          allowed: "at least one route table, and only AZs that have a NAT instance (a key of subnetIds)",
          check: (v: Record<string, string[]>) => Object.values(v).flat().length > 0 && Object.keys(v).every((zone) => zone in props.subnetIds),
        },
      },
    ]);
    const { context } = props;
    const userTags = props.tags ?? {};
    const tags = mergeTags(userTags, { [NAT_TAG]: props.prefix });
    const count = countIf(enabled);
    const name = `${props.prefix}-nat`;
    const vpc = new DataAwsVpc(this, "vpc", { count, id: props.vpcId });
    const associations = Token.asList(Fn.lookupNested(vpc.fqn, ["0", "cidr_block_associations"]));
    const vpcCidrBlocks = Token.asList(TerraformIterator.fromList(associations).forExpressionForList("val.cidr_block"));

    const routeTableIds = props.privateRouteTableIds;
    const checks = Token.isUnresolved(props.subnetIds) || Token.isUnresolved(routeTableIds);
    this.securityGroup = new SecurityGroup(this, "security-group", {
      count,
      name,
      description: "self-runners NAT instances: TCP, UDP and ICMP from the VPC in, everything out",
      vpcId: props.vpcId,
      // What jobs send to the internet: TCP and UDP on any port (registries, QUIC, NTP) and ICMP (ping,
      // path MTU). Other IP protocols (GRE, ESP, ...) are not forwarded (issue 18, finding 10).
      ingress: [
        { description: "TCP from the VPC", protocol: "tcp", fromPort: 0, toPort: 65535, cidrBlocks: vpcCidrBlocks },
        { description: "UDP from the VPC", protocol: "udp", fromPort: 0, toPort: 65535, cidrBlocks: vpcCidrBlocks },
        { description: "ICMP from the VPC", protocol: "icmp", fromPort: -1, toPort: -1, cidrBlocks: vpcCidrBlocks },
      ],
      egress: [{ description: "All outbound (the internet)", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] }],
      tags: mergeTags(tags, { Name: name }),
      // The module's variables cannot check each other (Terraform < 1.9): checked when NAT is on.
      lifecycle: checks
        ? {
            precondition: [
              {
                condition: Op.gte(Fn.lengthOf(Fn.flatten(Fn.values(routeTableIds))), 1) as unknown as boolean,
                errorMessage: "nat_private_route_table_ids must name at least one route table when enable_nat_instances is true.",
              },
              {
                condition: Op.lt(Fn.lengthOf(Fn.setsubtract(Fn.keys(routeTableIds), Fn.keys(props.subnetIds))), 1) as unknown as boolean,
                errorMessage: "Every AZ in nat_private_route_table_ids needs a NAT instance: add its public subnet to nat_instance_subnet_ids.",
              },
            ],
          }
        : undefined,
    });

    this.role = new IamRole(this, "role", { count, name, assumeRolePolicy: assumeRolePolicy("ec2.amazonaws.com"), tags });
    const roleName = Fn.lookupNested(this.role.fqn, ["0", "name"]);
    new IamRolePolicy(this, "boot", {
      count,
      role: roleName,
      name: "nat-boot",
      policy: policyDocument([
        {
          Sid: "SwitchOffOwnSourceDestCheck",
          Action: ["ec2:ModifyInstanceAttribute"],
          Resource: `arn:${context.partition}:ec2:${context.region}:${context.accountId}:instance/*`,
          // The tag can be copied onto any instance; the instance profile is set at launch and needs
          // iam:PassRole for the NAT role (issue 18, finding 10).
          Condition: {
            StringEquals: { [`ec2:ResourceTag/${NAT_TAG}`]: props.prefix },
            ArnEquals: { "ec2:InstanceProfile": `arn:${context.partition}:iam::${context.accountId}:instance-profile/${props.iamPathInArn ?? ""}${name}` },
          },
        },
        { Sid: "ReadRouteTables", Action: ["ec2:DescribeRouteTables"], Resource: "*" },
        {
          Sid: "ClaimPrivateRoutes",
          Action: ["ec2:CreateRoute", "ec2:ReplaceRoute"],
          Resource: routeTableArns(context, routeTableIds),
        },
      ]),
    });
    this.instanceProfile = new IamInstanceProfile(this, "instance-profile", { count, name, role: roleName, tags });

    const azs = TerraformIterator.fromMap(mapIf(enabled, props.subnetIds));
    const routeTablesOfAz = Fn.join(" ", Token.asList(Fn.lookup(routeTableIds, azs.key, [])));
    const instanceTags = mergeTags(tags, { Name: `${name}-${azs.key}` });
    this.launchTemplates = new LaunchTemplate(this, "launch-template", {
      forEach: azs,
      name: `${name}-${azs.key}`,
      description: "self-runners NAT instance",
      imageId: `resolve:ssm:${Fn.format(NAT_AMI_PARAMETER_FORMAT, [architectureOf(instanceType)])}`,
      instanceType,
      iamInstanceProfile: { arn: Fn.lookupNested(this.instanceProfile.fqn, ["0", "arn"]) },
      updateDefaultVersion: true,
      userData: Fn.base64encode(natBootstrapScript(this, { routeTableIds: routeTablesOfAz, region: context.region })),
      metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" },
      blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "true", volumeType: "gp3", volumeSize: 8, deleteOnTermination: "true" } }],
      networkInterfaces: [
        {
          deviceIndex: 0,
          // A public address is how this instance reaches the internet gateway of its public subnet.
          associatePublicIpAddress: "true",
          securityGroups: [Fn.lookupNested(this.securityGroup.fqn, ["0", "id"])],
          deleteOnTermination: "true",
        },
      ],
      tagSpecifications: [
        { resourceType: "instance", tags: instanceTags },
        { resourceType: "volume", tags: instanceTags },
        { resourceType: "network-interface", tags: instanceTags },
      ],
      tags,
    });

    this.autoscalingGroups = new AutoscalingGroup(this, "asg", {
      forEach: azs,
      name: `${name}-${azs.key}`,
      minSize: 1,
      maxSize: 1,
      desiredCapacity: 1,
      vpcZoneIdentifier: [azs.value],
      launchTemplate: { id: Fn.lookupNested(this.launchTemplates.fqn, [azs.key, "id"]), version: "$Latest" },
      healthCheckType: "EC2",
      healthCheckGracePeriod: 120,
      // A changed launch template replaces the instance, the new one first: the failover function moves
      // the routes to it when the old one goes away.
      instanceRefresh: { strategy: "Rolling", preferences: { minHealthyPercentage: 100, maxHealthyPercentage: 200 } },
      tag: [{ key: "Name", value: `${name}-${azs.key}`, propagateAtLaunch: false }],
    });
  }

  /** Auto Scaling group name per AZ; empty when off. */
  get autoscalingGroupNames(): Record<string, string> {
    return TerraformIterator.fromResources(this.autoscalingGroups).forExpressionForMap("key", "val.name") as unknown as Record<string, string>;
  }

  /** The NAT instances' security group; "" when off. */
  get securityGroupId(): string {
    return Fn.try([Fn.lookupNested(this.securityGroup.fqn, ["0", "id"]), ""]);
  }
}

/** `arm64` for Graviton instance types, else `x86_64`: picks the AMI. */
export function architectureOf(instanceType: string): string {
  if (!Token.isUnresolved(instanceType)) return new RegExp(GRAVITON_FAMILY).test(instanceType) ? "arm64" : "x86_64";
  return Fn.conditional(Fn.can(Fn.regex(GRAVITON_FAMILY, instanceType)), "arm64", "x86_64") as string;
}

/** ARNs of every route table in the map (all AZs). */
export function routeTableArns(context: AwsContext, byAz: Record<string, string[]>): string[] {
  const prefix = `arn:${context.partition}:ec2:${context.region}:${context.accountId}:route-table/`;
  if (!Token.isUnresolved(byAz)) return Object.values(byAz).flat().map((id) => `${prefix}${id}`);
  // The ARN parts as arguments: cdktf cannot render tokens inside a string passed to a function.
  return Token.asList(Fn.formatlist("arn:%s:ec2:%s:%s:route-table/%s", [context.partition, context.region, context.accountId, Fn.flatten(Fn.values(byAz))]));
}
