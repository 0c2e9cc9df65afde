import { beforeEach, describe, expect, it } from "vitest";
import { MemoryLedgerTable } from "../../../lambdas/libs/ledger/memory-store.js";
import { memoryLimitCounters } from "../../../lambdas/libs/ledger/memory-counters.js";
import { limitKeys, limitReleaseReason } from "../../../lambdas/libs/ledger/phases.js";
import type { Ledger, LimitCounters } from "../../../lambdas/libs/ledger/port.js";
import type { JobRecord } from "../../../lambdas/libs/ledger/types.js";
import type { LaunchRequest, LaunchResult } from "../../../lambdas/scale-up/adapters/ec2.js";
import type { RunnerRegistrationRequest } from "../../../lambdas/scale-up/adapters/github.js";
import type { RunnerItem } from "../../../lambdas/scale-up/adapters/runners-table.js";
import { scaleUpConfigFromEnv } from "../../../lambdas/scale-up/config.js";
import type { Claimed } from "../../../lambdas/scale-up/claims.js";
import { launchGroupWithLimits } from "../../../lambdas/scale-up/launch-group.js";
import type { GroupContext } from "../../../lambdas/scale-up/launch-group.js";
import { RUNNER_ITEM_TTL_SECONDS } from "../../../lambdas/scale-up/register-instance.js";
import type { DeferralKind, LaunchGroup } from "../../../lambdas/scale-up/plan.js";
import { jobMessage } from "../../helpers/aws.js";
import { scaleUpEnvFixture } from "../../helpers/scale-up-env.js";
import { quietPowertools } from "../../helpers/powertools.js";

// launchGroupWithLimits on its own (the unit under scale-up's processBatch): limit counters in memory,
// every other port a recorder. Written against Stryker's survivors of launch-group.ts (docs/reliability.md
// "Survivors of scale-up's launch-group.ts ... and why"); the handler suite covers the same paths through
// the SDK doubles, these tests pin them where the module's own tests run.

quietPowertools();

const NOW = new Date("2026-11-23T10:00:00.000Z");
const OWNER = "octo-org";
const CONFIG = scaleUpConfigFromEnv(
  scaleUpEnvFixture({ pools: { linux: { instanceTypes: ["m7i.large", "m6i.large"], spot: true, onDemandFallback: true } } }),
);
const KEYS = limitKeys("linux", OWNER);
const ARN_PREFIX = "arn:aws:ec2:eu-west-1:123456789012:instance/";

/** The ports as recorders, and what launchGroupWithLimits asked of them. */
class Harness {
  readonly table = new MemoryLedgerTable();
  readonly memory = memoryLimitCounters(this.table);
  readonly reserved: Array<{ key: string; wanted: number }> = [];
  /** A counter key whose reservation throws. */
  failReserve: string | undefined;
  readonly fleetRequests: LaunchRequest[] = [];
  /** CreateFleet's answer to each request (default: every instance asked for); may throw. */
  fleetAnswer: (request: LaunchRequest, made: number) => LaunchResult = (request) => ({ instanceIds: this.newIds(request.fleet.count), errors: [] });
  readonly terminated: string[] = [];
  readonly registered: RunnerRegistrationRequest[] = [];
  readonly recordedInstances: Array<{ key: string; instanceId: string; runnerName: string }> = [];
  readonly marked: Array<{ key: string; instance: unknown }> = [];
  readonly relaunched: Array<{ key: string; instanceId: string }> = [];
  relaunchFails = false;
  readonly written: RunnerItem[] = [];
  /** Runner items the table refuses (by pk). */
  readonly unwritten = new Set<string>();
  readonly givenBack: Array<{ recordId: string; kind: DeferralKind; reason: string }> = [];
  readonly keptJobs: Array<{ recordId: string; reason: string }> = [];
  /** Jobs GitHub no longer reports queued (by record id). */
  readonly notQueued = new Set<string>();
  remainingMs: (() => number) | undefined;
  private instances = 0;

