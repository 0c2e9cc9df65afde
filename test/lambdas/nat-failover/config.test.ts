import { describe, expect, it } from "vitest";
import { NAT_FAILOVER_ENV } from "../../../contracts/nat-failover.js";
import { natFailoverConfigFromEnv, probeTimeoutFor } from "../../../lambdas/nat-failover/config.js";
import { InvalidEnvError, MissingEnvError } from "../../../lambdas/shared/index.js";
import { sampleEnv } from "../../helpers/contracts.js";

const ENV = sampleEnv(NAT_FAILOVER_ENV, { AZ: "eu-west-1a", ROUTE_TABLE_IDS: '["rtb-0aaaaaaaaaaaaaaa1"]' });

describe("natFailoverConfigFromEnv", () => {
  it("reads the settings, with the loop length's default", () => {
    expect(natFailoverConfigFromEnv(ENV)).toEqual({
      prefix: "sr",
      az: "eu-west-1a",
      routeTableIds: ["rtb-0aaaaaaaaaaaaaaa1"],
      standbyNatGatewayId: undefined,
      probeTargets: ["https://api.github.com", "https://checkip.amazonaws.com"],
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
      NAT_PROBE_URLS: '["https://ghe.example.com/api/v3", "tcp://10.0.0.10:443"]',
      NAT_PROBE_INTERVAL_SECONDS: "2",
      NAT_FAILURE_THRESHOLD: "5",
      NAT_FAILBACK_HOLD_DOWN_SECONDS: "900",
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
    expect(() => natFailoverConfigFromEnv({ ...ENV, NAT_PROBE_URLS: '["http://example.com"]' })).toThrow(/NAT_PROBE_URLS/);
    expect(() => natFailoverConfigFromEnv({ ...ENV, NAT_PROBE_URLS: '["tcp://example.com"]' })).toThrow(/NAT_PROBE_URLS/);
  });

  it("fails when a Terraform-set setting is missing (its default lives in the input table)", () => {
    expect(() => natFailoverConfigFromEnv({ ...ENV, NAT_FAILURE_THRESHOLD: undefined })).toThrow(new MissingEnvError("NAT_FAILURE_THRESHOLD"));
  });

  it("fails when the probe interval is below 2 seconds", () => {
    expect(() => natFailoverConfigFromEnv({ ...ENV, NAT_PROBE_INTERVAL_SECONDS: "1" })).toThrow(/NAT_PROBE_INTERVAL_SECONDS/);
  });
});
