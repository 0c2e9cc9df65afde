import { describe, expect, it } from "vitest";
import { DEFAULT_PROBE_TARGETS, natFailoverConfigFromEnv, probeTimeoutFor } from "../../../lambdas/nat-failover/config.js";
import { InvalidEnvError, MissingEnvError } from "../../../lambdas/shared/index.js";

const ENV = { PREFIX: "sr", AZ: "eu-west-1a", ROUTE_TABLE_IDS: '["rtb-0aaaaaaaaaaaaaaa1"]' };

describe("natFailoverConfigFromEnv", () => {
  it("applies the documented defaults", () => {
    expect(natFailoverConfigFromEnv(ENV)).toEqual({
      prefix: "sr",
      az: "eu-west-1a",
      routeTableIds: ["rtb-0aaaaaaaaaaaaaaa1"],
      standbyNatGatewayId: undefined,
      probeTargets: DEFAULT_PROBE_TARGETS,
      probeIntervalMs: 5_000,
      probeTimeoutMs: 3_000,
      failureThreshold: 3,
      holdDownMs: 300_000,
      loopMs: 58_000,
    });
  });

  it("reads every setting", () => {
    const config = natFailoverConfigFromEnv({
      ...ENV,
      STANDBY_NAT_GATEWAY_ID: "nat-0123456789abcdef0",
      PROBE_TARGETS: '["https://ghe.example.com/api/v3", "tcp://10.0.0.10:443"]',
      PROBE_INTERVAL_SECONDS: "2",
      FAILURE_THRESHOLD: "5",
      FAILBACK_HOLD_DOWN_SECONDS: "900",
      LOOP_SECONDS: "30",
    });
    expect(config).toMatchObject({
      standbyNatGatewayId: "nat-0123456789abcdef0",
      probeTargets: ["https://ghe.example.com/api/v3", "tcp://10.0.0.10:443"],
      probeIntervalMs: 2_000,
      probeTimeoutMs: 1_000,
      failureThreshold: 5,
      holdDownMs: 900_000,
      loopMs: 30_000,
    });
  });

  it("keeps every probe shorter than the interval", () => {
    expect([2_000, 3_000, 4_000, 5_000, 30_000].map(probeTimeoutFor)).toEqual([1_000, 2_000, 3_000, 3_000, 3_000]);
  });

  it("fails when the AZ or the route tables are missing", () => {
    expect(() => natFailoverConfigFromEnv({ ...ENV, AZ: "" })).toThrow(MissingEnvError);
    expect(() => natFailoverConfigFromEnv({ ...ENV, ROUTE_TABLE_IDS: "[]" })).toThrow(InvalidEnvError);
  });

  it("fails when a probe target is neither https:// nor tcp://host:port", () => {
    expect(() => natFailoverConfigFromEnv({ ...ENV, PROBE_TARGETS: '["http://example.com"]' })).toThrow(/PROBE_TARGETS/);
    expect(() => natFailoverConfigFromEnv({ ...ENV, PROBE_TARGETS: '["tcp://example.com"]' })).toThrow(/PROBE_TARGETS/);
  });

  it("fails when the probe interval is below 2 seconds", () => {
    expect(() => natFailoverConfigFromEnv({ ...ENV, PROBE_INTERVAL_SECONDS: "1" })).toThrow(/PROBE_INTERVAL_SECONDS/);
  });
});