  newIds(n: number): string[] {
    return Array.from({ length: n }, () => `i-0${(this.instances += 1).toString(16).padStart(16, "0")}`);
  }

  inUse(key: string): number {
    return Number(this.table.items.get(key)?.inUse ?? 0);
  }

  context(claims: readonly Claimed[], appOf: ReadonlyMap<string, number> = new Map()): GroupContext {
    const counters: LimitCounters = {
      ...this.memory,
      reserve: async (key, wanted, max) => {
        this.reserved.push({ key, wanted });
        if (key === this.failReserve) throw new Error("DynamoDB throttled");
        return this.memory.reserve(key, wanted, max);
      },
    };
    const ledger = {
      recordInstance: async (key: string, _token: string, instanceId: string, runnerName: string) => {
        this.recordedInstances.push({ key, instanceId, runnerName });
        return true;
      },
      markLaunched: async (key: string, _token: string, _now: Date, instance?: unknown) => {
        this.marked.push({ key, instance });
        return true;
      },
      relaunch: async (key: string, instanceId: string) => {
        if (this.relaunchFails) throw new Error("DynamoDB unavailable");
        this.relaunched.push({ key, instanceId });
        return { pk: key } as unknown as JobRecord;
      },
    } as unknown as Ledger;
    let made = 0;
    return {
      now: NOW,
      claimOf: new Map(claims.map((claim) => [claim.recordId, claim])),
      appOf,
      giveBack: async (job, kind, reason) => {
        this.givenBack.push({ recordId: job.recordId, kind, reason });
      },
      keep: (job, reason) => {
        this.keptJobs.push({ recordId: job.recordId, reason });
      },
      confirmStillQueued: async (jobs) => jobs.filter((job) => !this.notQueued.has(job.recordId)),
      deps: {
        config: CONFIG,
        ledger,
        counters,
        fleet: {
          launch: async (request) => {
            this.fleetRequests.push(request);
            return this.fleetAnswer(request, (made += 1));
          },
          terminate: async (ids) => {
            this.terminated.push(...ids);
          },
        },
        registerRunner: async (request) => {
          this.registered.push(request);
          return { runnerId: 1000 + this.registered.length, encodedJitConfig: Buffer.from(`jit-${request.instanceId}`).toString("base64") };
        },
        writeRunners: async (items) => {
          this.written.push(...items);
          return items.filter((item) => this.unwritten.has(item.pk)).map((item) => item.pk);
        },
        sealJitConfig: async (encoded, arn) => `sealed:${arn}:${encoded}`,
        instanceArnPrefix: ARN_PREFIX,
        now: () => NOW,
        ...(this.remainingMs === undefined ? {} : { remainingMs: this.remainingMs }),
        sleep: async () => undefined,
      },
    };
  }
}

let nextRecord = 0;
function claim(extra: Partial<Claimed> = {}): Claimed {
  nextRecord += 1;
  const job = jobMessage({ receivedAt: NOW.toISOString(), owner: OWNER });
  return { recordId: `r${nextRecord}`, job, key: `job#${job.jobId}`, token: `t${nextRecord}`, owner: OWNER, ...extra };
}

function groupOf(claims: readonly Claimed[]): LaunchGroup {
  return { pool: "linux", owner: OWNER, installationId: 52103487, recordIds: claims.map((c) => c.recordId), jobs: claims.map((c) => c.job) };
}

let h: Harness;
beforeEach(() => {
  h = new Harness();
});

