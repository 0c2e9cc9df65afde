import { Construct } from "constructs";
import { Fn, Op, TerraformIterator, Token } from "./cdktf.js";
import { DataAwsVpc, SecurityGroup, VpcEndpoint } from "./aws.js";
import type { AwsContext } from "./aws-context.js";
import { allOf, countIf, isNonEmpty, listIf } from "./private/conditions.js";
import { checkProps, isUnresolved } from "./errors.js";
import { DEFAULT_INTERFACE_ENDPOINT_SERVICES, GATEWAY_ENDPOINT_SERVICES, SHARED_INPUTS } from "./module/shared-rules.js";
import { mergeTags } from "./private/tags.js";
import { policyDocument } from "./private/iam.js";

export { DEFAULT_INTERFACE_ENDPOINT_SERVICES, GATEWAY_ENDPOINT_SERVICES };

/** Interface services the kit uses whose endpoints accept a policy. */
const ENDPOINT_POLICY_SERVICES = [...DEFAULT_INTERFACE_ENDPOINT_SERVICES];

/** Props of {@link VpcEndpoints}. */
export interface VpcEndpointsProps {
  /** Name prefix of the security group and the endpoints' Name tags. */
  readonly prefix: string;
  /** The VPC to create the endpoints in. */
  readonly vpcId: string;
  /** Region: endpoint service names are `com.amazonaws.<region>.<service>`. */
  readonly context: AwsContext;
  /**
   * Create the endpoints. Off by default in the module (`create_vpc_endpoints`).
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Subnets for the interface endpoints' network interfaces, at most one per AZ (usually the private
   * subnets of the functions and runners). Required when interface services are listed.
   * @default []
   */
  readonly subnetIds?: string[];
  /**
   * Route tables that get the gateway endpoints' routes (the private subnets' tables). Empty creates
   * no gateway endpoint.
   * @default []
   */
  readonly routeTableIds?: string[];
  /**
   * Services to reach through interface endpoints, with private DNS, so their public names resolve to
   * the endpoints inside the VPC.
   * @default ["sqs", "ssm", "ec2", "logs", "sts", "kms"]
   */
  readonly interfaceServices?: string[];
  /**
   * Services to reach through gateway endpoints on `routeTableIds`: `dynamodb` and/or `s3`.
   * @default ["dynamodb", "s3"]
   */
  readonly gatewayServices?: string[];
  /**
   * Security groups allowed to connect (TCP 443) to the interface endpoints. Empty allows the VPC's
   * CIDR blocks instead.
   * @default []
   */
  readonly sourceSecurityGroupIds?: string[];
  /**
   * Tags for every resource.
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/**
 * VPC endpoints so the control plane works without internet egress except to GitHub: one interface
 * endpoint per service (private DNS on) behind a security group that admits only HTTPS from the VPC
 * (or from given security groups), and gateway endpoints (DynamoDB, optionally S3) on the private
 * route tables. Every resource is switched by `enabled`, so module variables can turn it on and off.
 */
export class VpcEndpoints extends Construct {
  readonly securityGroup: SecurityGroup;
  readonly interfaceEndpoints: VpcEndpoint;
  readonly gatewayEndpoints: VpcEndpoint;

