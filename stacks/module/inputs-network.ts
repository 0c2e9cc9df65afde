/** The networking inputs of the input table (./inputs.ts): VPC endpoints and NAT instances. */
import { RULES } from "../errors.js";
import { nonEmptyList } from "./rules.js";
import { azMapOf, pattern, type InputGroup } from "./input-spec.js";
import { SHARED_INPUTS } from "./shared-rules.js";

export const ENDPOINTS: InputGroup = {
  title: "VPC endpoints",
  inputs: [
    {
      name: "create_vpc_endpoints", type: "bool", default: false,
      description: "Create VPC endpoints so the functions and runners in private subnets reach the AWS APIs without internet egress: interface endpoints (private DNS on) for vpc_endpoint_services and gateway endpoints for vpc_endpoint_gateway_services. Only GitHub then needs egress.",
    },
    {
      name: "vpc_endpoint_subnet_ids", type: "list(string)", default: SHARED_INPUTS.vpcEndpointSubnetIds.default,
      description: "Subnets for the interface endpoints, at most one per AZ (usually the private subnets of the functions and runners). Required when create_vpc_endpoints is true.",
      rules: [SHARED_INPUTS.vpcEndpointSubnetIds.rule],
    },
    {
      name: "vpc_endpoint_route_table_ids", type: "list(string)", default: SHARED_INPUTS.vpcEndpointRouteTableIds.default,
      description: "Route tables of the private subnets; they get the gateway endpoints' routes. Empty creates no gateway endpoint.",
      rules: [SHARED_INPUTS.vpcEndpointRouteTableIds.rule],
    },
    {
      name: "vpc_endpoint_services", type: "list(string)", default: SHARED_INPUTS.vpcEndpointServices.default,
      description: "Services reached through interface endpoints (com.amazonaws.<region>.<service>): sqs (webhook), ssm (secrets, Session Manager), ec2 (scale-up, reconcile, NAT failover), logs, sts and kms (jobs and SDKs). Each costs about $0.01 per AZ-hour; add ssmmessages and ec2messages for Session Manager shells.",
      rules: [SHARED_INPUTS.vpcEndpointServices.rule],
    },
    {
      name: "vpc_endpoint_gateway_services", type: "list(string)", default: SHARED_INPUTS.vpcEndpointGatewayServices.default,
      description: "Services reached through (free) gateway endpoints on vpc_endpoint_route_table_ids: dynamodb (the runners table) and/or s3 (the runner binaries bucket every runner downloads from at boot, package repositories, ECR layers).",
      rules: [SHARED_INPUTS.vpcEndpointGatewayServices.rule],
    },
    {
      name: "vpc_endpoint_source_security_group_ids", type: "list(string)", default: SHARED_INPUTS.vpcEndpointSourceSecurityGroupIds.default,
      description: "Security groups allowed to connect (HTTPS) to the interface endpoints. Empty allows the VPC's CIDR blocks.",
      rules: [SHARED_INPUTS.vpcEndpointSourceSecurityGroupIds.rule],
    },
  ],
};

export const NAT: InputGroup = {
  title: "NAT instances",
  inputs: [
    {
      name: "enable_nat_instances", type: "bool", default: false, replaces: "nat_instance_enabled",
      description: "Give the private subnets egress through one NAT instance per AZ (Auto Scaling group of one) instead of NAT Gateways, with a failover function per AZ that moves the AZ's default routes to a healthy NAT within seconds and back after a hold-down. Needs the EC2 API reachable without NAT (create_vpc_endpoints with \"ec2\", or nat_failover_existing_ec2_endpoint).",
    },
    {
      name: "nat_instance_subnet_ids", type: "map(string)", default: {},
      description: "Public subnet per AZ for the NAT instances, keyed by AZ name, e.g. { \"eu-west-1a\" = \"subnet-...\" }: one NAT instance each.",
      rules: [azMapOf(pattern(RULES.subnetId), "a public subnet")],
    },
    {
      name: "nat_private_route_table_ids", type: "map(list(string))", default: {},
      description: "Private route tables per AZ, keyed by AZ name, e.g. { \"eu-west-1a\" = [\"rtb-...\"] }. Their 0.0.0.0/0 route goes through that AZ's NAT instance: the instance creates it at boot when missing (or replaces it when dead), the failover function moves it. Every AZ here needs an entry in nat_instance_subnet_ids and nat_probe_subnet_ids.",
      rules: [azMapOf(nonEmptyList(pattern(RULES.routeTableId)), "lists of route tables")],
    },
    {
      name: "nat_probe_subnet_ids", type: "map(string)", default: {},
      description: "A private subnet per AZ, keyed by AZ name, whose route table is one of that AZ's nat_private_route_table_ids: the AZ's failover function runs there, so its probes take the AZ's egress path.",
      rules: [azMapOf(pattern(RULES.subnetId), "a private subnet")],
    },
    {
      name: "nat_instance_type", type: "string", default: SHARED_INPUTS.natInstanceType.default,
      description: "Instance type of the NAT instances. Default c6gn.medium: Graviton, network-optimised, 1.6 Gbps sustained (bursts to 16 Gbps) for about a NAT Gateway's hourly price; a t4g.nano sustains only ~32 Mbps, too little for container pulls and package downloads. The AMI (Amazon Linux 2023) follows the type's architecture.",
      rules: [SHARED_INPUTS.natInstanceType.rule],
    },
    {
      name: "nat_standby_nat_gateway_ids", type: "map(string)", default: {},
      description: "Optional NAT Gateway per AZ, keyed by AZ name, that the failover prefers over another AZ's NAT instance (it keeps traffic in the AZ, at NAT Gateway prices while in use).",
      rules: [azMapOf(pattern(RULES.natGatewayId), "a NAT Gateway")],
    },
    {
      name: "nat_probe_urls", type: "list(string)", default: SHARED_INPUTS.natProbeUrls.default,
      description: "What the failover probes from each AZ: https://host[/path] (any HTTP answer counts) or tcp://host:port. A probe round fails only when none answers, so one target's outage is not a NAT failure.",
      rules: [SHARED_INPUTS.natProbeUrls.rule],
    },
    {
      name: "nat_probe_interval_seconds", type: "number", default: SHARED_INPUTS.natProbeIntervalSeconds.default,
      description: "Seconds between probe rounds; each probe times out after min(3, interval - 1) s. Worst-case detection of a NAT that stops forwarding: nat_failure_threshold x interval + timeout (18 s by default).",
      rules: [SHARED_INPUTS.natProbeIntervalSeconds.rule],
    },
    {
      name: "nat_failure_threshold", type: "number", default: SHARED_INPUTS.natFailureThreshold.default,
      description: "Failed probe rounds in a row that count as loss of egress. A stopped or terminated NAT instance is acted on at once, without probes.",
      rules: [SHARED_INPUTS.natFailureThreshold.rule],
    },
    {
      name: "nat_failback_hold_down_seconds", type: "number", default: SHARED_INPUTS.natFailbackHoldDownSeconds.default,
      description: "Seconds the AZ's own NAT instance must be healthy (and, after failed probes, seconds since it was abandoned) before its routes return to it: at most one failover/failback cycle per period.",
      rules: [SHARED_INPUTS.natFailbackHoldDownSeconds.rule],
    },
    {
      name: "nat_failover_existing_ec2_endpoint", type: "bool", default: false,
      description: "Set true when the VPC already has an EC2 interface endpoint with private DNS. The failover must reach the EC2 API while a NAT is down; without this or create_vpc_endpoints with \"ec2\", enable_nat_instances is refused.",
    },
  ],
};
