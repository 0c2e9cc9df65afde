import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { dynamoDbHealerState } from "../../../../lambdas/libs/ledger/dynamodb-healer-state.js";
import { memoryHealerState, newestPerRepository } from "../../../../lambdas/libs/ledger/healer-state.js";
import type { HealerState } from "../../../../lambdas/libs/ledger/healer-state.js";
import { dynamoDbLedger } from "../../../../lambdas/libs/ledger/dynamodb-store.js";
import { MemoryLedgerTable, memoryLedger } from "../../../../lambdas/libs/ledger/memory-store.js";
import type { Ledger } from "../../../../lambdas/libs/ledger/port.js";
import { nextPageCursor } from "../../../../lambdas/reconcile/adapters/deliveries.js";
import { startDynalite } from "../../../helpers/dynalite.js";

// One contract for both stores of the webhook healer's state, as the ledger's own contract suite.
const db = await startDynalite();
const TABLE = "sr-healer";
const NOW = new Date("2026-03-02T12:00:00Z");
const LATER = new Date(NOW.getTime() + 3 * 24 * 3600_000);

let memoryTable = new MemoryLedgerTable();
const stores: Record<string, () => { state: HealerState; ledger: Ledger }> = {
  memory: () => ({ state: memoryHealerState(memoryTable), ledger: memoryLedger(memoryTable) }),
  dynamodb: () => ({ state: dynamoDbHealerState(db.documentClient, TABLE), ledger: dynamoDbLedger(db.documentClient, TABLE) }),
};

beforeAll(async () => {
  await db.createTable(TABLE);
});
beforeEach(async () => {
  memoryTable = new MemoryLedgerTable();
  await db.clear(TABLE);
});
afterAll(async () => {
  await db.close();
});

