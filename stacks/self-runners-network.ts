/**
 * The network part of {@link SelfRunners}: VPC endpoints, NAT instances and their failover functions.
 * A function, not a construct: the parts are created in the SelfRunners scope, so their construct ids
 * (the emitted module's resource addresses) stay what they were.
 */
import type { Construct } from "constructs";
import { Fn, Token } from "./cdktf.js";
import type { AwsContext } from "./aws-context.js";
import type { EncryptionKey } from "./encryption-key.js";
import type { ResolvedSelfRunnersProps } from "./module/props.js";
import { NatFailover } from "./nat-failover.js";
import { NatInstances } from "./nat-instance.js";
import { allOf, anyOf, listContains } from "./private/conditions.js";
import { VpcEndpoints } from "./vpc-endpoints.js";

/** What the network part needs from the rest of the kit. */
export interface SelfRunnersNetworkOptions {
  readonly resolved: ResolvedSelfRunnersProps;
  readonly context: AwsContext;
  readonly encryption: EncryptionKey;
  /** The shared layer of the failover functions. */
  readonly layerArn: string;
  /** The role path as it appears in an ARN (the NAT instance role's policy). */
  readonly rolePath: string;
  /** The kit's tags, with self-runners:prefix. */
  readonly tags: Record<string, string>;
}

export interface SelfRunnersNetwork {
  readonly endpoints: VpcEndpoints;
  readonly nat: NatInstances;
  readonly natFailover: NatFailover;
}

export function createSelfRunnersNetwork(scope: Construct, o: SelfRunnersNetworkOptions): SelfRunnersNetwork {
  const { resolved, context, tags } = o;
  const prefix = resolved.prefix;
  const createVpcEndpoints = resolved.createVpcEndpoints;
  const endpointServices = resolved.vpcEndpointServices;
  const endpoints = new VpcEndpoints(scope, "vpc-endpoints", {
    prefix,
    vpcId: resolved.vpcId,
    context,
    enabled: createVpcEndpoints,
    subnetIds: resolved.vpcEndpointSubnetIds,
    routeTableIds: resolved.vpcEndpointRouteTableIds,
    interfaceServices: endpointServices,
    gatewayServices: resolved.vpcEndpointGatewayServices,
    sourceSecurityGroupIds: resolved.vpcEndpointSourceSecurityGroupIds,
    tags,
  });

  const natEnabled = resolved.enableNatInstances;
  const natRouteTables = resolved.natPrivateRouteTableIds;
  const nat = new NatInstances(scope, "nat", {
    prefix,
    vpcId: resolved.vpcId,
    context,
    enabled: natEnabled,
    subnetIds: resolved.natInstanceSubnetIds,
    privateRouteTableIds: natRouteTables,
    instanceType: resolved.natInstanceType,
    iamPathInArn: o.rolePath,
    // The user's tags only: NAT instances must not carry self-runners:prefix, or the reconciler would reap them.
    tags: resolved.tags,
  });
  const ec2EndpointCreated = allOf([createVpcEndpoints, listContains(endpointServices, "ec2")]);
  const natFailover = new NatFailover(scope, "nat-failover", {
    prefix,
    vpcId: resolved.vpcId,
    context,
    enabled: natEnabled,
    zipPath: `${resolved.distDir}/lambdas/nat-failover.zip`,
    layerArn: o.layerArn,
    privateRouteTableIds: natRouteTables,
    probeSubnetIds: resolved.natProbeSubnetIds,
    standbyNatGatewayIds: resolved.natStandbyNatGatewayIds,
    probeTargets: resolved.natProbeUrls,
    probeIntervalSeconds: resolved.natProbeIntervalSeconds,
    failureThreshold: resolved.natFailureThreshold,
    failbackHoldDownSeconds: resolved.natFailbackHoldDownSeconds,
    ec2ApiReachable: anyOf(resolved.natFailoverExistingEc2Endpoint, ec2EndpointCreated),
    tracing: resolved.enableTracing,
    logRetentionDays: resolved.logRetentionDays,
    kmsKeyArn: o.encryption.kmsKeyArn,
    tags,
  });
  // The failover functions' environment is encrypted with the key, so their role must decrypt it.
  if (Token.isUnresolved(natEnabled) || natEnabled) {
    o.encryption.grantUse("nat-failover", { id: Fn.lookupNested(natFailover.role.fqn, ["0", "id"]) }, ["lambda"], natEnabled);
  }
  return { endpoints, nat, natFailover };
}
