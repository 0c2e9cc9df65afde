import { createServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";
import type { Context, EventBridgeEvent } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LoopbackAws } from "../../helpers/loopback-aws.js";
import { loadShippedHandler } from "../../helpers/shipped-zip.js";
import { NAT_FAILOVER_ENV } from "../../../contracts/nat-failover.js";
import { sampleEnv } from "../../helpers/contracts.js";

// Drives dist/lambdas/nat-failover.zip (with the shared layer) as deployed: EventBridge events in,
// the real EC2 client inside the zip speaking the EC2 query protocol to a loopback endpoint, and the
// egress probe against a loopback TCP listener.

type Handler = (event: EventBridgeEvent<string, Record<string, string>>, context: Context) => Promise<unknown>;

const EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/";
const ENI_A = "eni-0aaaaaaaaaaaaaaa1";
const ENI_B = "eni-0bbbbbbbbbbbbbbb1";
const TABLES = ["rtb-0aaaaaaaaaaaaaaa1", "rtb-0aaaaaaaaaaaaaaa2"];
const context = { functionName: "sr-nat-failover-eu-west-1a", awsRequestId: "req-1", getRemainingTimeInMillis: () => 70_000 } as unknown as Context;

let routeTarget = ENI_A;

function instanceXml(id: string, az: string, eni: string): string {
  return `<item><instanceId>${id}</instanceId><instanceState><code>16</code><name>running</name></instanceState><placement><availabilityZone>${az}</availabilityZone></placement><sourceDestCheck>false</sourceDestCheck><launchTime>2026-03-01T08:00:00.000Z</launchTime><networkInterfaceSet><item><networkInterfaceId>${eni}</networkInterfaceId><attachment><deviceIndex>0</deviceIndex></attachment></item></networkInterfaceSet></item>`;
}

const aws = new LoopbackAws()
  .on(
    "EC2.DescribeInstances",
    () =>
      `<DescribeInstancesResponse xmlns="${EC2_NS}"><requestId>r</requestId><reservationSet><item><reservationId>r-1</reservationId><instancesSet>${instanceXml("i-0aaaaaaaaaaaaaaa1", "eu-west-1a", ENI_A)}${instanceXml("i-0bbbbbbbbbbbbbbb1", "eu-west-1b", ENI_B)}</instancesSet></item></reservationSet></DescribeInstancesResponse>`,
  )
  .on(
    "EC2.DescribeInstanceStatus",
    () =>
      `<DescribeInstanceStatusResponse xmlns="${EC2_NS}"><requestId>r</requestId><instanceStatusSet>${["i-0aaaaaaaaaaaaaaa1", "i-0bbbbbbbbbbbbbbb1"].map((id) => `<item><instanceId>${id}</instanceId><instanceStatus><status>ok</status></instanceStatus><systemStatus><status>ok</status></systemStatus></item>`).join("")}</instanceStatusSet></DescribeInstanceStatusResponse>`,
  )
  .on(
    "EC2.DescribeRouteTables",
    () =>
      `<DescribeRouteTablesResponse xmlns="${EC2_NS}"><requestId>r</requestId><routeTableSet>${TABLES.map((t) => `<item><routeTableId>${t}</routeTableId><routeSet><item><destinationCidrBlock>0.0.0.0/0</destinationCidrBlock><networkInterfaceId>${routeTarget}</networkInterfaceId><state>active</state></item></routeSet></item>`).join("")}</routeTableSet></DescribeRouteTablesResponse>`,
  )
  .on("EC2.ReplaceRoute", () => `<ReplaceRouteResponse xmlns="${EC2_NS}"><requestId>r</requestId><return>true</return></ReplaceRouteResponse>`);

let handler: Handler;
let listener: Server;

function event(detailType: string, detail: Record<string, string> = {}): EventBridgeEvent<string, Record<string, string>> {
  return { version: "0", id: "e-1", "detail-type": detailType, source: "aws.ec2", account: "123456789012", time: "2026-03-02T10:00:00Z", region: "eu-west-1", resources: [], detail };
}

beforeAll(async () => {
  listener = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const endpoint = await aws.start();
  handler = loadShippedHandler<Handler>("nat-failover", sampleEnv(NAT_FAILOVER_ENV, {
    AWS_ENDPOINT_URL: endpoint,
    PREFIX: "sr",
    AZ: "eu-west-1a",
    ROUTE_TABLE_IDS: JSON.stringify(TABLES),
    NAT_PROBE_URLS: JSON.stringify([`tcp://127.0.0.1:${(listener.address() as AddressInfo).port}`]),
    NAT_PROBE_INTERVAL_SECONDS: "2",
    LOOP_SECONDS: "1",
    POWERTOOLS_METRICS_DISABLED: "true",
  }));
});

afterEach(() => {
  aws.calls.length = 0;
  routeTarget = ENI_A;
});

afterAll(async () => {
  await aws.stop();
  await new Promise<void>((resolve) => listener.close(() => resolve()));
});

describe("the shipped nat-failover zip", () => {
  it("probes on the schedule, reads the kit's NAT instances by tag and changes nothing while egress works", async () => {
    expect(await handler(event("Scheduled Event"), context)).toEqual({ rounds: 1, replaced: 0, errors: 0, verdict: "healthy" });
    const describe = aws.inputsOf("EC2.DescribeInstances")[0];
    expect(describe).toMatchObject({ "Filter.1.Name": "tag:self-runners:nat", "Filter.1.Value.1": "sr", "Filter.2.Name": "instance-state-name" });
    expect(aws.inputsOf("EC2.DescribeRouteTables")[0]).toMatchObject({ "RouteTableId.1": TABLES[0], "RouteTableId.2": TABLES[1] });
    expect(aws.inputsOf("EC2.ReplaceRoute")).toEqual([]);
  });

  it("points both route tables at the other AZ's NAT instance when a state-change event reports its NAT stopping", async () => {
    const summary = await handler(event("EC2 Instance State-change Notification", { "instance-id": "i-0aaaaaaaaaaaaaaa1", state: "stopping" }), context);
    expect(summary).toEqual({ verdict: "failover", replaced: 2, errors: 0 });
    expect(aws.inputsOf("EC2.ReplaceRoute").map((i) => [i.RouteTableId, i.DestinationCidrBlock, i.NetworkInterfaceId]).sort()).toEqual(TABLES.map((t) => [t, "0.0.0.0/0", ENI_B]));
  });
});
