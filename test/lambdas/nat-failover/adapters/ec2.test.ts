import {
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  EC2Client,
  ReplaceRouteCommand,
} from "@aws-sdk/client-ec2";
import type { Instance } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { NAT_TAG, ec2NatNetwork } from "../../../../lambdas/nat-failover/adapters/ec2.js";

const ec2 = mockClient(EC2Client);
const network = ec2NatNetwork(new EC2Client({ region: "eu-west-1", credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test" } }), "sr");
const LAUNCHED = new Date("2026-03-01T08:00:00Z");

function instance(id: string, az: string, state: string, overrides: Partial<Instance> = {}): Instance {
  return {
    InstanceId: id,
    State: { Name: state as never },
    Placement: { AvailabilityZone: az },
    SourceDestCheck: false,
    LaunchTime: LAUNCHED,
    NetworkInterfaces: [
      { NetworkInterfaceId: `eni-second-${id}`, Attachment: { DeviceIndex: 1 } },
      { NetworkInterfaceId: `eni-${id}`, Attachment: { DeviceIndex: 0 } },
    ],
    ...overrides,
  };
}

beforeEach(() => ec2.reset());
afterAll(() => ec2.restore());

describe("ec2NatNetwork.natInstances", () => {
  it("lists the kit's NAT instances of every AZ by tag, on every page, with their primary ENI and status checks", async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce({ Reservations: [{ Instances: [instance("i-1", "eu-west-1a", "running")] }], NextToken: "page-2" })
      .resolvesOnce({ Reservations: [{ Instances: [instance("i-2", "eu-west-1b", "stopping", { SourceDestCheck: true }), instance("i-3", "eu-west-1c", "running")] }] });
    ec2.on(DescribeInstanceStatusCommand).resolves({
      InstanceStatuses: [
        { InstanceId: "i-1", InstanceStatus: { Status: "ok" }, SystemStatus: { Status: "ok" } },
        { InstanceId: "i-3", InstanceStatus: { Status: "ok" }, SystemStatus: { Status: "impaired" } },
      ],
    });

    const instances = await network.natInstances();

    expect(instances).toEqual([
      { instanceId: "i-1", az: "eu-west-1a", eniId: "eni-i-1", state: "running", sourceDestCheck: false, statusChecks: "ok", launchTime: LAUNCHED.getTime() },
      { instanceId: "i-2", az: "eu-west-1b", eniId: "eni-i-2", state: "stopping", sourceDestCheck: true, statusChecks: "unknown", launchTime: LAUNCHED.getTime() },
      { instanceId: "i-3", az: "eu-west-1c", eniId: "eni-i-3", state: "running", sourceDestCheck: false, statusChecks: "impaired", launchTime: LAUNCHED.getTime() },
    ]);
    const calls = ec2.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input);
    expect(calls[0].Filters).toEqual([
      { Name: `tag:${NAT_TAG}`, Values: ["sr"] },
      { Name: "instance-state-name", Values: ["pending", "running", "stopping", "stopped", "shutting-down"] },
    ]);
    expect(calls[1].NextToken).toBe("page-2");
    // Status checks exist only for running instances, so only those are asked for.
    expect(ec2.commandCalls(DescribeInstanceStatusCommand)[0].args[0].input.InstanceIds).toEqual(["i-1", "i-3"]);
  });

  it("reports status checks still initializing, and asks for no status when nothing runs", async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [instance("i-4", "eu-west-1a", "pending")] }] });
    expect((await network.natInstances())[0]).toMatchObject({ state: "pending", statusChecks: "unknown" });
    expect(ec2.commandCalls(DescribeInstanceStatusCommand)).toHaveLength(0);

    ec2.reset();
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [instance("i-5", "eu-west-1a", "running")] }] });
    ec2.on(DescribeInstanceStatusCommand).resolves({ InstanceStatuses: [{ InstanceId: "i-5", InstanceStatus: { Status: "initializing" }, SystemStatus: { Status: "ok" } }] });
    expect((await network.natInstances())[0].statusChecks).toBe("initializing");
  });

  it("leaves out instances without a primary network interface", async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [instance("i-6", "eu-west-1a", "pending", { NetworkInterfaces: [] })] }] });
    expect(await network.natInstances()).toEqual([]);
  });
});

