import {
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  ReplaceRouteCommand,
} from "@aws-sdk/client-ec2";
import type { EC2Client, Instance, InstanceStatus, Route } from "@aws-sdk/client-ec2";
import type { NatInstanceView, RouteTarget, RouteView, StandbyGatewayView } from "../decide.js";

/** The tag every NAT instance carries (value: the kit's prefix); docs/contracts.md. */
export const NAT_TAG = "self-runners:nat";
export const DEFAULT_ROUTE = "0.0.0.0/0";
/** Terminated instances are left out: their ENI is gone and the route shows `blackhole`. */
const LISTED_STATES = ["pending", "running", "stopping", "stopped", "shutting-down"];

/** What the failover reads from and writes to EC2. */
export interface NatNetwork {
  /** Every NAT instance of this kit (all AZs), with its status checks. */
  natInstances(): Promise<NatInstanceView[]>;
  /** The default route of each table, in the order given. */
  defaultRoutes(routeTableIds: readonly string[]): Promise<RouteView[]>;
  /** The gateway's state; undefined when EC2 does not know it. */
  natGateway(natGatewayId: string): Promise<StandbyGatewayView | undefined>;
  /** ReplaceRoute of the table's 0.0.0.0/0 route to the target (an ENI or a NAT Gateway). */
  replaceDefaultRoute(routeTableId: string, target: RouteTarget): Promise<void>;
}

export function ec2NatNetwork(client: EC2Client, prefix: string): NatNetwork {
  return {
    async natInstances() {
      const instances: Instance[] = [];
      let NextToken: string | undefined;
      do {
        const page = await client.send(
          new DescribeInstancesCommand({
            Filters: [
              { Name: `tag:${NAT_TAG}`, Values: [prefix] },
              { Name: "instance-state-name", Values: LISTED_STATES },
            ],
            NextToken,
          }),
        );
        for (const reservation of page.Reservations ?? []) instances.push(...(reservation.Instances ?? []));
        NextToken = page.NextToken;
      } while (NextToken);
      const running = instances.filter((i) => i.State?.Name === "running" && i.InstanceId).map((i) => i.InstanceId as string);
      const statuses = new Map<string, InstanceStatus>();
      if (running.length > 0) {
        const answer = await client.send(new DescribeInstanceStatusCommand({ InstanceIds: running }));
        for (const status of answer.InstanceStatuses ?? []) if (status.InstanceId) statuses.set(status.InstanceId, status);
      }
      return instances.flatMap((i) => {
        const eniId = i.NetworkInterfaces?.find((n) => n.Attachment?.DeviceIndex === 0)?.NetworkInterfaceId;
        if (!i.InstanceId || !eniId || !i.Placement?.AvailabilityZone) return [];
        return [
          {
            instanceId: i.InstanceId,
            az: i.Placement.AvailabilityZone,
            eniId,
            state: i.State?.Name ?? "unknown",
            sourceDestCheck: i.SourceDestCheck !== false,
            statusChecks: statusChecks(statuses.get(i.InstanceId)),
            launchTime: i.LaunchTime?.getTime() ?? 0,
          },
        ];
      });
    },

    async defaultRoutes(routeTableIds) {
      const answer = await client.send(new DescribeRouteTablesCommand({ RouteTableIds: [...routeTableIds] }));
      const tables = new Map((answer.RouteTables ?? []).map((t) => [t.RouteTableId, t]));
      return routeTableIds.map((routeTableId) => {
        const route = tables.get(routeTableId)?.Routes?.find((r) => r.DestinationCidrBlock === DEFAULT_ROUTE);
        return { routeTableId, target: route && routeTarget(route), blackhole: route?.State === "blackhole" };
      });
    },

    async natGateway(natGatewayId) {
      const answer = await client.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [natGatewayId] }));
      const gateway = answer.NatGateways?.[0];
      return gateway?.State ? { natGatewayId, state: gateway.State } : undefined;
    },

    async replaceDefaultRoute(routeTableId, target) {
      await client.send(
        new ReplaceRouteCommand({
          RouteTableId: routeTableId,
          DestinationCidrBlock: DEFAULT_ROUTE,
          ...(target.kind === "nat-gateway" ? { NatGatewayId: target.id } : { NetworkInterfaceId: target.id }),
        }),
      );
    },
  };
}

function routeTarget(route: Route): RouteTarget {
  if (route.NetworkInterfaceId) return { kind: "nat-instance", id: route.NetworkInterfaceId };
  if (route.NatGatewayId) return { kind: "nat-gateway", id: route.NatGatewayId };
  const other = route.GatewayId ?? route.TransitGatewayId ?? route.VpcPeeringConnectionId ?? route.InstanceId ?? route.LocalGatewayId ?? "unknown";
  return { kind: "other", id: other };
}

function statusChecks(status: InstanceStatus | undefined): NatInstanceView["statusChecks"] {
  const values = [status?.InstanceStatus?.Status, status?.SystemStatus?.Status];
  if (values.includes("impaired")) return "impaired";
  if (values.every((v) => v === "ok")) return "ok";
  if (values.includes("initializing")) return "initializing";
  return "unknown";
}