describe("launchGroupWithLimits: limit slots", () => {
  it("returns the global and pool slots the owner's limit did not grant", async () => {
    // Arrange: the owner has 5 of 6 runners elsewhere, so one of two jobs gets a slot.
    h.table.items.set(KEYS.owner, { pk: KEYS.owner, inUse: 5 });
    const claims = [claim(), claim()];

    // Act
    const launched = await launchGroupWithLimits(groupOf(claims), h.context(claims));

    // Assert
    expect(launched).toBe(1);
    expect([h.inUse(KEYS.global), h.inUse(KEYS.pool), h.inUse(KEYS.owner)]).toEqual([1, 1, 6]);
    expect(h.givenBack).toEqual([{ recordId: claims[1]?.recordId, kind: "limit", reason: limitReleaseReason(`owner ${OWNER}`) }]);
  });

  it("names the limit that held a job back: all pools, then the pool", async () => {
    h.table.items.set(KEYS.global, { pk: KEYS.global, inUse: 7 });
    const first = [claim(), claim()];
    await launchGroupWithLimits(groupOf(first), h.context(first));
    expect(h.givenBack.map((g) => g.reason)).toEqual([limitReleaseReason("all pools")]);

    const pooled = new Harness();
    pooled.table.items.set(KEYS.pool, { pk: KEYS.pool, inUse: 2 });
    const second = [claim(), claim()];
    await launchGroupWithLimits(groupOf(second), pooled.context(second));
    expect(pooled.givenBack.map((g) => g.reason)).toEqual([limitReleaseReason("pool linux")]);
  });

  it("asks the pool and owner counters nothing once the global limit granted no slot", async () => {
    h.table.items.set(KEYS.global, { pk: KEYS.global, inUse: 8 });
    const claims = [claim()];

    expect(await launchGroupWithLimits(groupOf(claims), h.context(claims))).toBe(0);

    expect(h.reserved).toEqual([{ key: KEYS.global, wanted: 1 }]);
    expect(h.fleetRequests).toEqual([]);
  });

  it("asks the owner counter nothing once the pool granted no slot", async () => {
    h.table.items.set(KEYS.pool, { pk: KEYS.pool, inUse: 3 });
    const claims = [claim()];

    await launchGroupWithLimits(groupOf(claims), h.context(claims));

    expect(h.reserved.map((r) => r.key)).toEqual([KEYS.global, KEYS.pool]);
    expect(h.inUse(KEYS.global)).toBe(0);
  });

  it("lets every job wait and returns the slots already taken when a counter cannot be reserved", async () => {
    h.failReserve = KEYS.pool;
    const claims = [claim(), claim()];

    expect(await launchGroupWithLimits(groupOf(claims), h.context(claims))).toBe(0);

    expect(h.inUse(KEYS.global)).toBe(0);
    expect(h.givenBack.map((g) => g.kind)).toEqual(["limit", "limit"]);
    expect(h.fleetRequests).toEqual([]);
  });
});

describe("launchGroupWithLimits: a kept instance (takeover of a claim out of time)", () => {
  it("registers the kept instance without reserving slots or CreateFleet for it; only the fresh job reserves and launches", async () => {
    const reused = claim({ instanceId: "i-0kept" });
    const fresh = claim();
    const claims = [fresh, reused];

    const launched = await launchGroupWithLimits(groupOf(claims), h.context(claims));

    expect(launched).toBe(2);
    expect(h.reserved).toEqual([{ key: KEYS.global, wanted: 1 }, { key: KEYS.pool, wanted: 1 }, { key: KEYS.owner, wanted: 1 }]);
    expect(h.fleetRequests.map((r) => ({ count: r.fleet.count, jobs: r.jobs.map((j) => j.jobId) }))).toEqual([{ count: 1, jobs: [fresh.job.jobId] }]);
    expect(h.registered.map((r) => r.instanceId)).toContain("i-0kept");
    expect(h.marked.find((m) => m.key === reused.key)?.instance).toEqual({ instanceId: "i-0kept", runnerName: "sr-i-0kept" });
  });

  it("calls neither the counters nor CreateFleet when every job of the group has a kept instance", async () => {
    const claims = [claim({ instanceId: "i-0kept" })];

    expect(await launchGroupWithLimits(groupOf(claims), h.context(claims))).toBe(1);

    expect(h.reserved).toEqual([]);
    expect(h.fleetRequests).toEqual([]);
    expect(h.registered.map((r) => r.instanceId)).toEqual(["i-0kept"]);
  });
});