describe("ec2NatNetwork.defaultRoutes", () => {
  it("reads each table's 0.0.0.0/0 route in the order asked, whatever it points at", async () => {
    ec2.on(DescribeRouteTablesCommand).resolves({
      RouteTables: [
        { RouteTableId: "rtb-3", Routes: [{ DestinationCidrBlock: "10.0.0.0/16", GatewayId: "local" }] },
        { RouteTableId: "rtb-2", Routes: [{ DestinationCidrBlock: "0.0.0.0/0", NatGatewayId: "nat-1", State: "active" }] },
        { RouteTableId: "rtb-1", Routes: [{ DestinationCidrBlock: "0.0.0.0/0", NetworkInterfaceId: "eni-1", InstanceId: "i-1", State: "blackhole" }] },
        { RouteTableId: "rtb-4", Routes: [{ DestinationCidrBlock: "0.0.0.0/0", GatewayId: "igw-1", State: "active" }] },
      ],
    });

    const routes = await network.defaultRoutes(["rtb-1", "rtb-2", "rtb-3", "rtb-4"]);

    expect(routes).toEqual([
      { routeTableId: "rtb-1", target: { kind: "nat-instance", id: "eni-1" }, blackhole: true },
      { routeTableId: "rtb-2", target: { kind: "nat-gateway", id: "nat-1" }, blackhole: false },
      { routeTableId: "rtb-3", target: undefined, blackhole: false },
      { routeTableId: "rtb-4", target: { kind: "other", id: "igw-1" }, blackhole: false },
    ]);
    expect(ec2.commandCalls(DescribeRouteTablesCommand)[0].args[0].input).toEqual({ RouteTableIds: ["rtb-1", "rtb-2", "rtb-3", "rtb-4"] });
  });
});

describe("ec2NatNetwork.natGateway", () => {
  it("reads the gateway's state, and nothing when EC2 does not know it", async () => {
    ec2.on(DescribeNatGatewaysCommand, { NatGatewayIds: ["nat-1"] }).resolves({ NatGateways: [{ NatGatewayId: "nat-1", State: "available" }] });
    ec2.on(DescribeNatGatewaysCommand, { NatGatewayIds: ["nat-2"] }).resolves({ NatGateways: [] });
    expect(await network.natGateway("nat-1")).toEqual({ natGatewayId: "nat-1", state: "available" });
    expect(await network.natGateway("nat-2")).toBeUndefined();
  });
});

describe("ec2NatNetwork.replaceDefaultRoute", () => {
  it("points the table's 0.0.0.0/0 route at a NAT instance's ENI or at a NAT Gateway", async () => {
    ec2.on(ReplaceRouteCommand).resolves({});
    await network.replaceDefaultRoute("rtb-1", { kind: "nat-instance", id: "eni-2" });
    await network.replaceDefaultRoute("rtb-2", { kind: "nat-gateway", id: "nat-1" });
    expect(ec2.commandCalls(ReplaceRouteCommand).map((c) => c.args[0].input)).toEqual([
      { RouteTableId: "rtb-1", DestinationCidrBlock: "0.0.0.0/0", NetworkInterfaceId: "eni-2" },
      { RouteTableId: "rtb-2", DestinationCidrBlock: "0.0.0.0/0", NatGatewayId: "nat-1" },
    ]);
  });

  it("fails when EC2 refuses the change", async () => {
    ec2.on(ReplaceRouteCommand).rejects(Object.assign(new Error("not authorized"), { name: "UnauthorizedOperation" }));
    await expect(network.replaceDefaultRoute("rtb-1", { kind: "nat-instance", id: "eni-2" })).rejects.toThrow("not authorized");
  });
});
