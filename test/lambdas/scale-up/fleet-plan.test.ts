import { describe, expect, it } from "vitest";
import { RETRYABLE_CAPACITY_ERRORS, allOverrides, firstFleetRequest, nextFleetRequest, stopsFallback } from "../../../lambdas/scale-up/fleet-plan.js";
import type { FleetError, FleetOverride, FleetPool, FleetRequest } from "../../../lambdas/scale-up/fleet-plan.js";

const spotPool: FleetPool = { instanceTypes: ["m7i.large", "m6i.large"], subnetIds: ["subnet-a", "subnet-b"], spot: true, onDemandFallback: true };
const MAX = 3;

function capacityError(override?: Partial<FleetOverride>, code = "InsufficientInstanceCapacity", capacityType: FleetError["capacityType"] = "spot"): FleetError {
  return { code, message: "fake", capacityType, ...(override === undefined ? {} : { override }) };
}

describe("firstFleetRequest", () => {
  it("asks spot for every (type, subnet) pair, types in the pool's order of preference", () => {
    expect(firstFleetRequest(spotPool, 4)).toEqual({
      capacityType: "spot",
      count: 4,
      overrides: [
        { instanceType: "m7i.large", subnetId: "subnet-a" },
        { instanceType: "m7i.large", subnetId: "subnet-b" },
        { instanceType: "m6i.large", subnetId: "subnet-a" },
        { instanceType: "m6i.large", subnetId: "subnet-b" },
      ],
    });
  });

  it("asks on-demand for a pool without spot", () => {
    expect(firstFleetRequest({ ...spotPool, spot: false }, 2).capacityType).toBe("on-demand");
  });
});

describe("nextFleetRequest", () => {
  const first = firstFleetRequest(spotPool, 4);

  it("drops the pairs that reported a capacity error and retries the rest of the same capacity type", () => {
    // Act
    const next = nextFleetRequest(spotPool, first, [capacityError({ instanceType: "m7i.large", subnetId: "subnet-a" })], 3, 1, MAX);

    // Assert
    expect(next).toEqual({
      capacityType: "spot",
      count: 3,
      overrides: [
        { instanceType: "m7i.large", subnetId: "subnet-b" },
        { instanceType: "m6i.large", subnetId: "subnet-a" },
        { instanceType: "m6i.large", subnetId: "subnet-b" },
      ],
    });
  });

  it("drops an instance type unsupported in a zone, and a type named without subnet everywhere", () => {
    // Act
    const next = nextFleetRequest(
      spotPool,
      first,
      [capacityError({ instanceType: "m7i.large", subnetId: "subnet-b" }, "Unsupported"), capacityError({ instanceType: "m6i.large" })],
      2,
      1,
      MAX,
    );

    // Assert
    expect(next?.overrides).toEqual([{ instanceType: "m7i.large", subnetId: "subnet-a" }]);
    expect(next?.count).toBe(2);
  });

  it("moves from spot to on-demand with every pair when no spot pair is left", () => {
    // Arrange
    const errors = allOverrides(spotPool).map((override) => capacityError(override));

    // Act
    const next = nextFleetRequest(spotPool, first, errors, 4, 1, MAX);

    // Assert
    expect(next).toEqual({ capacityType: "on-demand", count: 4, overrides: allOverrides(spotPool) });
  });

  it("moves to on-demand when an error names no pair (it condemns every spot pair)", () => {
    expect(nextFleetRequest(spotPool, first, [capacityError()], 1, 1, MAX)?.capacityType).toBe("on-demand");
  });

  it("moves to on-demand when spot launched fewer without naming an error", () => {
    expect(nextFleetRequest(spotPool, first, [], 2, 1, MAX)).toEqual({ capacityType: "on-demand", count: 2, overrides: allOverrides(spotPool) });
  });

  it("never moves to on-demand when the pool does not allow it", () => {
    // Arrange
    const pool = { ...spotPool, onDemandFallback: false };

    // Act / Assert
    expect(nextFleetRequest(pool, firstFleetRequest(pool, 2), [capacityError()], 2, 1, MAX)).toBeUndefined();
  });

  it("stops when on-demand has no pair left", () => {
    // Arrange
    const onDemand: FleetRequest = { capacityType: "on-demand", count: 2, overrides: allOverrides(spotPool) };

    // Act / Assert
    expect(nextFleetRequest(spotPool, onDemand, [capacityError(undefined, "InsufficientInstanceCapacity", "on-demand")], 2, 2, MAX)).toBeUndefined();
  });

  it("ignores errors of the other capacity type when choosing pairs", () => {
    // Arrange
    const onDemand: FleetRequest = { capacityType: "on-demand", count: 2, overrides: allOverrides(spotPool) };

    // Act
    const next = nextFleetRequest(spotPool, onDemand, [capacityError({ instanceType: "m7i.large", subnetId: "subnet-a" }, "InsufficientInstanceCapacity", "spot")], 2, 2, MAX);

    // Assert: nothing on-demand failed by name, so nothing is dropped and there is nowhere else to go.
    expect(next).toBeUndefined();
  });

  it.each(["RequestLimitExceeded", "Throttling", "VcpuLimitExceeded", "UnauthorizedOperation", "InvalidLaunchTemplateName.NotFoundException"])(
    "stops on %s, whatever pairs are left",
    (code) => {
      // Arrange
      const errors = [capacityError({ instanceType: "m7i.large", subnetId: "subnet-a" }), capacityError({ instanceType: "m6i.large" }, code)];

      // Act / Assert
      expect(stopsFallback(code)).toBe(true);
      expect(nextFleetRequest(spotPool, first, errors, 3, 1, MAX)).toBeUndefined();
    },
  );

  it("stops after the maximum number of requests", () => {
    expect(nextFleetRequest(spotPool, first, [capacityError({ instanceType: "m7i.large" })], 3, MAX, MAX)).toBeUndefined();
    expect(nextFleetRequest(spotPool, first, [capacityError({ instanceType: "m7i.large" })], 3, MAX - 1, MAX)).toBeDefined();
  });

  it("stops when nothing is missing", () => {
    expect(nextFleetRequest(spotPool, first, [capacityError({ instanceType: "m7i.large" })], 0, 1, MAX)).toBeUndefined();
  });

  it("treats capacity errors as retryable and configuration errors as stops", () => {
    for (const code of ["InsufficientInstanceCapacity", "UnfulfillableCapacity", "Unsupported", "SpotMaxPriceTooLow"]) {
      expect(RETRYABLE_CAPACITY_ERRORS.has(code)).toBe(true);
      expect(stopsFallback(code)).toBe(false);
    }
  });
});