describe.each(Object.keys(stores))("healer state on %s", (name) => {
  const open = () => (stores[name] as () => { state: HealerState; ledger: Ledger })();

  it("starts with no cursor and keeps the one saved", async () => {
    const { state } = open();
    expect(await state.loadCursor()).toEqual({});
    await state.saveCursor({ mark: "2026-03-02T11:00:00.000Z", resume: { cursor: "v1_9", until: "2026-03-02T10:00:00.000Z", newest: "2026-03-02T11:02:00.000Z" } }, NOW);
    expect(await state.loadCursor()).toEqual({ mark: "2026-03-02T11:00:00.000Z", resume: { cursor: "v1_9", until: "2026-03-02T10:00:00.000Z", newest: "2026-03-02T11:02:00.000Z" } });
  });

  it("grants a redelivery claim to exactly one of concurrent callers, until it expires", async () => {
    const { state } = open();
    const results = await Promise.all([1, 2, 3].map(() => state.claimRedelivery("guid-1", 42, NOW, LATER)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await state.claimRedelivery("guid-1", 42, new Date(LATER.getTime() - 1000), LATER)).toBe(false);
    expect(await state.claimRedelivery("guid-2", 43, NOW, LATER)).toBe(true);
    expect(await state.claimRedelivery("guid-1", 42, LATER, new Date(LATER.getTime() + 1000))).toBe(true);
  });

  it("lists repositories of jobs received since a time, newest first, once each", async () => {
    const { state, ledger } = open();
    const facts = (jobId: number, repository: string) => ({ jobId, runAttempt: 1, runId: 1, repository, org: "octo-org", pool: "linux", installationId: 7, labels: ["linux"] });
    await ledger.receive(facts(1, "octo-org/a"), "d1", new Date("2026-03-02T09:00:00Z"));
    await ledger.receive(facts(2, "octo-org/b"), "d2", new Date("2026-03-02T10:00:00Z"));
    await ledger.receive(facts(3, "octo-org/a"), "d3", new Date("2026-03-02T11:00:00Z"));
    await ledger.receive(facts(4, "octo-org/old"), "d4", new Date("2026-03-01T09:00:00Z"));

    expect(await state.recentRepositories(new Date("2026-03-02T00:00:00Z"))).toEqual([
      { repository: "octo-org/a", installationId: 7, lastSeenAt: "2026-03-02T11:00:00.000Z" },
      { repository: "octo-org/b", installationId: 7, lastSeenAt: "2026-03-02T10:00:00.000Z" },
    ]);
  });

  // A warm runner's item names `owner/*` (warm.ts), not a repository GitHub could list jobs of.
  it("leaves warm-pool items out", async () => {
    const { state, ledger } = open();
    await ledger.receive({ jobId: 5, runAttempt: 1, runId: 5, repository: "octo-org/*", org: "octo-org", pool: "linux", installationId: 7, labels: [], kind: "warm" }, "warm-pool", NOW);

    expect(await state.recentRepositories(new Date("2026-03-02T00:00:00Z"))).toEqual([]);
  });
});

describe("newestPerRepository", () => {
  const SINCE = new Date("2026-03-02T10:00:00.000Z");
  const job = (repository: string, receivedAt: string, installationId: unknown = 7) => ({ pk: `job#${repository}#${receivedAt}`, repository, receivedAt, installationId });

  it("keeps each repository's newest sighting whatever the item order, newest first, then by name", () => {
    // Arrange: the newer sighting of `a` comes first; `b` and `c` tie.
    const items = [job("octo-org/a", "2026-03-02T11:30:00.000Z", 8), job("octo-org/c", "2026-03-02T11:00:00.000Z"), job("octo-org/a", "2026-03-02T10:30:00.000Z"), job("octo-org/b", "2026-03-02T11:00:00.000Z"), job("octo-org/d", "2026-03-02T12:00:00.000Z")];

    // Act / Assert
    expect(newestPerRepository(items, SINCE)).toEqual([
      { repository: "octo-org/d", installationId: 7, lastSeenAt: "2026-03-02T12:00:00.000Z" },
      { repository: "octo-org/a", installationId: 8, lastSeenAt: "2026-03-02T11:30:00.000Z" },
      { repository: "octo-org/b", installationId: 7, lastSeenAt: "2026-03-02T11:00:00.000Z" },
      { repository: "octo-org/c", installationId: 7, lastSeenAt: "2026-03-02T11:00:00.000Z" },
    ]);
  });

  it("counts a job received exactly at `since`, not one a millisecond before", () => {
    expect(newestPerRepository([job("octo-org/at", "2026-03-02T10:00:00.000Z"), job("octo-org/before", "2026-03-02T09:59:59.999Z")], SINCE).map((r) => r.repository)).toEqual(["octo-org/at"]);
  });

  it("skips items without a repository, a receive time or an installation", () => {
    const items = [
      { pk: "job#1#1", receivedAt: "2026-03-02T11:00:00.000Z", installationId: 7 },
      { pk: "job#2#1", repository: "octo-org/no-time", installationId: 7 },
      { pk: "job#3#1", repository: "octo-org/no-installation", receivedAt: "2026-03-02T11:00:00.000Z" },
      job("octo-org/kept", "2026-03-02T11:00:00.000Z"),
    ];
    expect(newestPerRepository(items, SINCE).map((r) => r.repository)).toEqual(["octo-org/kept"]);
  });
});

describe("the delivery log's Link header", () => {
  it("gives the cursor of the next page, or none on the last page", () => {
    const link = '<https://api.github.com/app/hook/deliveries?per_page=100&cursor=v1_6541231>; rel="next", <https://api.github.com/app/hook/deliveries?per_page=100>; rel="first"';
    expect(nextPageCursor(link)).toBe("v1_6541231");
    expect(nextPageCursor('<https://api.github.com/app/hook/deliveries?per_page=100>; rel="first"')).toBeUndefined();
    expect(nextPageCursor(undefined)).toBeUndefined();
  });
});
