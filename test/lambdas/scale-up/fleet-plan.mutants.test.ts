import { describe, expect, it } from "vitest";
import { RETRYABLE_CAPACITY_ERRORS, allOverrides, firstFleetRequest, nextFleetRequest } from "../../../lambdas/scale-up/fleet-plan.js";
import type { FleetError, FleetOverride, FleetPool } from "../../../lambdas/scale-up/fleet-plan.js";

// Edges of the EC2 fallback that Stryker's survivors pointed at (docs/reliability.md, "Mutation testing").

const spotPool: FleetPool = { instanceTypes: ["m7i.large", "m6i.large"], subnetIds: ["subnet-a", "subnet-b"], spot: true, onDemandFallback: true };
const flexPool: FleetPool = { instanceTypes: [], instanceRequirements: { vcpu_min: 2 }, subnetIds: ["subnet-a", "subnet-b"], spot: true, onDemandFallback: true };
const MAX = 3;

function error(code: string, override?: Partial<FleetOverride>): FleetError {
  return { code, message: "fake", capacityType: "spot", ...(override === undefined ? {} : { override }) };
}

describe("nextFleetRequest: which pairs an error condemns", () => {
  it.each([
    "InsufficientInstanceCapacity",
    "InsufficientCapacity",
    "InsufficientFreeAddressesInSubnet",
    "InsufficientHostCapacity",
    "MaxSpotInstanceCountExceeded",
    "SpotMaxPriceTooLow",
    "UnfulfillableCapacity",
    "Unsupported",
    "InvalidFleetConfiguration",
  ])("drops the pair named by %s and retries the others in the same market", (code) => {
    expect(RETRYABLE_CAPACITY_ERRORS.has(code)).toBe(true);
    const next = nextFleetRequest(spotPool, firstFleetRequest(spotPool, 2), [error(code, { instanceType: "m7i.large", subnetId: "subnet-a" })], 2, 1, MAX);
    expect(next?.capacityType).toBe("spot");
    expect(next?.overrides).toHaveLength(3);
  });

  it("drops no pair for an error that is neither a capacity error nor a stop, and moves on to on-demand", () => {
    const next = nextFleetRequest(spotPool, firstFleetRequest(spotPool, 2), [error("InvalidParameterValue", { instanceType: "m7i.large", subnetId: "subnet-a" })], 2, 1, MAX);
    expect(next).toEqual({ capacityType: "on-demand", overrides: allOverrides(spotPool), count: 2 });
  });

  it("drops every type in a subnet named without a type", () => {
    const next = nextFleetRequest(spotPool, firstFleetRequest(spotPool, 2), [error("InsufficientFreeAddressesInSubnet", { subnetId: "subnet-a" })], 2, 1, MAX);
    expect(next?.overrides).toEqual([
      { instanceType: "m7i.large", subnetId: "subnet-b" },
      { instanceType: "m6i.large", subnetId: "subnet-b" },
    ]);
  });

  it("drops an attribute-based pool's subnet when EC2 names the type it picked there", () => {
    const next = nextFleetRequest(flexPool, firstFleetRequest(flexPool, 2), [error("InsufficientInstanceCapacity", { instanceType: "m7i.large", subnetId: "subnet-a" })], 2, 1, MAX);
    expect(next).toEqual({ capacityType: "spot", overrides: [{ subnetId: "subnet-b" }], count: 2 });
  });
});

describe("allOverrides", () => {
  it("reads a null instanceRequirements as the type list", () => {
    expect(allOverrides({ ...spotPool, instanceRequirements: null })).toHaveLength(4);
  });
});