describe("launchGroupWithLimits: registering each instance", () => {
  it("writes each runner item keyed by its instance ARN, alive for a day, and records the instance on the launched job", async () => {
    const claims = [claim()];

    await launchGroupWithLimits(groupOf(claims), h.context(claims, new Map([[claims[0]?.recordId as string, 777]])));

    const [item] = h.written;
    const instanceId = h.registered[0]?.instanceId as string;
    expect(RUNNER_ITEM_TTL_SECONDS).toBe(86_400);
    expect(item).toMatchObject({ pk: `${ARN_PREFIX}${instanceId}`, runnerName: `sr-${instanceId}`, expiresAt: NOW.getTime() / 1000 + 86_400 });
    expect(h.registered[0]?.appId).toBe(777);
    expect(h.marked).toEqual([{ key: claims[0]?.key, instance: { instanceId, runnerName: `sr-${instanceId}` } }]);
  });

  it("registers with the primary App when the batch assigned none", async () => {
    const claims = [claim()];
    await launchGroupWithLimits(groupOf(claims), h.context(claims));
    expect(h.registered[0]?.appId).toBe(123456);
  });

  it("records the instance on the claim before the JIT call only for a job whose previous attempt died", async () => {
    const claims = [claim({ recordInstanceFirst: true }), claim()];

    await launchGroupWithLimits(groupOf(claims), h.context(claims));

    expect(h.recordedInstances.map((r) => r.key)).toEqual([claims[0]?.key]);
    expect(h.registered).toHaveLength(2);
  });

  it("starts no JIT call without time for GitHub's answer: records the instance on the claim and keeps the job", async () => {
    h.remainingMs = () => 1_000;
    const claims = [claim()];

    expect(await launchGroupWithLimits(groupOf(claims), h.context(claims))).toBe(0);

    expect(h.registered).toEqual([]);
    expect(h.recordedInstances.map((r) => r.key)).toEqual([claims[0]?.key]);
    expect(h.keptJobs.map((k) => k.recordId)).toEqual([claims[0]?.recordId]);
    expect(h.givenBack).toEqual([]);
    expect(h.terminated).toEqual([]);
    expect(h.inUse(KEYS.global)).toBe(1);
  });

  it("gives a job back as a failed launch when its registration fails, terminating its instance and returning its slots", async () => {
    const claims = [claim()];
    const ctx = h.context(claims);
    (ctx.deps as { registerRunner: unknown }).registerRunner = async () => {
      throw new Error("GitHub 502");
    };

    expect(await launchGroupWithLimits(groupOf(claims), ctx)).toBe(0);

    expect(h.givenBack.map((g) => g.kind)).toEqual(["launch-failed"]);
    expect(h.terminated).toHaveLength(1);
    expect([h.inUse(KEYS.global), h.inUse(KEYS.pool), h.inUse(KEYS.owner)]).toEqual([0, 0, 0]);
  });

  it("terminates an instance whose runner item was not written and puts its job back to wait as a failed launch", async () => {
    const claims = [claim(), claim()];
    h.unwritten.add(`${ARN_PREFIX}i-0${(1).toString(16).padStart(16, "0")}`);

    expect(await launchGroupWithLimits(groupOf(claims), h.context(claims))).toBe(1);

    expect(h.terminated).toEqual([`i-0${"1".padStart(16, "0")}`]);
    expect(h.relaunched).toEqual([{ key: claims[0]?.key, instanceId: `i-0${"1".padStart(16, "0")}` }]);
    expect(h.givenBack.map((g) => [g.recordId, g.kind])).toEqual([[claims[0]?.recordId, "launch-failed"]]);
    expect(h.inUse(KEYS.global)).toBe(1);
  });

  it("leaves the job launched, holding its slots, for the reconciler when undoing the launch fails too", async () => {
    const claims = [claim()];
    h.unwritten.add(`${ARN_PREFIX}i-0${"1".padStart(16, "0")}`);
    h.relaunchFails = true;

    expect(await launchGroupWithLimits(groupOf(claims), h.context(claims))).toBe(0);

    expect(h.terminated).toHaveLength(1);
    expect(h.givenBack).toEqual([]);
    expect(h.inUse(KEYS.global)).toBe(1);
  });
});

