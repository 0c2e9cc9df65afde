// SelfRunners props of the network: VPC endpoints and NAT instances (stacks/module/inputs-network.ts).
// Each prop is the camelCase of its Terraform variable; defaults and rules live in the input table.

/** VPC endpoints for private subnets (docs/networking.md). */
export interface VpcEndpointProps {
  /**
   * Create VPC endpoints (see {@link VpcEndpoints}) so functions and runners in private subnets reach
   * the AWS APIs without internet egress.
   * @default false
   */
  readonly createVpcEndpoints?: boolean;
  /**
   * Subnets for the interface endpoints, at most one per AZ.
   * @default []
   */
  readonly vpcEndpointSubnetIds?: string[];
  /**
   * Route tables that get the gateway endpoints (the private subnets' tables).
   * @default []
   */
  readonly vpcEndpointRouteTableIds?: string[];
  /**
   * Services reached through interface endpoints.
   * @default ["sqs", "ssm", "ec2", "logs", "sts", "kms"]
   */
  readonly vpcEndpointServices?: string[];
  /**
   * Services reached through gateway endpoints: `dynamodb` and/or `s3` (the runner binaries bucket).
   * @default ["dynamodb", "s3"]
   */
  readonly vpcEndpointGatewayServices?: string[];
  /**
   * Security groups allowed to reach the interface endpoints; empty allows the VPC's CIDR blocks.
   * @default []
   */
  readonly vpcEndpointSourceSecurityGroupIds?: string[];
}

/** NAT instances with per-AZ failover (docs/networking.md). */
export interface NatProps {
  /**
   * Egress through one NAT instance per AZ (see {@link NatInstances}) with per-AZ failover functions
   * (see {@link NatFailover}) instead of NAT Gateways.
   * @default false
   */
  readonly enableNatInstances?: boolean;
  /**
   * Public subnet per AZ for the NAT instances, keyed by AZ name.
   * @default {}
   */
  readonly natInstanceSubnetIds?: Record<string, string>;
  /**
   * Private route tables per AZ whose 0.0.0.0/0 route goes through that AZ's NAT instance.
   * @default {}
   */
  readonly natPrivateRouteTableIds?: Record<string, string[]>;
  /**
   * A private subnet per AZ (using one of that AZ's route tables) for the AZ's failover function.
   * @default {}
   */
  readonly natProbeSubnetIds?: Record<string, string>;
  /**
   * Instance type of the NAT instances.
   * @default "c6gn.medium"
   */
  readonly natInstanceType?: string;
  /**
   * A standby NAT Gateway per AZ, preferred over another AZ's NAT instance on failover.
   * @default {}
   */
  readonly natStandbyNatGatewayIds?: Record<string, string>;
  /**
   * Targets the failover probes: https://host[/path] or tcp://host:port.
   * @default ["https://api.github.com", "https://checkip.amazonaws.com"]
   */
  readonly natProbeUrls?: string[];
  /**
   * Seconds between probe rounds.
   * @default 5
   */
  readonly natProbeIntervalSeconds?: number;
  /**
   * Failed probe rounds in a row that trigger a failover.
   * @default 3
   */
  readonly natFailureThreshold?: number;
  /**
   * Seconds the home NAT must be usable before routes return to it.
   * @default 300
   */
  readonly natFailbackHoldDownSeconds?: number;
  /**
   * The VPC already has an EC2 interface endpoint with private DNS (the failover needs the EC2 API
   * while a NAT is down; otherwise create it with `createVpcEndpoints` and "ec2" in the services).
   * @default false
   */
  readonly natFailoverExistingEc2Endpoint?: boolean;
}
