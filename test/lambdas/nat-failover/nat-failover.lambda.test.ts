import { createServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";
import {
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeRouteTablesCommand,
  EC2Client,
  ReplaceRouteCommand,
} from "@aws-sdk/client-ec2";
import type { EventBridgeEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

const probeTarget = vi.hoisted(() => {
  process.env.AWS_REGION = "eu-west-1";
  process.env.AWS_ACCESS_KEY_ID = "AKIDTEST";
  process.env.AWS_SECRET_ACCESS_KEY = "test";
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
  process.env.PREFIX = "sr";
  process.env.AZ = "eu-west-1a";
  process.env.ROUTE_TABLE_IDS = '["rtb-0aaaaaaaaaaaaaaa1","rtb-0aaaaaaaaaaaaaaa2"]';
  process.env.NAT_PROBE_INTERVAL_SECONDS = "5";
  process.env.NAT_FAILURE_THRESHOLD = "3";
  process.env.NAT_FAILBACK_HOLD_DOWN_SECONDS = "300";
  // One round per scheduled invocation: the next would start after the 1-second loop.
  process.env.LOOP_SECONDS = "1";
  return { port: 0 };
});

import { handler } from "../../../lambdas/nat-failover/nat-failover.lambda.js";
import { lambdaContext } from "../../helpers/aws.js";

const ec2 = mockClient(EC2Client);
const ENI_A = "eni-0aaaaaaaaaaaaaaa1";
const ENI_B = "eni-0bbbbbbbbbbbbbbb1";
let listener: Server;

function natInstance(id: string, az: string, eni: string) {
  return { InstanceId: id, State: { Name: "running" as const }, Placement: { AvailabilityZone: az }, SourceDestCheck: false, LaunchTime: new Date(0), NetworkInterfaces: [{ NetworkInterfaceId: eni, Attachment: { DeviceIndex: 0 } }] };
}

function event(detailType: string, detail: Record<string, string> = {}): EventBridgeEvent<string, Record<string, string>> {
  return { version: "0", id: "e-1", "detail-type": detailType, source: detailType === "Scheduled Event" ? "aws.events" : "aws.ec2", account: "123456789012", time: "2026-03-02T10:00:00Z", region: "eu-west-1", resources: [], detail };
}

beforeAll(async () => {
  // The probe target: a loopback TCP listener stands in for the internet.
  listener = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  probeTarget.port = (listener.address() as AddressInfo).port;
  process.env.NAT_PROBE_URLS = JSON.stringify([`tcp://127.0.0.1:${probeTarget.port}`]);
});

afterAll(async () => {
  ec2.restore();
  await new Promise<void>((resolve) => listener.close(() => resolve()));
});

beforeEach(() => {
  ec2.reset();
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [natInstance("i-0aaaaaaaaaaaaaaa1", "eu-west-1a", ENI_A), natInstance("i-0bbbbbbbbbbbbbbb1", "eu-west-1b", ENI_B)] }] });
  ec2.on(DescribeInstanceStatusCommand).resolves({ InstanceStatuses: [] });
  ec2.on(DescribeRouteTablesCommand).resolves({
    RouteTables: ["rtb-0aaaaaaaaaaaaaaa1", "rtb-0aaaaaaaaaaaaaaa2"].map((RouteTableId) => ({ RouteTableId, Routes: [{ DestinationCidrBlock: "0.0.0.0/0", NetworkInterfaceId: ENI_A, State: "active" as const }] })),
  });
  ec2.on(ReplaceRouteCommand).resolves({});
});

describe("nat-failover handler", () => {
  it("probes on the schedule and leaves healthy routes alone", async () => {
    const summary = await handler(event("Scheduled Event"), lambdaContext("sr-nat-failover-eu-west-1a"));
    expect(summary).toEqual({ rounds: 1, replaced: 0, errors: 0, verdict: "healthy" });
    expect(ec2.commandCalls(ReplaceRouteCommand)).toHaveLength(0);
  });

  it("ignores another instance's state change without calling EC2", async () => {
    const summary = await handler(event("EC2 Instance State-change Notification", { "instance-id": "i-0123456789abcdef0", state: "terminated" }), lambdaContext());
    expect(summary).toBe("ignored");
    expect(ec2.calls()).toHaveLength(0);
  });

  it("ignores a NAT instance's state changes that do not stop it", async () => {
    expect(await handler(event("EC2 Instance State-change Notification", { "instance-id": "i-0aaaaaaaaaaaaaaa1", state: "running" }), lambdaContext())).toBe("ignored");
    expect(ec2.calls()).toHaveLength(0);
  });

  it("moves the AZ's routes to the other AZ's NAT at once when its NAT instance is stopping", async () => {
    const summary = await handler(event("EC2 Instance State-change Notification", { "instance-id": "i-0aaaaaaaaaaaaaaa1", state: "stopping" }), lambdaContext());
    expect(summary).toEqual({ verdict: "failover", replaced: 2, errors: 0 });
    expect(ec2.commandCalls(ReplaceRouteCommand).map((c) => c.args[0].input)).toEqual([
      { RouteTableId: "rtb-0aaaaaaaaaaaaaaa1", DestinationCidrBlock: "0.0.0.0/0", NetworkInterfaceId: ENI_B },
      { RouteTableId: "rtb-0aaaaaaaaaaaaaaa2", DestinationCidrBlock: "0.0.0.0/0", NetworkInterfaceId: ENI_B },
    ]);
  });
});