describe("fallback over a whole launch", () => {
  /**
   * An EC2 double: `capacity` instances per (capacity type, type, subnet); a request tries its first
   * two pairs (EC2 picks a few pools per request), takes what they have, and names each tried pair
   * that came up empty while instances were still missing.
   */
  function simulate(pool: FleetPool, count: number, capacity: Record<string, number>, maxRequests: number) {
    const requests: FleetRequest[] = [];
    const missingBefore: number[] = [];
    let launched = 0;
    let request: FleetRequest | undefined = firstFleetRequest(pool, count);
    while (request !== undefined) {
      requests.push(request);
      missingBefore.push(count - launched);
      let got = 0;
      const errors: FleetError[] = [];
      for (const override of request.overrides.slice(0, 2)) {
        const key = `${request.capacityType}|${override.instanceType}|${override.subnetId}`;
        const take = Math.min(capacity[key] ?? 0, request.count - got);
        capacity[key] = (capacity[key] ?? 0) - take;
        got += take;
        if (got < request.count && (capacity[key] ?? 0) === 0) errors.push(capacityError(override, "InsufficientInstanceCapacity", request.capacityType));
      }
      launched += got;
      request = nextFleetRequest(pool, request, errors, count - launched, requests.length, maxRequests);
    }
    return { requests, missingBefore, launched };
  }

  it("finds the capacity left in spot, then on-demand, never asking for more than is missing", () => {
    // Arrange: 1 spot instance in one pair, plenty of on-demand.
    const capacity = { "spot|m6i.large|subnet-b": 1, "on-demand|m7i.large|subnet-a": 10 };

    // Act
    const { requests, launched } = simulate(spotPool, 5, capacity, 3);

    // Assert
    expect(launched).toBe(5);
    expect(requests.map((r) => [r.capacityType, r.count, r.overrides.length])).toEqual([
      ["spot", 5, 4],
      ["spot", 5, 2],
      ["on-demand", 4, 4],
    ]);
  });

  it("gives up within the request bound when there is no capacity anywhere", () => {
    // Act
    const { requests, launched } = simulate(spotPool, 3, {}, 3);

    // Assert
    expect(launched).toBe(0);
    expect(requests.length).toBeLessThanOrEqual(3);
    expect(requests.every((r) => r.count <= 3)).toBe(true);
  });

  it("asks each time for exactly what is still missing", () => {
    // Arrange
    const capacity = { "spot|m7i.large|subnet-a": 2, "spot|m6i.large|subnet-a": 1, "on-demand|m6i.large|subnet-b": 1 };

    // Act
    const { requests, missingBefore, launched } = simulate(spotPool, 6, capacity, 5);

    // Assert
    expect(requests.map((r) => r.count)).toEqual(missingBefore);
    expect(missingBefore).toEqual([6, 4, 3, 3]);
    expect(requests.map((r) => [r.capacityType, r.overrides.length])).toEqual([
      ["spot", 4],
      ["spot", 2],
      ["on-demand", 4],
      ["on-demand", 2],
    ]);
    expect(launched).toBe(4);
  });
});

describe("attribute-based pools", () => {
  const flexPool: FleetPool = { instanceTypes: [], instanceRequirements: { vcpu_min: 2 }, subnetIds: ["subnet-a", "subnet-b"], spot: true, onDemandFallback: true };

  it("asks for one override per subnet, without an instance type (EC2 picks among the types that fit)", () => {
    expect(allOverrides(flexPool)).toEqual([{ subnetId: "subnet-a" }, { subnetId: "subnet-b" }]);
  });

  it("falls back to on-demand when an error names no subnet, as for a type list", () => {
    const first = firstFleetRequest(flexPool, 2);
    expect(nextFleetRequest(flexPool, first, [capacityError()], 2, 1, MAX)).toEqual({ capacityType: "on-demand", overrides: allOverrides(flexPool), count: 2 });
  });
});
