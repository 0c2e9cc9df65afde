import { POWERTOOLS_ENV } from "./common.js";
import { integer, json, optional, required, string, tunable } from "./env.js";

/**
 * Defaults of the NAT failover settings, declared once: the Terraform inputs' defaults
 * (stacks/module/shared-rules.ts) and the settings bench/nat-failover.ts and its tests measure.
 */
export const NAT_FAILOVER_DEFAULTS = {
  probeUrls: ["https://api.github.com", "https://checkip.amazonaws.com"],
  probeIntervalSeconds: 5,
  failureThreshold: 3,
  failbackHoldDownSeconds: 300,
};

/** The environment of one AZ's NAT failover function (lambdas/nat-failover, stacks/nat-failover.ts). */
export const NAT_FAILOVER_ENV = {
  ...POWERTOOLS_ENV,
  prefix: required("PREFIX", string, "NAT instances are found by the tag `self-runners:nat` = PREFIX", "sr"),
  az: required("AZ", string, "the availability zone whose route tables this function manages", "eu-west-1a"),
  routeTableIds: required("ROUTE_TABLE_IDS", json({ kind: "strings" }), "that AZ's private route tables (the only ones it may `ReplaceRoute`)", '["rtb-1"]'),
  standbyNatGatewayId: optional("STANDBY_NAT_GATEWAY_ID", string, "the AZ's standby NAT Gateway; unset or empty: none", "nat-0123456789abcdef0"),
  natProbeUrls: required("NAT_PROBE_URLS", json({ kind: "strings" }), "probe targets, `https://host[/path]` or `tcp://host:port`", '["https://api.github.com","https://checkip.amazonaws.com"]'),
  natProbeIntervalSeconds: required("NAT_PROBE_INTERVAL_SECONDS", integer(2), "seconds between probe rounds", "5"),
  natFailureThreshold: required("NAT_FAILURE_THRESHOLD", integer(1), "failed rounds in a row before the routes move to the standby", "3"),
  natFailbackHoldDownSeconds: required("NAT_FAILBACK_HOLD_DOWN_SECONDS", integer(1), "healthy time before the routes move back", "300"),
  loopSeconds: tunable("LOOP_SECONDS", integer(1), 58, "how long a scheduled invocation keeps probing (the schedule fires every minute; function timeout 70 s)"),
} as const;
