import { beforeEach, describe, expect, it } from "vitest";
import { jobKey } from "../../../../lambdas/libs/ledger/phases.js";
import { QUEUE_RESEND_WINDOW_MS } from "../../../../lambdas/libs/ledger/types.js";
import { LEASE_MS, NOW, facts } from "./ledger-contract.js";
import type { LedgerStores } from "./ledger-contract.js";

/**
 * The queueing lease (issue 17), taken in the same write that records the sighting (issue 14): of
 * concurrent sightings of a job exactly one may queue it, and a lease whose owner crashed runs out
 * inside the re-send window. Every store must pass it.
 */
export function describeQueueingLeaseContract(name: string, makeStores: () => Promise<LedgerStores>): void {
  describe(`queueing lease contract: ${name}`, () => {
    let stores: LedgerStores;

    beforeEach(async () => {
      stores = await makeStores();
    });

    describe("queueing lease (one sighting records and queues the job in one write)", () => {
      const at = (ms: number) => new Date(NOW.getTime() + ms);

      it("lets exactly one of 20 concurrent sightings of a new job take the lease, and records every delivery id", async () => {
        // Arrange
        const job = facts();
        const key = jobKey(job);

        // Act
        const sightings = await Promise.all(Array.from({ length: 20 }, (_, i) => stores.ledger.receiveToQueue(job, `d-${i}`, LEASE_MS, NOW)));

        // Assert
        const won = sightings.map((sighting) => sighting.leased);
        expect(won.filter(Boolean)).toHaveLength(1);
        const winner = `d-${won.indexOf(true)}`;
        const losers = sightings.flatMap((sighting) => (sighting.leased ? [] : [sighting.record.queueLeaseOwner]));
        expect(losers.every((owner) => owner === winner || owner === undefined)).toBe(true);
        const record = await stores.ledger.get(key);
        expect(record).toMatchObject({ phase: "received", pool: "linux", queueLeaseOwner: winner, queueLeaseExpiresAt: NOW.getTime() + LEASE_MS, queuedAt: NOW.toISOString() });
        expect(record?.deliveryIds).toHaveLength(20);
      });

      it("refuses a lease while another is live, grants it once that one ran out inside the re-send window, never after", async () => {
        // Arrange
        const job = facts();
        const key = jobKey(job);
        await stores.ledger.receiveToQueue(job, "d-1", LEASE_MS, NOW);

        // Act
        const whileLive = await stores.ledger.receiveToQueue(job, "d-2", LEASE_MS, at(LEASE_MS - 1));
        const afterCrash = await stores.ledger.receiveToQueue(job, "d-2", LEASE_MS, at(LEASE_MS + 1));
        const afterWindow = await stores.ledger.receiveToQueue(job, "d-3", LEASE_MS, at(QUEUE_RESEND_WINDOW_MS + 1));

        // Assert
        expect([whileLive.leased, afterCrash.leased, afterWindow.leased]).toEqual([false, true, false]);
        const record = await stores.ledger.get(key);
        expect(record).toMatchObject({ queueLeaseOwner: "d-2", queuedAt: NOW.toISOString(), deliveryIds: ["d-1", "d-2", "d-3"] });
      });

      it("refuses a job queued by an older version (queuedAt without a lease), past received, or already claimed by scale-up", async () => {
        // Arrange
        const queued = facts();
        await stores.put({ pk: jobKey(queued), phase: "received", kind: "job", jobId: queued.jobId, runAttempt: 1, pool: "linux", queuedAt: NOW.toISOString() });
        const claimed = facts();
        await stores.ledger.claim({ ...claimed, scopeOwner: "octo-org" }, "token-1", LEASE_MS, NOW);

        // Act
        const results = await Promise.all([stores.ledger.receiveToQueue(queued, "d-2", LEASE_MS, at(LEASE_MS + 1)), stores.ledger.receiveToQueue(claimed, "d-2", LEASE_MS, NOW)]);

        // Assert
        expect(results.map((result) => [result.leased, result.leased ? undefined : result.record.phase])).toEqual([
          [false, "received"],
          [false, "launching"],
        ]);
      });

      it("gives the lease back for its owner only, so the next sighting queues at once", async () => {
        // Arrange
        const job = facts();
        const key = jobKey(job);
        await stores.ledger.receiveToQueue(job, "d-1", LEASE_MS, NOW);

        // Act
        const foreign = await stores.ledger.releaseQueueing(key, "d-2", NOW);
        const own = await stores.ledger.releaseQueueing(key, "d-1", NOW);
        const next = await stores.ledger.receiveToQueue(job, "d-3", LEASE_MS, at(QUEUE_RESEND_WINDOW_MS + 1));

        // Assert
        expect([foreign, own, next.leased]).toEqual([false, true, true]);
        expect(await stores.ledger.get(key)).toMatchObject({ queueLeaseOwner: "d-3", queuedAt: at(QUEUE_RESEND_WINDOW_MS + 1).toISOString() });
      });

      it("changes nothing on release once scale-up took the job", async () => {
        // Arrange
        const job = facts();
        const key = jobKey(job);
        await stores.ledger.receiveToQueue(job, "d-1", LEASE_MS, NOW);
        await stores.ledger.claim({ ...job, scopeOwner: "octo-org" }, "token-1", LEASE_MS, NOW);

        // Act
        const released = await stores.ledger.releaseQueueing(key, "d-1", NOW);

        // Assert
        expect(released).toBe(false);
        expect(await stores.ledger.get(key)).toMatchObject({ phase: "launching", queueLeaseOwner: "d-1", queuedAt: NOW.toISOString() });
      });
    });
  });
}
