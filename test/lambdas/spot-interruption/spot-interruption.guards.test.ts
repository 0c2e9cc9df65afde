import { beforeEach, describe, expect, it } from "vitest";
import { memoryLimitCounters } from "../../../lambdas/libs/ledger/memory-counters.js";
import { MemoryLedgerTable, memoryLedger } from "../../../lambdas/libs/ledger/memory-store.js";
import { jobKey } from "../../../lambdas/libs/ledger/phases.js";
import type { Ledger, LimitCounters } from "../../../lambdas/libs/ledger/port.js";
import type { JobRecord } from "../../../lambdas/libs/ledger/types.js";
import { handleInterruption } from "../../../lambdas/spot-interruption/spot-interruption.js";
import type { InstanceTags, SpotInterruptionDeps } from "../../../lambdas/spot-interruption/spot-interruption.js";
import { jobFacts, seedLaunchedJob } from "../../helpers/ledger.js";
import { quietPowertools } from "../../helpers/powertools.js";

quietPowertools();

// The spot handler's guards, one test per mutant Stryker left alive in spot-interruption.ts
// (docs/reliability.md, "Mutation testing"): tags naming no owner or installation, a runner pointer to a
// job another runner runs, a relaunch that loses its race or has no message to rebuild, and the limit
// slots released only for a job that held one under a known pool and scope owner.

const PREFIX = "sr";
const OWNER = "octo-org";
const INSTALLATION = 52103487;
const EARLIER = new Date("2024-06-11T11:50:00Z");
const NOW = new Date("2024-06-11T12:00:00Z");
const INSTANCE = "i-0aaaaaaaaaaaaaaa1";
const RUNNER = `${PREFIX}-${INSTANCE}`;

let table: MemoryLedgerTable;
let ledger: Ledger;
let counters: LimitCounters;

/** The doubles and what they saw. */
interface Seen {
  lookups: Array<{ owner: string; installationId: number }>;
  deregistered: number[];
  released: string[];
  sent: string[];
}

function deps(options: { tags?: InstanceTags; runnerId?: number | undefined; ledger?: Ledger } = {}): { deps: SpotInterruptionDeps; seen: Seen } {
  const seen: Seen = { lookups: [], deregistered: [], released: [], sent: [] };
  const runnerId = "runnerId" in options ? options.runnerId : 77;
  return {
    seen,
    deps: {
      prefix: PREFIX,
      describe: async () => options.tags ?? { prefix: PREFIX, owner: OWNER, installationId: INSTALLATION },
      runnerIdOf: async (_instanceId, owner, installationId) => {
        seen.lookups.push({ owner, installationId });
        return runnerId;
      },
      deregister: async (_owner, _installationId, id) => {
        seen.deregistered.push(id);
        return "deleted";
      },
      ledger: options.ledger ?? ledger,
      counters: {
        ...counters,
        release: async (key, units) => {
          seen.released.push(key);
          await counters.release(key, units);
        },
      },
      requeue: async (_pool, body) => {
        seen.sent.push(body);
      },
      now: () => NOW,
    },
  };
}

/** The ledger, with `relaunch` answering what `change` makes of the record it returns. */
function relaunchAnswers(change: (old: JobRecord | undefined) => JobRecord | undefined): Ledger {
  return { ...ledger, relaunch: async (...args) => change(await ledger.relaunch(...args)) };
}

beforeEach(async () => {
  table = new MemoryLedgerTable();
  ledger = memoryLedger(table);
  counters = memoryLimitCounters(table);
  await seedLaunchedJob(ledger, counters, { facts: jobFacts(7), instanceId: INSTANCE, prefix: PREFIX, scopeOwner: OWNER, at: EARLIER });
});

describe("tags that name no owner or no installation", () => {
  const cases: Array<{ name: string; tags: InstanceTags }> = [
    { name: "no owner", tags: { prefix: PREFIX, owner: undefined, installationId: INSTALLATION } },
    { name: "no installation", tags: { prefix: PREFIX, owner: OWNER, installationId: undefined } },
  ];

  it.each(cases)("asks GitHub nothing and relaunches nothing for an instance with $name", async ({ tags }) => {
    // Arrange
    const { deps: handler, seen } = deps({ tags });

    // Act
    const outcome = await handleInterruption(INSTANCE, handler);

    // Assert: without a deregistration the runner may still take the job, so it stays launched.
    expect(seen.lookups).toEqual([]);
    expect(seen.deregistered).toEqual([]);
    expect(outcome).toMatchObject({ ours: true, deregistered: "skipped", relaunched: undefined });
    expect(seen.sent).toEqual([]);
    expect(await ledger.get(jobKey(jobFacts(7)))).toMatchObject({ phase: "launched", slotHeld: true });
  });

  it("deregisters nothing when GitHub knows no runner by the instance's name", async () => {
    // Arrange
    const { deps: handler, seen } = deps({ runnerId: undefined });

    // Act
    const outcome = await handleInterruption(INSTANCE, handler);

    // Assert
    expect(seen.lookups).toEqual([{ owner: OWNER, installationId: INSTALLATION }]);
    expect(seen.deregistered).toEqual([]);
    expect(outcome.deregistered).toBe("skipped");
  });
});

