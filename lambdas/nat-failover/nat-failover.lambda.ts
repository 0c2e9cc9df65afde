/**
 * NAT failover for one availability zone (one function per AZ, in that AZ's private subnets).
 * Triggers: an EventBridge schedule every minute (probes in a loop for about a minute) and EC2
 *           state-change events (stopping, stopped, shutting-down, terminated: one immediate round).
 * Reads:    EC2 DescribeInstances + DescribeInstanceStatus (instances tagged self-runners:nat=PREFIX),
 *           DescribeRouteTables (ROUTE_TABLE_IDS), DescribeNatGateways (STANDBY_NAT_GATEWAY_ID);
 *           HTTPS/TCP probes to NAT_PROBE_URLS through the AZ's current egress path.
 * Writes:   EC2 ReplaceRoute of the 0.0.0.0/0 route of ROUTE_TABLE_IDS only.
 */
import { EC2Client } from "@aws-sdk/client-ec2";
import type { Context, EventBridgeEvent } from "aws-lambda";
import { flushMetrics, logger, traced } from "../shared/index.js";
import { ec2NatNetwork } from "./adapters/ec2.js";
import { egressProbe } from "./adapters/probe.js";
import { natFailoverConfigFromEnv } from "./config.js";
import { newMemory, onStateChange, runLoop, systemClock } from "./failover.js";
import type { FailoverDeps, LoopSummary, RoundSummary } from "./failover.js";

// Built here, in the handler's own bundle (see the other handlers): commands check `instanceof` their client.
const ec2Client = traced(new EC2Client({}));

export const STATE_CHANGE = "EC2 Instance State-change Notification";
/** Time left for the last round's ReplaceRoute calls before Lambda's timeout. */
const SAFETY_MARGIN_MS = 5_000;

let loaded: { readonly deps: FailoverDeps; readonly loopMs: number } | undefined;
// Kept for the life of the execution environment: failure counts and hold-down clocks carry over
// between warm invocations; a cold start forgets them, which can only delay a failback.
const memory = newMemory();

function load(): { deps: FailoverDeps; loopMs: number } {
  const config = natFailoverConfigFromEnv();
  const deps: FailoverDeps = {
    policy: { az: config.az, failureThreshold: config.failureThreshold, holdDownMs: config.holdDownMs, standbyNatGatewayId: config.standbyNatGatewayId },
    routeTableIds: config.routeTableIds,
    probeIntervalMs: config.probeIntervalMs,
    probeTimeoutMs: config.probeTimeoutMs,
    network: ec2NatNetwork(ec2Client, config.prefix),
    probe: egressProbe(config.probeTargets, config.probeTimeoutMs),
    clock: systemClock,
  };
  return { deps, loopMs: config.loopMs };
}

type StateChangeDetail = { "instance-id"?: string; state?: string };

export async function handler(event: EventBridgeEvent<string, StateChangeDetail>, context: Context): Promise<LoopSummary | RoundSummary | "ignored"> {
  logger.addContext(context);
  try {
    loaded ??= load();
    const { deps, loopMs } = loaded;
    if (event["detail-type"] === STATE_CHANGE) {
      return await onStateChange(deps, memory, event.detail["instance-id"] ?? "", event.detail.state ?? "");
    }
    const now = deps.clock.now();
    const deadline = Math.min(now + loopMs, now + context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS);
    return await runLoop(deps, memory, deadline);
  } finally {
    flushMetrics();
  }
}
