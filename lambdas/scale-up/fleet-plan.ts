/**
 * EC2 fallback, pure: after a CreateFleet that launched fewer instances than asked, decide the next
 * request. Capacity and "unsupported here" errors drop the (instance type, subnet) pairs that failed
 * and try the remaining ones; when spot has none left, on-demand (if the pool allows it). Each request
 * asks only for the shortfall and the number of requests is bounded, so failures never multiply load.
 */

export type CapacityType = "spot" | "on-demand";

/** One (instance type, subnet) pair; a pool that selects by attributes has subnets only (EC2 picks the type). */
export interface FleetOverride {
  readonly instanceType?: string;
  readonly subnetId: string;
}

export interface FleetRequest {
  readonly capacityType: CapacityType;
  readonly overrides: readonly FleetOverride[];
  readonly count: number;
}

/** One error CreateFleet reported instead of an instance. */
export interface FleetError {
  readonly code: string;
  readonly message: string;
  readonly capacityType: CapacityType;
  /** The pair that failed, when EC2 names it. */
  readonly override?: Partial<FleetOverride>;
}

export interface FleetPool {
  /** Empty when the pool selects by `instanceRequirements`. */
  readonly instanceTypes: readonly string[];
  /** Attribute-based selection (contracts/pools.ts); undefined: the instance type list. */
  readonly instanceRequirements?: unknown;
  readonly subnetIds: readonly string[];
  readonly spot: boolean;
  readonly onDemandFallback: boolean;
}

/** Errors after which another type, zone or capacity type may succeed. */
export const RETRYABLE_CAPACITY_ERRORS: ReadonlySet<string> = new Set([
  "InsufficientInstanceCapacity",
  "InsufficientCapacity",
  "InsufficientFreeAddressesInSubnet",
  "InsufficientHostCapacity",
  "MaxSpotInstanceCountExceeded",
  "SpotMaxPriceTooLow",
  "UnfulfillableCapacity",
  "Unsupported",
  "InvalidFleetConfiguration",
]);

/**
 * Errors that no other pair fixes within this invocation: throttling (the SDK already retried with
 * back-off; the records wait on the queue instead), quotas and configuration errors.
 */
export function stopsFallback(code: string): boolean {
  return code === "RequestLimitExceeded" || code === "Throttling" || code === "VcpuLimitExceeded" || code.startsWith("Unauthorized") || code.includes("NotFound");
}

export function allOverrides(pool: FleetPool): FleetOverride[] {
  // Attribute-based: one override per subnet, each carrying the requirements (added by the EC2 adapter).
  if (pool.instanceRequirements !== undefined && pool.instanceRequirements !== null) return pool.subnetIds.map((subnetId) => ({ subnetId }));
  return pool.instanceTypes.flatMap((instanceType) => pool.subnetIds.map((subnetId) => ({ instanceType, subnetId })));
}

export function firstFleetRequest(pool: FleetPool, count: number): FleetRequest {
  return { capacityType: pool.spot ? "spot" : "on-demand", overrides: allOverrides(pool), count };
}

/** The request after `previous` left `shortfall` instances missing with `errors`; undefined to stop. */
export function nextFleetRequest(
  pool: FleetPool,
  previous: FleetRequest,
  errors: readonly FleetError[],
  shortfall: number,
  requestsMade: number,
  maxRequests: number,
): FleetRequest | undefined {
  if (shortfall <= 0 || requestsMade >= maxRequests) return undefined;
  if (errors.some((error) => stopsFallback(error.code))) return undefined;
  const failed = errors.filter((error) => error.capacityType === previous.capacityType && RETRYABLE_CAPACITY_ERRORS.has(error.code));
  const matches = (override: FleetOverride, error: FleetError): boolean =>
    // An attribute-based override stands for every type EC2 may pick, so only its subnet can be condemned.
    (error.override?.instanceType === undefined || override.instanceType === undefined || error.override.instanceType === override.instanceType) &&
    (error.override?.subnetId === undefined || error.override.subnetId === override.subnetId);
  // An error that names no pair condemns every pair of this capacity type.
  const remaining = previous.overrides.filter((override) => !failed.some((error) => matches(override, error)));
  if (remaining.length > 0 && remaining.length < previous.overrides.length) {
    return { capacityType: previous.capacityType, overrides: remaining, count: shortfall };
  }
  if (previous.capacityType === "spot" && pool.onDemandFallback) {
    return { capacityType: "on-demand", overrides: allOverrides(pool), count: shortfall };
  }
  return undefined;
}