describe("a runner pointer to a job another runner runs", () => {
  it("marks that job nothing and relaunches the job the instance was launched for", async () => {
    // Arrange: job 8 runs on another runner; a stale pointer from this runner still names it.
    const other = `${PREFIX}-i-0bbbbbbbbbbbbbbb2`;
    await ledger.start(jobFacts(8), other, EARLIER);
    const stale: Ledger = { ...ledger, jobOfRunner: async (name) => (name === RUNNER ? jobKey(jobFacts(8)) : ledger.jobOfRunner(name)) };
    const { deps: handler } = deps({ ledger: stale });

    // Act
    const outcome = await handleInterruption(INSTANCE, handler);

    // Assert
    expect(outcome.interruptedJob).toBeUndefined();
    expect(outcome.relaunched).toBe(jobKey(jobFacts(7)));
    expect((await ledger.get(jobKey(jobFacts(7))))?.events?.at(-1)).toMatchObject({ what: "relaunch", detail: `${INSTANCE}: spot interruption before the runner took a job` });
    const running = await ledger.get(jobKey(jobFacts(8)));
    expect(running).toMatchObject({ phase: "running", ranOn: other });
    expect(running?.interrupted).toBeUndefined();
  });
});

describe("the relaunch", () => {
  it("sends nothing and releases nothing when another writer relaunched the job first", async () => {
    // Arrange: the ledger's conditional write refuses (the record is no longer launched for this instance).
    const { deps: handler, seen } = deps({ ledger: relaunchAnswers(() => undefined) });

    // Act
    const outcome = await handleInterruption(INSTANCE, handler);

    // Assert
    expect(outcome).toMatchObject({ deregistered: "deleted", relaunched: undefined });
    expect(seen.sent).toEqual([]);
    expect(seen.released).toEqual([]);
  });

  it("frees the slot but sends nothing when no message can be rebuilt from the record", async () => {
    // Arrange: a record without its run id (written before the field existed).
    const { deps: handler, seen } = deps({ ledger: relaunchAnswers((old) => (old === undefined ? undefined : { ...old, runId: undefined })) });

    // Act
    const outcome = await handleInterruption(INSTANCE, handler);

    // Assert
    expect(outcome.relaunched).toBeUndefined();
    expect(seen.sent).toEqual([]);
    expect(seen.released).toEqual(["limit#global", "limit#pool#linux", `limit#owner#${OWNER}`]);
  });

  const noSlot: Array<{ name: string; change: Partial<JobRecord> }> = [
    { name: "held no slot", change: { slotHeld: false } },
    { name: "has no pool", change: { pool: undefined } },
    { name: "has no scope owner", change: { scopeOwner: undefined } },
  ];

  it.each(noSlot)("releases no limit slot for a job that $name", async ({ change }) => {
    // Arrange: releasing anyway would let the counters drift below the fleet.
    const { deps: handler, seen } = deps({ ledger: relaunchAnswers((old) => (old === undefined ? undefined : { ...old, ...change })) });

    // Act
    await handleInterruption(INSTANCE, handler);

    // Assert
    expect(seen.released).toEqual([]);
    expect(await Promise.all(["limit#global", "limit#pool#linux", `limit#owner#${OWNER}`].map((key) => table.items.get(key)?.inUse))).toEqual([1, 1, 1]);
  });
});

describe("a busy runner whose job the ledger does not know yet", () => {
  const other = `${PREFIX}-i-0bbbbbbbbbbbbbbb2`;
  const busy = (handler: SpotInterruptionDeps): SpotInterruptionDeps => ({ ...handler, deregister: async () => "busy" });
  const pointingTo = (key: string): Ledger => ({ ...ledger, jobOfRunner: async (name) => (name === RUNNER ? key : ledger.jobOfRunner(name)) });

  it("marks no job that its stale pointer names but another runner runs", async () => {
    // Arrange
    await ledger.start(jobFacts(8), other, EARLIER);

    // Act
    const outcome = await handleInterruption(INSTANCE, busy(deps({ ledger: pointingTo(jobKey(jobFacts(8))) }).deps));

    // Assert
    expect(outcome).toMatchObject({ deregistered: "busy", interruptedJob: undefined });
    expect((await ledger.get(jobKey(jobFacts(8))))?.interrupted).toBeUndefined();
  });

  it("marks nothing when its pointer names a job the ledger no longer holds", async () => {
    // Act
    const outcome = await handleInterruption(INSTANCE, busy(deps({ ledger: pointingTo(jobKey(jobFacts(9))) }).deps));

    // Assert
    expect(outcome).toMatchObject({ deregistered: "busy", interruptedJob: undefined });
  });

  it("marks no job that failed on its own before the runner took the next (it must not be re-run)", async () => {
    // Arrange: job 8 failed on this runner (its pointer stays); the runner took a job not known yet.
    await ledger.start(jobFacts(8), RUNNER, EARLIER);
    await ledger.finish(jobFacts(8), "failed", "failure", EARLIER);

    // Act
    const outcome = await handleInterruption(INSTANCE, busy(deps().deps));

    // Assert
    expect(outcome).toMatchObject({ deregistered: "busy", interruptedJob: undefined });
    expect((await ledger.get(jobKey(jobFacts(8))))?.interrupted).toBeUndefined();
  });
});
