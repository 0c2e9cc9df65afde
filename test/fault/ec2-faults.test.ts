import { describe, expect, it } from "vitest";
import { Ec2Faults } from "./world/ec2-faults.js";

// The world's EC2 faults (world/ec2-faults.ts): listing delay, linger, quotas, price order.
const instance = (over: Partial<{ instanceId: string; instanceType: string; lifecycle: "spot" | "on-demand"; launchTime: number; state: string; stateSince: number }> = {}) => ({
  instanceId: "i-01",
  instanceType: "m7i.large",
  lifecycle: "spot" as const,
  launchTime: 0,
  state: "pending",
  stateSince: 0,
  ...over,
});

describe("Ec2Faults", () => {
  it("lists a new instance only after its drawn delay, and a terminated one only while it lingers", () => {
    const faults = new Ec2Faults({ listingDelayMs: [5_000, 5_000], terminatedLingerMs: 60_000 });
    const fresh = instance();
    faults.launched(fresh);
    expect([faults.listed(fresh, 4_999), faults.taggable(fresh, 4_999), faults.listed(fresh, 5_000)]).toEqual([false, false, true]);
    const ended = instance({ state: "terminated", stateSince: 10_000 });
    expect([faults.listed(ended, 70_000), faults.listed(ended, 70_001)]).toEqual([true, false]);
  });

  it("gives only the vCPUs left under the quota of the capacity type", () => {
    const faults = new Ec2Faults({ spotVcpuQuota: 5, onDemandVcpuQuota: 4 });
    const live = [instance({ lifecycle: "spot" }), instance({ lifecycle: "on-demand", instanceType: "c7i.xlarge" })];
    expect(faults.room("spot", "m7i.large", live)).toBe(1);
    expect(faults.room("on-demand", "m7i.large", live)).toBe(0);
    expect(faults.quotaError("on-demand").code).toBe("VcpuLimitExceeded");
    expect(faults.quotaError("spot").code).toBe("MaxSpotInstanceCountExceeded");
  });

  it("fills on-demand from the cheapest override, not the first listed", () => {
    const faults = new Ec2Faults();
    const order = faults.byPrice([{ instanceType: "m7i.large", subnetId: "a" }, { instanceType: "m6i.large", subnetId: "a" }], "on-demand");
    expect(order.map((o) => o.instanceType)).toEqual(["m6i.large", "m7i.large"]);
  });
});
