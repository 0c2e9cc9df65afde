import {
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeRouteTablesCommand,
  EC2Client,
  ReplaceRouteCommand,
} from "@aws-sdk/client-ec2";
import type { DescribeInstanceStatusCommandInput, DescribeRouteTablesCommandInput, ReplaceRouteCommandInput } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, describe, expect, it, vi } from "vitest";

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
});

import { ec2NatNetwork } from "../../../lambdas/nat-failover/adapters/ec2.js";
import type { NatNetwork } from "../../../lambdas/nat-failover/adapters/ec2.js";
import { NAT_FAILOVER_DEFAULTS } from "../../../contracts/nat-failover.js";
import { probeTimeoutFor } from "../../../lambdas/nat-failover/config.js";
import { NAT_A, NAT_B, ROUTE_TABLES_A, failoverBoundMs, measureFailover } from "../../helpers/nat-world.js";
import type { FailoverScenario, NatWorld } from "../../helpers/nat-world.js";

// Failure-to-ReplaceRoute time in simulated time: the real adapter on an EC2 client mocked with
// aws-sdk-client-mock, a probe double and an injected clock. The figures are exact consequences of
// the configuration (probe interval, failure threshold, probe timeout), never wall-clock measurements.

const ec2 = mockClient(EC2Client);
afterAll(() => ec2.restore());