describe("launchGroupWithLimits: CreateFleet", () => {
  it("gives every job back as a failed launch, with its slots, when CreateFleet itself fails", async () => {
    h.fleetAnswer = () => {
      throw new Error("RequestLimitExceeded");
    };
    const claims = [claim(), claim()];

    expect(await launchGroupWithLimits(groupOf(claims), h.context(claims))).toBe(0);

    expect(h.fleetRequests).toHaveLength(1);
    expect(h.registered).toEqual([]);
    expect(h.givenBack.map((g) => g.kind)).toEqual(["launch-failed", "launch-failed"]);
    expect(h.inUse(KEYS.global)).toBe(0);
  });

  it("asks the fallback only for the shortfall and fails the jobs left without an instance", async () => {
    const noCapacity = { code: "InsufficientInstanceCapacity", message: "none", capacityType: "spot" as const };
    // Each answer gives one instance of what was asked and reports no capacity for the rest.
    h.fleetAnswer = (request) => ({ instanceIds: h.newIds(Math.min(1, request.fleet.count)), errors: [{ ...noCapacity, capacityType: request.fleet.capacityType }] });
    const claims = [claim(), claim(), claim()];
    const ctx = h.context(claims);
    (ctx.deps as { config: unknown }).config = { ...CONFIG, maxFleetRequests: 2, limits: { ...CONFIG.limits } };

    expect(await launchGroupWithLimits(groupOf(claims), ctx)).toBe(2);

    expect(h.fleetRequests.map((r) => r.fleet.count)).toEqual([3, 2]);
    expect(h.fleetRequests[0]?.jobs.map((j) => j.jobId)).toEqual(claims.map((c) => c.job.jobId));
    expect(h.fleetRequests[1]?.jobs.map((j) => j.jobId)).toEqual([claims[1]?.job.jobId, claims[2]?.job.jobId]);
    expect(h.registered).toHaveLength(2);
    expect(h.givenBack.map((g) => [g.recordId, g.kind])).toEqual([[claims[2]?.recordId, "launch-failed"]]);
    expect(h.inUse(KEYS.global)).toBe(2);
  });
  it("makes no fallback request beyond MAX_FLEET_REQUESTS although a fallback is left", async () => {
    h.fleetAnswer = (request) => ({ instanceIds: h.newIds(1), errors: [{ code: "InsufficientInstanceCapacity", message: "none", capacityType: request.fleet.capacityType }] });
    const claims = [claim(), claim()];
    const ctx = h.context(claims);
    (ctx.deps as { config: unknown }).config = { ...CONFIG, maxFleetRequests: 1 };

    expect(await launchGroupWithLimits(groupOf(claims), ctx)).toBe(1);

    expect(h.fleetRequests.map((r) => r.fleet.capacityType)).toEqual(["spot"]);
    expect(h.givenBack.map((g) => [g.recordId, g.kind])).toEqual([[claims[1]?.recordId, "launch-failed"]]);
  });
});

describe("launchGroupWithLimits: jobs no longer queued", () => {
  it("returns the slots of a job GitHub no longer reports queued and launches nothing for it", async () => {
    const claims = [claim(), claim()];
    h.notQueued.add(claims[0]?.recordId as string);

    expect(await launchGroupWithLimits(groupOf(claims), h.context(claims))).toBe(1);

    expect(h.fleetRequests.map((r) => r.fleet.count)).toEqual([1]);
    expect([h.inUse(KEYS.global), h.inUse(KEYS.pool), h.inUse(KEYS.owner)]).toEqual([1, 1, 1]);
  });
});
