import { beforeEach, describe, expect, it } from "vitest";
import { PHASES, TRANSITIONS, canTransition, jobKey } from "../../../../lambdas/libs/ledger/phases.js";
import type { Phase, Transition } from "../../../../lambdas/libs/ledger/phases.js";
import type { BudgetStore, Ledger, LimitCounters } from "../../../../lambdas/libs/ledger/port.js";
import type { JobFacts } from "../../../../lambdas/libs/ledger/types.js";

/** One ledger table as a store sees it, plus raw access for arranging and asserting. */
export interface LedgerStores {
  readonly ledger: Ledger;
  readonly counters: LimitCounters;
  readonly budgets: BudgetStore;
  /** Writes an item as the writes of an earlier invocation would have left it. */
  put(item: { readonly pk: string } & Record<string, unknown>): Promise<void>;
  /** The item under `key` as stored, or undefined. */
  raw(key: string): Promise<Record<string, unknown> | undefined>;
}

export const NOW = new Date("2026-11-23T10:00:00.000Z");
export const LEASE_MS = 120_000;
const INSTANCE = "i-0aaaaaaaaaaaaaaa1";
const TOKEN = "token-1";
let nextJobId = 5000;

export function facts(overrides: Partial<JobFacts> = {}): JobFacts {
  nextJobId += 1;
  return {
    jobId: nextJobId,
    runAttempt: 1,
    runId: 77,
    repository: "octo-org/app",
    org: "octo-org",
    pool: "linux",
    installationId: 42,
    labels: ["self-hosted", "linux"],
    ...overrides,
  };
}

/**
 * The ledger's contract: every store (DynamoDB on dynalite, memory) must pass it, so handler tests on
 * the memory store stand for the real one. `makeStores` gives a fresh, empty table per test.
 */