  constructor(scope: Construct, id: string, props: VpcEndpointsProps) {
    super(scope, id);
    const enabled = props.enabled ?? true;
    const subnetIds = props.subnetIds ?? [];
    const routeTableIds = props.routeTableIds ?? [];
    const interfaceServices = props.interfaceServices ?? SHARED_INPUTS.vpcEndpointServices.default;
    const gatewayServices = props.gatewayServices ?? SHARED_INPUTS.vpcEndpointGatewayServices.default;
    const sourceSecurityGroupIds = props.sourceSecurityGroupIds ?? [];
    checkProps(this.node.path, [
      { prop: "vpcId", value: props.vpcId, rule: SHARED_INPUTS.vpcId.rule },
      { prop: "subnetIds", value: props.subnetIds, rule: SHARED_INPUTS.vpcEndpointSubnetIds.rule },
      { prop: "routeTableIds", value: props.routeTableIds, rule: SHARED_INPUTS.vpcEndpointRouteTableIds.rule },
      { prop: "interfaceServices", value: props.interfaceServices, rule: SHARED_INPUTS.vpcEndpointServices.rule },
      { prop: "gatewayServices", value: props.gatewayServices, rule: SHARED_INPUTS.vpcEndpointGatewayServices.rule },
      { prop: "sourceSecurityGroupIds", value: props.sourceSecurityGroupIds, rule: SHARED_INPUTS.vpcEndpointSourceSecurityGroupIds.rule },
      {
        prop: "subnetIds",
        value: enabled === true && !isUnresolved(interfaceServices) && interfaceServices.length > 0 ? subnetIds : undefined,
        rule: { allowed: "at least one subnet when interface endpoints are created", check: (v: string[]) => v.length > 0 },
      },
    ]);
    const tags = props.tags ?? {};
    const count = countIf(enabled);
    const vpc = new DataAwsVpc(this, "vpc", { count, id: props.vpcId });

    this.securityGroup = new SecurityGroup(this, "security-group", {
      count,
      name: `${props.prefix}-vpc-endpoints`,
      description: "self-runners VPC interface endpoints: HTTPS from the VPC only",
      vpcId: props.vpcId,
      ingress: [
        {
          description: "HTTPS to the AWS APIs",
          protocol: "tcp",
          fromPort: 443,
          toPort: 443,
          cidrBlocks: whenEmpty(sourceSecurityGroupIds, vpcCidrBlocks(vpc)),
          securityGroups: sourceSecurityGroupIds,
        },
      ],
      tags: mergeTags(tags, { Name: `${props.prefix}-vpc-endpoints` }),
      // The module's variables cannot check each other (Terraform < 1.9): checked when the group is created.
      lifecycle: isUnresolved(subnetIds) || isUnresolved(interfaceServices)
        ? {
            precondition: [
              {
                condition: Op.or(Op.not(isNonEmpty(interfaceServices)), isNonEmpty(subnetIds)) as unknown as boolean,
                errorMessage: "vpc_endpoint_subnet_ids must name at least one subnet when create_vpc_endpoints is true and vpc_endpoint_services is not empty.",
              },
            ],
          }
        : undefined,
    });

    // Only this account's principals may use the endpoints: credentials of another account (a job's own,
    // or stolen ones) cannot reach AWS through them (issue 18, finding 10). Resources stay unscoped: the
    // VPC's other workloads and the runners' jobs use the same routes and AWS-owned buckets.
    const ownAccountOnly = policyDocument([
      { Sid: "OwnAccountPrincipals", Principal: "*", Action: ["*"], Resource: "*", Condition: { StringEquals: { "aws:PrincipalAccount": props.context.accountId } } },
    ]);
    const interfaces = TerraformIterator.fromList(listIf(enabled, interfaceServices));
    this.interfaceEndpoints = new VpcEndpoint(this, "interface", {
      forEach: interfaces,
      vpcId: props.vpcId,
      serviceName: `com.amazonaws.${props.context.region}.${interfaces.value}`,
      vpcEndpointType: "Interface",
      privateDnsEnabled: true,
      // The services the kit uses by default support endpoint policies; other listed services keep AWS's default.
      policy: Token.asString(Fn.conditional(Fn.contains(ENDPOINT_POLICY_SERVICES, interfaces.value), ownAccountOnly, Token.nullValue())),
      subnetIds,
      securityGroupIds: [Fn.lookupNested(this.securityGroup.fqn, ["0", "id"])],
      tags: mergeTags(tags, { Name: `${props.prefix}-${interfaces.value}` }),
    });

    const gateways = TerraformIterator.fromList(listIf(allOf([enabled, isNonEmpty(routeTableIds)]), gatewayServices));
    this.gatewayEndpoints = new VpcEndpoint(this, "gateway", {
      forEach: gateways,
      vpcId: props.vpcId,
      serviceName: `com.amazonaws.${props.context.region}.${gateways.value}`,
      vpcEndpointType: "Gateway",
      routeTableIds,
      policy: ownAccountOnly,
      tags: mergeTags(tags, { Name: `${props.prefix}-${gateways.value}` }),
    });
  }

  /** Endpoint id per service (interface and gateway); empty when nothing is created. */
  get endpointIds(): Record<string, string> {
    const ids = (endpoints: VpcEndpoint) => TerraformIterator.fromResources(endpoints).forExpressionForMap("key", "val.id");
    return Token.asStringMap(Fn.merge([ids(this.interfaceEndpoints), ids(this.gatewayEndpoints)]));
  }

  /** The interface endpoints' security group id; "" when nothing is created. */
  get securityGroupId(): string {
    return Fn.try([Fn.lookupNested(this.securityGroup.fqn, ["0", "id"]), ""]);
  }
}

/** The VPC's IPv4 CIDR blocks, primary and secondary (the data source has `count`). */
function vpcCidrBlocks(vpc: DataAwsVpc): string[] {
  const associations = Token.asList(Fn.lookupNested(vpc.fqn, ["0", "cidr_block_associations"]));
  return Token.asList(TerraformIterator.fromList(associations).forExpressionForList("val.cidr_block"));
}

/** `value` when `list` is empty, else nothing: source security groups replace the VPC CIDR. */
function whenEmpty(list: string[], value: string[]): string[] {
  if (!isUnresolved(list)) return list.length === 0 ? value : [];
  return Token.asList(Fn.conditional(isNonEmpty(list), [], value));
}
