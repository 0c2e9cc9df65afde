import { InvalidEnvError, jsonEnv, optionalEnv, positiveIntEnv, requireEnv } from "../shared/index.js";

type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_PROBE_TARGETS = ["https://api.github.com", "https://checkip.amazonaws.com"];
export const DEFAULT_PROBE_INTERVAL_SECONDS = 5;
export const DEFAULT_FAILURE_THRESHOLD = 3;
export const DEFAULT_FAILBACK_HOLD_DOWN_SECONDS = 300;
/**
 * How long one scheduled invocation keeps probing. The schedule fires every minute, so 58 s leaves the
 * next invocation to start about one probe interval after the last round (function timeout: 70 s).
 */
export const DEFAULT_LOOP_SECONDS = 58;
/** Upper bound of one probe; it must end before the next round starts. */
export const MAX_PROBE_TIMEOUT_MS = 3_000;

/** The environment of one AZ's failover function (docs/contracts.md, nat-failover). */
export interface NatFailoverConfig {
  readonly prefix: string;
  readonly az: string;
  readonly routeTableIds: readonly string[];
  readonly standbyNatGatewayId?: string;
  readonly probeTargets: readonly string[];
  readonly probeIntervalMs: number;
  readonly probeTimeoutMs: number;
  readonly failureThreshold: number;
  readonly holdDownMs: number;
  readonly loopMs: number;
}

/** The probe timeout a probe interval implies: 3 s, or one second less than the interval when that is shorter. */
export function probeTimeoutFor(probeIntervalMs: number): number {
  return Math.min(MAX_PROBE_TIMEOUT_MS, probeIntervalMs - 1_000);
}

export function natFailoverConfigFromEnv(env: Env = process.env): NatFailoverConfig {
  const probeIntervalSeconds = positiveIntEnv("PROBE_INTERVAL_SECONDS", DEFAULT_PROBE_INTERVAL_SECONDS, env);
  if (probeIntervalSeconds < 2) throw new InvalidEnvError("PROBE_INTERVAL_SECONDS", `expected at least 2, got ${probeIntervalSeconds}`);
  const probeTargets = env.PROBE_TARGETS ? jsonEnv("PROBE_TARGETS", (r) => r.strings(), env) : DEFAULT_PROBE_TARGETS;
  for (const target of probeTargets) {
    if (!/^(https:\/\/[^\s/]+(\/\S*)?|tcp:\/\/[^\s/:]+:[0-9]{1,5})$/.test(target)) {
      throw new InvalidEnvError("PROBE_TARGETS", `expected https://host[/path] or tcp://host:port, got "${target}"`);
    }
  }
  const standby = optionalEnv("STANDBY_NAT_GATEWAY_ID", "", env);
  return {
    prefix: requireEnv("PREFIX", env),
    az: requireEnv("AZ", env),
    routeTableIds: jsonEnv("ROUTE_TABLE_IDS", (r) => r.strings(), env),
    standbyNatGatewayId: standby === "" ? undefined : standby,
    probeTargets,
    probeIntervalMs: probeIntervalSeconds * 1_000,
    probeTimeoutMs: probeTimeoutFor(probeIntervalSeconds * 1_000),
    failureThreshold: positiveIntEnv("FAILURE_THRESHOLD", DEFAULT_FAILURE_THRESHOLD, env),
    holdDownMs: positiveIntEnv("FAILBACK_HOLD_DOWN_SECONDS", DEFAULT_FAILBACK_HOLD_DOWN_SECONDS, env) * 1_000,
    loopMs: positiveIntEnv("LOOP_SECONDS", DEFAULT_LOOP_SECONDS, env) * 1_000,
  };
}