export function describeLedgerContract(name: string, makeStores: () => Promise<LedgerStores>): void {
  describe(`ledger contract: ${name}`, () => {
    let stores: LedgerStores;

    beforeEach(async () => {
      stores = await makeStores();
    });

    /** Puts the job straight into `phase`, as the writes of an earlier invocation would have left it. */
    async function seed(job: JobFacts, phase: Phase | undefined, extra: Record<string, unknown> = {}): Promise<string> {
      const key = jobKey(job);
      if (phase === undefined) return key;
      await stores.put({
        pk: key,
        phase,
        kind: "job",
        jobId: job.jobId,
        runAttempt: job.runAttempt,
        pool: job.pool,
        scopeOwner: "octo-org",
        // A launching item holds an expired lease, so that only the phase decides.
        claimToken: TOKEN,
        claimExpiresAt: NOW.getTime() - 1,
        instanceId: INSTANCE,
        ...extra,
      });
      return key;
    }

    async function phaseOf(key: string): Promise<Phase | undefined> {
      return (await stores.ledger.get(key))?.phase;
    }

    /**
     * Each transition's write, as the ledger's callers make it, resolving to whether the phase changed. A
     * Record over every Transition: adding one to phases.ts without a case here fails to compile.
     */
    const WRITES: Record<Transition, (job: JobFacts, key: string) => Promise<boolean>> = {
      receive: async (job) => {
        const before = await stores.ledger.get(jobKey(job));
        const after = await stores.ledger.receive(job, "delivery-x", NOW);
        return before?.phase !== after.phase || before === undefined;
      },
      claim: async (job) => (await stores.ledger.claim({ ...job, scopeOwner: "octo-org" }, "token-2", LEASE_MS, NOW)).claimed,
      release: async (_job, key) => stores.ledger.release(key, TOKEN, "limit reached", NOW),
      launch: async (_job, key) => stores.ledger.markLaunched(key, TOKEN, NOW),
      start: async (job) => stores.ledger.start(job, "sr-i-0bbbbbbbbbbbbbbb1", NOW),
      finish: async (job) => (await stores.ledger.finish(job, "completed", "success", NOW)) !== undefined,
      relaunch: async (_job, key) => (await stores.ledger.relaunch(key, INSTANCE, "runner gone", NOW)) !== undefined,
      expire: async (job) => stores.ledger.expire(job, "too old", NOW),
    };

    describe("transitions (table-driven from phases.ts TRANSITIONS)", () => {
      const cases = (Object.keys(TRANSITIONS) as Transition[]).flatMap((transition) =>
        [undefined, ...PHASES].map((from) => ({ transition, from, label: from ?? "(no item)", allowed: canTransition(transition, from) })),
      );

      it.each(cases)("$transition from $label: allowed=$allowed", async ({ transition, from, allowed }) => {
        // Arrange
        const job = facts();
        const key = await seed(job, from);

        // Act
        const changed = await WRITES[transition](job, key);

        // Assert
        expect(changed).toBe(allowed);
        expect(await phaseOf(key)).toBe(allowed ? TRANSITIONS[transition].to : from);
      });
    });

    describe("receive", () => {
      it("creates the job in received and adds each delivery id once", async () => {
        // Arrange
        const job = facts();

        // Act
        const first = await stores.ledger.receive(job, "d-1", NOW);
        const again = await stores.ledger.receive(job, "d-1", NOW);
        const second = await stores.ledger.receive({ ...job, pool: "gpu", labels: ["gpu"] }, "d-2", new Date(NOW.getTime() + 60_000));

        // Assert
        expect(first).toMatchObject({ pk: jobKey(job), phase: "received", kind: "job", jobId: job.jobId, runAttempt: 1, pool: "linux", deliveryIds: ["d-1"] });
        expect(again.deliveryIds).toEqual(["d-1"]);
        expect(second).toMatchObject({ phase: "received", pool: "linux", labels: ["self-hosted", "linux"], receivedAt: NOW.toISOString(), deliveryIds: ["d-1", "d-2"] });
      });

      it("remembers that the job is on its queue in the write that records it; a later sighting keeps it", async () => {
        // Arrange
        const job = facts();

        // Act
        const first = await stores.ledger.receiveToQueue(job, "d-1", LEASE_MS, NOW);
        const again = await stores.ledger.receive(job, "d-2", new Date(NOW.getTime() + 60_000));

        // Assert
        expect(first).toEqual({ leased: true });
        expect(again).toMatchObject({ phase: "received", queuedAt: NOW.toISOString(), deliveryIds: ["d-1", "d-2"] });
      });

      it("keeps the phase of a job already past received", async () => {
        // Arrange
        const job = facts();
        await stores.ledger.receive(job, "d-1", NOW);
        await stores.ledger.claim({ ...job, scopeOwner: "octo-org" }, TOKEN, LEASE_MS, NOW);

        // Act
        const record = await stores.ledger.receive(job, "d-2", NOW);

        // Assert
        expect(record.phase).toBe("launching");
        expect(record.claimToken).toBe(TOKEN);
      });

      it("keeps a re-run apart from the first attempt", async () => {
        // Arrange
        const job = facts();
        await stores.ledger.receive(job, "d-1", NOW);
        await stores.ledger.claim({ ...job, scopeOwner: "octo-org" }, TOKEN, LEASE_MS, NOW);

        // Act
        const rerun = await stores.ledger.receive({ ...job, runAttempt: 2 }, "d-2", NOW);

        // Assert
        expect(rerun).toMatchObject({ pk: `job#${job.jobId}#2`, phase: "received" });
      });
    });

    describe("claim", () => {
      it("refuses a claim while another lease is live, and reports the live claim", async () => {
        // Arrange
        const job = { ...facts(), scopeOwner: "octo-org" };
        await stores.ledger.receive(job, "d-1", NOW);
        const first = await stores.ledger.claim(job, "token-a", LEASE_MS, NOW);

        // Act
        const second = await stores.ledger.claim(job, "token-b", LEASE_MS, new Date(NOW.getTime() + LEASE_MS - 1));

        // Assert
        expect(first.claimed).toBe(true);
        expect(first.record).toMatchObject({ phase: "launching", claimToken: "token-a", claimExpiresAt: NOW.getTime() + LEASE_MS, scopeOwner: "octo-org", launchAttempts: 1 });
        expect(second).toMatchObject({ claimed: false, record: { phase: "launching", claimToken: "token-a" } });
      });

      it("lets another invocation take over once the lease has expired; the first token then loses every write", async () => {
        // Arrange
        const job = { ...facts(), scopeOwner: "octo-org" };
        await stores.ledger.claim(job, "token-a", LEASE_MS, NOW);
        await stores.ledger.recordInstance(jobKey(job), "token-a", INSTANCE, `sr-${INSTANCE}`, NOW);
        const later = new Date(NOW.getTime() + LEASE_MS + 1);

        // Act
        const takeover = await stores.ledger.claim(job, "token-b", LEASE_MS, later);

        // Assert
        expect(takeover.claimed).toBe(true);
        // The record shows what the crashed attempt left, for takeoverAction.
        expect(takeover.record).toMatchObject({ claimToken: "token-b", launchAttempts: 2, instanceId: INSTANCE, runnerWritten: false });
        expect(await stores.ledger.recordInstance(jobKey(job), "token-a", "i-0aaaaaaaaaaaaaaa9", "sr-i-0aaaaaaaaaaaaaaa9", later)).toBe(false);
        expect(await stores.ledger.markLaunched(jobKey(job), "token-a", later)).toBe(false);
        expect(await stores.ledger.release(jobKey(job), "token-a", "late", later)).toBe(false);
        expect(await stores.ledger.markLaunched(jobKey(job), "token-b", later)).toBe(true);
      });

      it("hands a takeover the instance of the crashed claim, and a fresh claim none", async () => {
        // Arrange
        const crashed = { ...facts(), scopeOwner: "octo-org" };
        await stores.ledger.claim(crashed, "token-a", LEASE_MS, NOW);
        await stores.ledger.recordInstance(jobKey(crashed), "token-a", INSTANCE, `sr-${INSTANCE}`, NOW);
        const released = { ...facts(), scopeOwner: "octo-org" };
        await stores.ledger.claim(released, "token-a", LEASE_MS, NOW);
        await stores.ledger.recordInstance(jobKey(released), "token-a", INSTANCE, `sr-${INSTANCE}`, NOW);
        await stores.ledger.release(jobKey(released), "token-a", "registration failed", NOW);
        const relaunched = { ...facts(), scopeOwner: "octo-org" };
        await stores.ledger.claim(relaunched, "token-a", LEASE_MS, NOW);
        await stores.ledger.recordInstance(jobKey(relaunched), "token-a", INSTANCE, `sr-${INSTANCE}`, NOW);
        await stores.ledger.markLaunched(jobKey(relaunched), "token-a", NOW);
        await stores.ledger.relaunch(jobKey(relaunched), INSTANCE, "runner gone", NOW);
        const later = new Date(NOW.getTime() + LEASE_MS + 1);

        // Act
        const takeover = await stores.ledger.claim(crashed, "token-b", LEASE_MS, later);
        const afterRelease = await stores.ledger.claim(released, "token-b", LEASE_MS, later);
        const afterRelaunch = await stores.ledger.claim(relaunched, "token-b", LEASE_MS, later);

        // Assert
        expect(takeover.record?.claimInstanceId).toBe(INSTANCE);
        expect(afterRelease).toMatchObject({ claimed: true, record: { instanceId: INSTANCE } });
        expect(afterRelease.record?.claimInstanceId).toBeUndefined();
        expect(afterRelaunch).toMatchObject({ claimed: true, record: { instanceId: INSTANCE, runnerWritten: true } });
        expect(afterRelaunch.record?.claimInstanceId).toBeUndefined();
      });

      it("removes a write turn an older version kept on the job, at the release and at the launch", async () => {
        // Arrange: claims held (lease live) on records written before turns moved to turn# items.
        const oldTurn = { writeTurnAt: NOW.getTime() + 4_000, writeTurnAppId: 1002 };
        const released = { ...facts(), scopeOwner: "octo-org" };
        const launched = { ...facts(), scopeOwner: "octo-org" };
        const releasedKey = await seed(released, "launching", { ...oldTurn, claimExpiresAt: NOW.getTime() + LEASE_MS });
        const launchedKey = await seed(launched, "launching", { ...oldTurn, claimExpiresAt: NOW.getTime() + LEASE_MS });

        // Act
        const releaseDone = await stores.ledger.release(releasedKey, TOKEN, "limit of pool linux reached", NOW);
        const launchDone = await stores.ledger.markLaunched(launchedKey, TOKEN, NOW);

        // Assert
        expect([releaseDone, launchDone]).toEqual([true, true]);
        for (const key of [releasedKey, launchedKey]) {
          const item = await stores.raw(key);
          expect(item).not.toHaveProperty("writeTurnAt");
          expect(item).not.toHaveProperty("writeTurnAppId");
        }
      });

      it("claims a job the webhook never recorded (ledger outage at the webhook)", async () => {
        // Arrange
        const job = { ...facts(), scopeOwner: "octo-org" };

        // Act
        const result = await stores.ledger.claim(job, TOKEN, LEASE_MS, NOW);

        // Assert
        expect(result).toMatchObject({ claimed: true, record: { pk: jobKey(job), phase: "launching", jobId: job.jobId, pool: "linux", installationId: 42 } });
      });

      it("lets exactly one of many concurrent claims win", async () => {
        // Arrange
        const job = { ...facts(), scopeOwner: "octo-org" };
        await stores.ledger.receive(job, "d-1", NOW);

        // Act
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => stores.ledger.claim(job, `token-${i}`, LEASE_MS, NOW)));

        // Assert
        const winners = results.filter((result) => result.claimed);
        expect(winners).toHaveLength(1);
        expect((await stores.ledger.get(jobKey(job)))?.claimToken).toBe(winners[0]?.record?.claimToken);
      });
    });

    describe("recordInstance and markLaunched", () => {
      it("records the instance with its pointer, then marks the job launched holding its slot", async () => {
        // Arrange
        const job = { ...facts(), scopeOwner: "octo-org" };
        await stores.ledger.claim(job, TOKEN, LEASE_MS, NOW);
        const key = jobKey(job);

        // Act
        const recorded = await stores.ledger.recordInstance(key, TOKEN, INSTANCE, `sr-${INSTANCE}`, NOW);
        const midway = await stores.ledger.get(key);
        const launched = await stores.ledger.markLaunched(key, TOKEN, NOW);

        // Assert
        expect(recorded).toBe(true);
        expect(midway).toMatchObject({ phase: "launching", instanceId: INSTANCE, runnerName: `sr-${INSTANCE}`, runnerWritten: false });
        expect(launched).toBe(true);
        const record = await stores.ledger.get(key);
        expect(record).toMatchObject({ phase: "launched", runnerWritten: true, slotHeld: true, launchedAt: NOW.toISOString() });
        expect(record?.claimToken).toBeUndefined();
        expect(record?.claimExpiresAt).toBeUndefined();
        expect(record?.events?.map((event) => event.what)).toEqual(["claimed", "instance-launched", "launched"]);
        expect(await stores.ledger.jobOfInstance(INSTANCE)).toBe(key);
      });

      it("marks the job launched with its instance and runner in one write (scale-up's launch, no recordInstance)", async () => {
        // Arrange
        const job = { ...facts(), scopeOwner: "octo-org" };
        await stores.ledger.claim(job, TOKEN, LEASE_MS, NOW);
        const key = jobKey(job);

        // Act
        const launched = await stores.ledger.markLaunched(key, TOKEN, NOW, { instanceId: INSTANCE, runnerName: `sr-${INSTANCE}` });
        const again = await stores.ledger.markLaunched(key, TOKEN, NOW, { instanceId: "i-0bbbbbbbbbbbbbbb2", runnerName: "sr-i-0bbbbbbbbbbbbbbb2" });

        // Assert
        expect([launched, again]).toEqual([true, false]);
        const record = await stores.ledger.get(key);
        expect(record).toMatchObject({ phase: "launched", instanceId: INSTANCE, runnerName: `sr-${INSTANCE}`, runnerWritten: true, slotHeld: true });
        expect(record?.claimInstanceId).toBeUndefined();
        expect(record?.events?.map((event) => [event.what, event.detail])).toEqual([["claimed", TOKEN], ["launched", INSTANCE]]);
      });

      it("refuses the launch-with-instance write under a foreign token", async () => {
        // Arrange
        const job = { ...facts(), scopeOwner: "octo-org" };
        await stores.ledger.claim(job, TOKEN, LEASE_MS, NOW);

        // Act
        const launched = await stores.ledger.markLaunched(jobKey(job), "someone-else", NOW, { instanceId: INSTANCE, runnerName: `sr-${INSTANCE}` });

        // Assert
        expect(launched).toBe(false);
        expect(await stores.ledger.get(jobKey(job))).toMatchObject({ phase: "launching" });
        expect((await stores.ledger.get(jobKey(job)))?.instanceId).toBeUndefined();
      });

      it("fails when the token is foreign: nothing is written, no pointer appears", async () => {
        // Arrange
        const job = { ...facts(), scopeOwner: "octo-org" };
        await stores.ledger.claim(job, TOKEN, LEASE_MS, NOW);
        const key = jobKey(job);

        // Act
        const recorded = await stores.ledger.recordInstance(key, "someone-else", INSTANCE, `sr-${INSTANCE}`, NOW);
        const launched = await stores.ledger.markLaunched(key, "someone-else", NOW);

        // Assert
        expect([recorded, launched]).toEqual([false, false]);
        expect(await stores.ledger.get(key)).toMatchObject({ phase: "launching", claimToken: TOKEN });
        expect((await stores.ledger.get(key))?.instanceId).toBeUndefined();
        expect(await stores.ledger.jobOfInstance(INSTANCE)).toBeUndefined();
      });

      it("fails when the job is no longer launching (completed meanwhile)", async () => {
        // Arrange
        const job = { ...facts(), scopeOwner: "octo-org" };
        await stores.ledger.claim(job, TOKEN, LEASE_MS, NOW);
        await stores.ledger.finish(job, "completed", "success", NOW);

        // Act / Assert
        expect(await stores.ledger.recordInstance(jobKey(job), TOKEN, INSTANCE, `sr-${INSTANCE}`, NOW)).toBe(false);
        expect(await stores.ledger.markLaunched(jobKey(job), TOKEN, NOW)).toBe(false);
      });
    });

    describe("release", () => {
      it("gives the job back to received, and a new claim may take it at once", async () => {
        // Arrange
        const job = { ...facts(), scopeOwner: "octo-org" };
        await stores.ledger.claim(job, TOKEN, LEASE_MS, NOW);

        // Act
        const released = await stores.ledger.release(jobKey(job), TOKEN, "limit of pool linux reached", NOW);
        const next = await stores.ledger.claim(job, "token-2", LEASE_MS, NOW);

        // Assert
        expect(released).toBe(true);
        expect(next.claimed).toBe(true);
        expect(next.record?.events?.map((event) => [event.what, event.detail])).toEqual([
          ["claimed", TOKEN],
          ["released", "limit of pool linux reached"],
          ["claimed", "token-2"],
        ]);
      });
    });

    describe("start, finish and pointers", () => {
      it("records the runner that took the job and points its name at the job", async () => {
        // Arrange
        const job = facts();
        await stores.ledger.receive(job, "d-1", NOW);

        // Act
        const started = await stores.ledger.start(job, "sr-i-0bbbbbbbbbbbbbbb1", NOW);

        // Assert
        expect(started).toBe(true);
        expect(await stores.ledger.get(jobKey(job))).toMatchObject({ phase: "running", ranOn: "sr-i-0bbbbbbbbbbbbbbb1" });
        expect(await stores.ledger.jobOfRunner("sr-i-0bbbbbbbbbbbbbbb1")).toBe(jobKey(job));
        expect(await stores.ledger.jobOfRunner("sr-i-0ccccccccccccccc1")).toBeUndefined();
      });

      it("keeps the job's branch facts from the first sighting for the build cache; a later sighting changes nothing", async () => {
        // Arrange
        const job = { ...facts(), headBranch: "feature/x", defaultBranch: "main" };

        // Act
        await stores.ledger.receive(job, "d-1", NOW);
        await stores.ledger.start({ ...job, headBranch: "other" }, "sr-i-0bbbbbbbbbbbbbbb1", NOW);

        // Assert
        expect(await stores.ledger.get(jobKey(job))).toMatchObject({ headBranch: "feature/x", defaultBranch: "main", ranOn: "sr-i-0bbbbbbbbbbbbbbb1" });
      });

      it("records an in_progress seen before queued, with the job's facts", async () => {
        // Arrange
        const job = facts();

        // Act
        await stores.ledger.start(job, undefined, NOW);

        // Assert
        expect(await stores.ledger.get(jobKey(job))).toMatchObject({ phase: "running", jobId: job.jobId, pool: "linux", repository: "octo-org/app" });
      });

      it("returns the record as it was exactly once", async () => {
        // Arrange
        const job = { ...facts(), scopeOwner: "octo-org" };
        await stores.ledger.claim(job, TOKEN, LEASE_MS, NOW);
        await stores.ledger.recordInstance(jobKey(job), TOKEN, INSTANCE, `sr-${INSTANCE}`, NOW);
        await stores.ledger.markLaunched(jobKey(job), TOKEN, NOW);

        // Act
        const results = await Promise.all([
          stores.ledger.finish(job, "completed", "success", NOW),
          stores.ledger.finish(job, "completed", "success", NOW),
          stores.ledger.finish(job, "failed", "failure", NOW),
        ]);

        // Assert
        const changed = results.filter((result) => result !== undefined);
        expect(changed).toHaveLength(1);
        expect(changed[0]).toMatchObject({ phase: "launched", instanceId: INSTANCE, slotHeld: true });
        expect(await stores.ledger.finish(job, "completed", "success", NOW)).toBeUndefined();
        expect(["completed", "failed"]).toContain(await phaseOf(jobKey(job)));
      });

      it("finishes a job never seen before as if it had been received, holding nothing", async () => {
        // Arrange
        const job = facts();

        // Act
        const old = await stores.ledger.finish(job, "cancelled", "cancelled", NOW);

        // Assert
        expect(old).toEqual({ pk: jobKey(job), phase: "received", jobId: job.jobId, runAttempt: 1 });
        expect(await stores.ledger.get(jobKey(job))).toMatchObject({ phase: "cancelled", conclusion: "cancelled" });
      });

      it("drops the claim of a job that completes while launching, so its launch cannot finish", async () => {
        // Arrange
        const job = { ...facts(), scopeOwner: "octo-org" };
        await stores.ledger.claim(job, TOKEN, LEASE_MS, NOW);

        // Act
        await stores.ledger.finish(job, "completed", "success", NOW);

        // Assert
        const record = await stores.ledger.get(jobKey(job));
        expect(record?.claimToken).toBeUndefined();
        expect(record?.phase).toBe("completed");
      });
    });

    describe("expire and relaunch", () => {
      it("marks a job failed with the reason", async () => {
        // Arrange
        const job = facts();
        await stores.ledger.receive(job, "d-1", NOW);

        // Act
        const expired = await stores.ledger.expire(job, "job waited 30000 s", NOW);

        // Assert
        expect(expired).toBe(true);
        expect(await stores.ledger.get(jobKey(job))).toMatchObject({ phase: "failed", failureReason: "job waited 30000 s" });
      });

      it("relaunches only for the instance the job was launched on", async () => {
        // Arrange
        const job = facts();
        const key = await seed(job, "launched");

        // Act
        const foreign = await stores.ledger.relaunch(key, "i-0ffffffffffffffff", "gone", NOW);
        const own = await stores.ledger.relaunch(key, INSTANCE, "gone", NOW);

        // Assert
        expect(foreign).toBeUndefined();
        expect(own).toMatchObject({ phase: "launched", instanceId: INSTANCE });
        expect(await stores.ledger.get(key)).toMatchObject({ phase: "received", relaunches: 1 });
      });
    });

    describe("releaseSlot", () => {
      it("releases a held slot exactly once, and only for the job's own instance", async () => {
        // Arrange
        const job = { ...facts(), scopeOwner: "octo-org" };
        await stores.ledger.claim(job, TOKEN, LEASE_MS, NOW);
        await stores.ledger.recordInstance(jobKey(job), TOKEN, INSTANCE, `sr-${INSTANCE}`, NOW);
        await stores.ledger.markLaunched(jobKey(job), TOKEN, NOW);

        // Act
        const foreign = await stores.ledger.releaseSlot(jobKey(job), "i-0ffffffffffffffff", NOW);
        const concurrent = await Promise.all(Array.from({ length: 10 }, () => stores.ledger.releaseSlot(jobKey(job), INSTANCE, NOW)));
        const later = await stores.ledger.releaseSlot(jobKey(job), INSTANCE, NOW);

        // Assert
        expect(foreign).toBeUndefined();
        const released = concurrent.filter((record) => record !== undefined);
        expect(released).toHaveLength(1);
        expect(released[0]).toMatchObject({ pool: "linux", scopeOwner: "octo-org", slotHeld: false });
        expect(later).toBeUndefined();
      });

      it("releases nothing for a job that never held a slot", async () => {
        // Arrange
        const job = { ...facts(), scopeOwner: "octo-org" };
        await stores.ledger.claim(job, TOKEN, LEASE_MS, NOW);
        await stores.ledger.recordInstance(jobKey(job), TOKEN, INSTANCE, `sr-${INSTANCE}`, NOW);

        // Act / Assert
        expect(await stores.ledger.releaseSlot(jobKey(job), INSTANCE, NOW)).toBeUndefined();
        expect(await stores.ledger.releaseSlot("job#404#1", INSTANCE, NOW)).toBeUndefined();
      });
    });

    describe("markInterrupted and markRerunRequested", () => {
      it("marks an existing job only, and requests a re-run once", async () => {
        // Arrange
        const job = facts();
        await stores.ledger.receive(job, "d-1", NOW);

        // Act
        const interrupted = await stores.ledger.markInterrupted(jobKey(job), NOW);
        const missing = await stores.ledger.markInterrupted("job#404#1", NOW);
        const reruns = await Promise.all([stores.ledger.markRerunRequested(jobKey(job), NOW), stores.ledger.markRerunRequested(jobKey(job), NOW)]);

        // Assert
        expect([interrupted, missing]).toEqual([true, false]);
        expect(reruns.filter(Boolean)).toHaveLength(1);
        expect(await stores.ledger.markRerunRequested("job#404#1", NOW)).toBe(false);
        expect(await stores.ledger.get(jobKey(job))).toMatchObject({ interrupted: true, rerunRequested: true });
        expect(await stores.raw("job#404#1")).toBeUndefined();
      });
    });
  });
}
