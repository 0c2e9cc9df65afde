import { NAT_FAILOVER_ENV } from "../../contracts/nat-failover.js";
import { PROBE_TARGET_ALLOWED, PROBE_TARGET_PATTERN } from "../../contracts/patterns.js";
import { InvalidEnvError, parseEnv } from "../shared/index.js";

type Env = Readonly<Record<string, string | undefined>>;

const PROBE_TARGET = new RegExp(PROBE_TARGET_PATTERN);

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
  const parsed = parseEnv(NAT_FAILOVER_ENV, env);
  for (const target of parsed.natProbeUrls) {
    if (!PROBE_TARGET.test(target)) {
      throw new InvalidEnvError(NAT_FAILOVER_ENV.natProbeUrls.name, `expected ${PROBE_TARGET_ALLOWED}, got "${target}"`);
    }
  }
  const probeIntervalMs = parsed.natProbeIntervalSeconds * 1_000;
  return {
    prefix: parsed.prefix,
    az: parsed.az,
    routeTableIds: parsed.routeTableIds,
    standbyNatGatewayId: parsed.standbyNatGatewayId,
    probeTargets: parsed.natProbeUrls,
    probeIntervalMs,
    probeTimeoutMs: probeTimeoutFor(probeIntervalMs),
    failureThreshold: parsed.natFailureThreshold,
    holdDownMs: parsed.natFailbackHoldDownSeconds * 1_000,
    loopMs: parsed.loopSeconds * 1_000,
  };
}
