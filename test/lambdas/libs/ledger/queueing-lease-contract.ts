import { beforeEach, describe, expect, it } from "vitest";
import { jobKey } from "../../../../lambdas/libs/ledger/phases.js";
import { LEASE_MS, NOW, facts } from "./ledger-contract.js";
import type { LedgerStores } from "./ledger-contract.js";

/**
 * The queueing lease (issue 17): of concurrent sightings of a job exactly one may queue it, and a
 * lease whose owner crashed runs out. Every store must pass it.
 */
export function describeQueueingLeaseContract(name: string, makeStores: () => Promise<LedgerStores>): void {
  describe(`queueing lease contract: ${name}`, () => {
    let stores: LedgerStores;

    beforeEach(async () => {
      stores = await makeStores();
    });

    describe("queueing lease (one sighting queues the job)", () => {
      it("lets exactly one of 20 concurrent sightings take the lease", async () => {
        // Arrange
        const job = facts();
        const key = jobKey(job);
        await stores.ledger.receive(job, "d-0", NOW);

        // Act
        const won = await Promise.all(Array.from({ length: 20 }, (_, i) => stores.ledger.leaseQueueing(key, `d-${i}`, LEASE_MS, NOW)));

        // Assert
        expect(won.filter(Boolean)).toHaveLength(1);
        const winner = `d-${won.indexOf(true)}`;
        expect(await stores.ledger.get(key)).toMatchObject({ phase: "received", queueLeaseOwner: winner, queueLeaseExpiresAt: NOW.getTime() + LEASE_MS });
      });

      it("refuses a lease while another is live, and grants it once that one ran out without the job queued", async () => {
        // Arrange
        const job = facts();
        const key = jobKey(job);
        await stores.ledger.receive(job, "d-1", NOW);
        await stores.ledger.leaseQueueing(key, "d-1", LEASE_MS, NOW);

        // Act
        const whileLive = await stores.ledger.leaseQueueing(key, "d-2", LEASE_MS, new Date(NOW.getTime() + LEASE_MS - 1));
        const afterCrash = await stores.ledger.leaseQueueing(key, "d-2", LEASE_MS, new Date(NOW.getTime() + LEASE_MS + 1));

        // Assert
        expect([whileLive, afterCrash]).toEqual([false, true]);
        expect((await stores.ledger.get(key))?.queueLeaseOwner).toBe("d-2");
      });

      it("fails when the job is queued already, past received, or unknown", async () => {
        // Arrange
        const queued = facts();
        await stores.ledger.receive(queued, "d-1", NOW);
        await stores.ledger.markQueued(jobKey(queued), NOW);
        const claimed = facts();
        await stores.ledger.receive(claimed, "d-1", NOW);
        await stores.ledger.claim({ ...claimed, scopeOwner: "octo-org" }, "token-1", LEASE_MS, NOW);

        // Act
        const results = await Promise.all([
          stores.ledger.leaseQueueing(jobKey(queued), "d-2", LEASE_MS, NOW),
          stores.ledger.leaseQueueing(jobKey(claimed), "d-2", LEASE_MS, NOW),
          stores.ledger.leaseQueueing("job#404#1", "d-2", LEASE_MS, NOW),
        ]);

        // Assert
        expect(results).toEqual([false, false, false]);
        expect(await stores.raw("job#404#1")).toBeUndefined();
      });

      it("gives the lease back for its owner only, so the next sighting queues at once", async () => {
        // Arrange
        const job = facts();
        const key = jobKey(job);
        await stores.ledger.receive(job, "d-1", NOW);
        await stores.ledger.leaseQueueing(key, "d-1", LEASE_MS, NOW);

        // Act
        const foreign = await stores.ledger.releaseQueueing(key, "d-2", NOW);
        const own = await stores.ledger.releaseQueueing(key, "d-1", NOW);
        const next = await stores.ledger.leaseQueueing(key, "d-3", LEASE_MS, NOW);

        // Assert
        expect([foreign, own, next]).toEqual([false, true, true]);
      });

      it("ends the lease when the job is marked queued; a late release then changes nothing", async () => {
        // Arrange
        const job = facts();
        const key = jobKey(job);
        await stores.ledger.receive(job, "d-1", NOW);
        await stores.ledger.leaseQueueing(key, "d-1", LEASE_MS, NOW);

        // Act
        await stores.ledger.markQueued(key, NOW);
        const released = await stores.ledger.releaseQueueing(key, "d-1", NOW);

        // Assert
        expect(released).toBe(false);
        const record = await stores.ledger.get(key);
        expect(record).toMatchObject({ phase: "received", queuedAt: NOW.toISOString() });
        expect(record?.queueLeaseOwner).toBeUndefined();
        expect(record?.queueLeaseExpiresAt).toBeUndefined();
      });
    });
  });
}
