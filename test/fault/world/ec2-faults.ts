import { mulberry32 } from "./random.js";

/**
 * The parts of EC2 that make it hard to build on, as the EC2 double consults them (world/ec2.ts):
 * - eventual consistency (EC2 API reference, "Eventual consistency in the Amazon EC2 API"): a new
 *   instance shows in DescribeInstances, and accepts CreateTags, only after a random delay (until then
 *   both answer InvalidInstanceID.NotFound); a terminated instance stays listed as `terminated` for
 *   about an hour, then is unknown;
 * - quotas: running on-demand vCPUs (`VcpuLimitExceeded`) and spot vCPUs (`MaxSpotInstanceCountExceeded`),
 *   both per fleet override as CreateFleet (type instant) reports them in its error list;
 * - allocation: the kit asks for `lowest-price` (on-demand) and `price-capacity-optimized` (spot), so
 *   EC2 fills the cheapest override first, not the first of the list.
 * Draws come from their own seeded stream, so they do not shift the handlers' Math.random.
 */

/** vCPUs per instance type the scenarios use (EC2 instance type specifications); 2 for any other. */
const VCPUS: Readonly<Record<string, number>> = { "m6a.large": 2, "m6i.large": 2, "m7a.large": 2, "m7i.large": 2, "c7i.xlarge": 4, "m7i.xlarge": 4 };

/** On-demand prices per hour, of the order of eu-west-1's: only their order matters to the world. */
const ON_DEMAND_PRICE: Readonly<Record<string, number>> = { "m6a.large": 0.0963, "m6i.large": 0.107, "m7i.large": 0.1124, "m7a.large": 0.1292, "c7i.xlarge": 0.1982, "m7i.xlarge": 0.2248 };

export interface Ec2FaultOptions {
  /** A new instance is listed (and taggable) after a delay drawn uniformly from [min, max] ms. */
  readonly listingDelayMs?: readonly [number, number];
  /** How long a terminated instance stays listed as `terminated`. */
  readonly terminatedLingerMs?: number;
  /** vCPUs of running and pending on-demand instances the account may have. */
  readonly onDemandVcpuQuota?: number;
  /** vCPUs of running and pending spot instances the account may have. */
  readonly spotVcpuQuota?: number;
  readonly seed?: number;
}

interface Sized {
  readonly instanceId: string;
  readonly instanceType: string;
  readonly lifecycle: "spot" | "on-demand";
  readonly launchTime: number;
  readonly state: string;
  readonly stateSince: number;
}

export class Ec2Faults {
  readonly options: Required<Omit<Ec2FaultOptions, "seed">>;
  /** What the faults did, for scenario evidence. */
  readonly counts = { hiddenFromListing: 0, tagsRefused: 0, vcpuLimitExceeded: 0, maxSpotInstanceCountExceeded: 0, cheaperOverrideFirst: 0, lingeringListed: 0, vanished: 0 };
  private readonly random: () => number;
  private readonly visibleAt = new Map<string, number>();
  private readonly spotDiscount = new Map<string, number>();

  constructor(options: Ec2FaultOptions = {}) {
    this.options = {
      // A few seconds by default: the world is never instantly consistent, scenarios stretch it.
      listingDelayMs: options.listingDelayMs ?? [0, 10_000],
      terminatedLingerMs: options.terminatedLingerMs ?? 60 * 60_000,
      onDemandVcpuQuota: options.onDemandVcpuQuota ?? Number.POSITIVE_INFINITY,
      spotVcpuQuota: options.spotVcpuQuota ?? Number.POSITIVE_INFINITY,
    };
    this.random = mulberry32((options.seed ?? 1) * 7919 + 17);
  }

  /** Draws when a just-launched instance becomes visible to the API. */
  launched(instance: Sized): void {
    const [min, max] = this.options.listingDelayMs;
    this.visibleAt.set(instance.instanceId, instance.launchTime + min + Math.round(this.random() * (max - min)));
  }

  /** Whether the API knows the instance yet (no count: for the world's own checks). */
  visible(instance: Pick<Sized, "instanceId">, now: number): boolean {
    return now >= (this.visibleAt.get(instance.instanceId) ?? 0);
  }

  /** Whether DescribeInstances shows the instance now; counts what it hides. */
  listed(instance: Sized, now: number): boolean {
    if (now < (this.visibleAt.get(instance.instanceId) ?? 0)) {
      this.counts.hiddenFromListing += 1;
      return false;
    }
    if (instance.state === "terminated") {
      if (now - instance.stateSince > this.options.terminatedLingerMs) {
        this.counts.vanished += 1;
        return false;
      }
      this.counts.lingeringListed += 1;
    }
    return true;
  }

  /** CreateTags on an instance the API does not know yet fails like an unknown id. */
  taggable(instance: Sized, now: number): boolean {
    const ok = now >= (this.visibleAt.get(instance.instanceId) ?? 0);
    if (!ok) this.counts.tagsRefused += 1;
    return ok;
  }

  /** Instances of `instanceType` that still fit the capacity type's vCPU quota beside `live`. */
  room(capacityType: "spot" | "on-demand", instanceType: string, live: readonly Sized[]): number {
    const quota = capacityType === "spot" ? this.options.spotVcpuQuota : this.options.onDemandVcpuQuota;
    if (quota === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
    const used = live.filter((i) => i.lifecycle === capacityType).reduce((n, i) => n + vcpus(i.instanceType), 0);
    return Math.max(0, Math.floor((quota - used) / vcpus(instanceType)));
  }

  /** The quota error CreateFleet reports for an override that no longer fits. */
  quotaError(capacityType: "spot" | "on-demand"): { code: string; message: string } {
    if (capacityType === "spot") {
      this.counts.maxSpotInstanceCountExceeded += 1;
      return { code: "MaxSpotInstanceCountExceeded", message: "Max spot instance count exceeded" };
    }
    this.counts.vcpuLimitExceeded += 1;
    return {
      code: "VcpuLimitExceeded",
      message: "You have requested more vCPU capacity than your current vCPU limit allows for the instance bucket that the specified instance type belongs to.",
    };
  }

  /** Overrides in the order EC2 fills them: cheapest first for the capacity type (stable for equal prices). */
  byPrice<T extends { instanceType: string; subnetId: string }>(overrides: readonly T[], capacityType: "spot" | "on-demand"): T[] {
    const price = (o: T): number => (ON_DEMAND_PRICE[o.instanceType] ?? 0.1) * (capacityType === "spot" ? this.discount(o) : 1);
    const sorted = overrides.map((o, i) => ({ o, i })).sort((a, b) => price(a.o) - price(b.o) || a.i - b.i);
    if (sorted.length > 0 && sorted[0]?.i !== 0) this.counts.cheaperOverrideFirst += 1;
    return sorted.map(({ o }) => o);
  }

  /** A spot pool's price as a fraction of on-demand, drawn once per (type, subnet). */
  private discount(override: { instanceType: string; subnetId: string }): number {
    const key = `${override.instanceType}|${override.subnetId}`;
    let value = this.spotDiscount.get(key);
    if (value === undefined) {
      value = 0.3 + this.random() * 0.4;
      this.spotDiscount.set(key, value);
    }
    return value;
  }
}

function vcpus(instanceType: string): number {
  return VCPUS[instanceType] ?? 2;
}