/** Scripts the mocked EC2 API from the simulated world; ReplaceRoute changes the world. */
function sdkNetwork(world: NatWorld): NatNetwork {
  ec2.reset();
  ec2.on(DescribeInstancesCommand).callsFake(() => ({
    Reservations: [
      {
        Instances: [...world.instances.values()].map((i) => ({
          InstanceId: i.instanceId,
          State: { Name: i.state as never },
          Placement: { AvailabilityZone: i.az },
          SourceDestCheck: i.sourceDestCheck,
          LaunchTime: new Date(i.launchTime),
          NetworkInterfaces: [{ NetworkInterfaceId: i.eniId, Attachment: { DeviceIndex: 0 } }],
        })),
      },
    ],
  }));
  ec2.on(DescribeInstanceStatusCommand).callsFake((input: DescribeInstanceStatusCommandInput) => ({
    InstanceStatuses: (input.InstanceIds ?? []).map((InstanceId) => ({ InstanceId, InstanceStatus: { Status: "ok" }, SystemStatus: { Status: "ok" } })),
  }));
  ec2.on(DescribeRouteTablesCommand).callsFake((input: DescribeRouteTablesCommandInput) => ({
    RouteTables: (input.RouteTableIds ?? []).map((RouteTableId) => {
      const route = world.route(RouteTableId);
      return {
        RouteTableId,
        Routes: [
          { DestinationCidrBlock: "10.0.0.0/16", GatewayId: "local", State: "active" },
          { DestinationCidrBlock: "0.0.0.0/0", NetworkInterfaceId: route.target?.id, State: route.blackhole ? "blackhole" : "active" },
        ],
      };
    }),
  }));
  ec2.on(ReplaceRouteCommand).callsFake((input: ReplaceRouteCommandInput) => {
    world.replace(input.RouteTableId as string, input.NatGatewayId ? { kind: "nat-gateway", id: input.NatGatewayId } : { kind: "nat-instance", id: input.NetworkInterfaceId as string });
    return {};
  });
  return ec2NatNetwork(new EC2Client({ region: "eu-west-1", credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test" } }), "sr");
}

const INTERVAL_MS = NAT_FAILOVER_DEFAULTS.probeIntervalSeconds * 1_000;
const THRESHOLD = NAT_FAILOVER_DEFAULTS.failureThreshold;
const defaults: Omit<FailoverScenario, "failAt" | "failure"> = { probeIntervalMs: INTERVAL_MS, failureThreshold: THRESHOLD, network: sdkNetwork };

/** Failure times across a whole probe interval in the middle of an invocation, and across the minute boundary. */
const FAILURE_TIMES = [
  ...Array.from({ length: 20 }, (_, i) => 70_000 + i * (INTERVAL_MS / 20)),
  ...Array.from({ length: 16 }, (_, i) => 110_000 + i * 1_000),
];

describe("NAT failover timing (simulated clock, default settings)", () => {
  it("replaces the route of a NAT that stops forwarding within threshold x interval + probe timeout, wherever the failure falls", async () => {
    const bound = failoverBoundMs(INTERVAL_MS, THRESHOLD);
    const figures: number[] = [];
    for (const failAt of FAILURE_TIMES) {
      const { failureToReplaceMs, world } = await measureFailover({ ...defaults, failAt, failure: "drops-traffic" });
      expect(failureToReplaceMs, `failure at ${failAt} ms`).toBeDefined();
      figures.push(failureToReplaceMs as number);
      expect(world.replaceCalls.slice(0, 2).map((c) => [c.routeTableId, c.target.id])).toEqual(ROUTE_TABLES_A.map((t) => [t, NAT_B.eniId]));
    }
    const worst = Math.max(...figures);
    console.log(
      `NAT failover, NAT stops forwarding (interval ${INTERVAL_MS / 1000} s, threshold ${THRESHOLD}, probe timeout ${probeTimeoutFor(INTERVAL_MS) / 1000} s): ` +
        `failure -> ReplaceRoute ${(Math.min(...figures) / 1000).toFixed(1)}-${(worst / 1000).toFixed(1)} s over ${figures.length} failure times (bound ${bound / 1000} s)`,
    );
    expect(worst).toBeLessThanOrEqual(bound);
    // The bound is tight: some failure time needs nearly all of it.
    expect(worst).toBeGreaterThan(bound - INTERVAL_MS);
  });

  it("replaces the route within one probe interval of a NAT instance terminating, with no event", async () => {
    const figures: number[] = [];
    for (const failAt of FAILURE_TIMES) {
      const { failureToReplaceMs } = await measureFailover({ ...defaults, failAt, failure: "terminated" });
      figures.push(failureToReplaceMs as number);
    }
    console.log(`NAT failover, instance terminated, schedule only: failure -> ReplaceRoute at most ${Math.max(...figures) / 1000} s`);
    expect(Math.max(...figures)).toBeLessThanOrEqual(INTERVAL_MS);
  });

  it("replaces the route as soon as the EC2 state-change event's invocation runs", async () => {
    const { failureToReplaceMs } = await measureFailover({ ...defaults, failAt: 72_500, failure: "terminated", eventDelayMs: 500 });
    expect(failureToReplaceMs).toBe(500);
  });

  it("stays within (2 x threshold - 1) x interval + probe timeout when every minute starts in a cold environment", async () => {
    const bound = (2 * THRESHOLD - 1) * INTERVAL_MS + probeTimeoutFor(INTERVAL_MS);
    const figures: number[] = [];
    for (const failAt of FAILURE_TIMES) {
      const { failureToReplaceMs } = await measureFailover({ ...defaults, failAt, failure: "drops-traffic", coldStarts: true });
      figures.push(failureToReplaceMs as number);
    }
    console.log(`NAT failover, cold start every minute: failure -> ReplaceRoute at most ${Math.max(...figures) / 1000} s (bound ${bound / 1000} s)`);
    expect(Math.max(...figures)).toBeLessThanOrEqual(bound);
  });

  it("fails back to the home NAT one hold-down after abandoning it, once it forwards again, and stays there", async () => {
    const holdDownMs = 120_000;
    const { world } = await measureFailover({ ...defaults, holdDownMs, failAt: 70_000, repairAt: 100_000, failure: "drops-traffic", simulateMs: 400_000 });
    const [failover, , failback, ...rest] = world.replaceCalls;
    expect(failover.target.id).toBe(NAT_B.eniId);
    expect(failback.target.id).toBe(NAT_A.eniId);
    // The failover decision is taken when the third failed probe times out; the failback comes with the
    // first good round at least one hold-down later.
    expect(failback.at - failover.at).toBeGreaterThanOrEqual(holdDownMs);
    expect(failback.at - failover.at).toBeLessThan(holdDownMs + INTERVAL_MS);
    expect(rest.map((c) => c.target.id)).toEqual([NAT_A.eniId]);
  });
});
