import { describe, expect, it } from "vitest";
import { dynamoDbLedger } from "../../../../lambdas/libs/ledger/dynamodb-store.js";
import { carryRunnerInterruption, interruptedByRunner } from "../../../../lambdas/libs/ledger/interrupted-runner.js";
import { memoryLedger } from "../../../../lambdas/libs/ledger/memory-store.js";
import { jobKey } from "../../../../lambdas/libs/ledger/phases.js";
import type { Ledger } from "../../../../lambdas/libs/ledger/port.js";
import { dynalitePerFile } from "../../../helpers/dynalite-per-file.js";
import { jobFacts } from "../../../helpers/ledger.js";

// The note a spot warning leaves on a runner GitHub refused to deregister (issue 15), on both stores.

const WARNED = new Date("2026-11-23T10:00:00.000Z");
const LATER = new Date("2026-11-23T10:03:00.000Z");
const RUNNER = "sr-i-0aaaaaaaaaaaaaaa1";

describe("interruptedByRunner", () => {
  it("counts a known job of a warned runner once", () => {
    // Act / Assert
    expect(interruptedByRunner(WARNED, {})).toBe(true);
    expect(interruptedByRunner(WARNED, { interrupted: true })).toBe(false);
    expect(interruptedByRunner(undefined, {})).toBe(false);
    expect(interruptedByRunner(WARNED, undefined)).toBe(false);
  });
});

describe("carryRunnerInterruption", () => {
  // Every in_progress and failed delivery asks; the usual answer (no runner name, no note) costs at most one read.
  it("reads nothing without a runner name, and not the job when its runner has no note", async () => {
    // Arrange: a memory ledger that counts its reads.
    const ledger = memoryLedger();
    await ledger.start(jobFacts(7), RUNNER, WARNED);
    const reads: string[] = [];
    const counted: Ledger = {
      ...ledger,
      runnerInterruptedAt: async (name) => (reads.push(`note ${name}`), ledger.runnerInterruptedAt(name)),
      get: async (key) => (reads.push(`job ${key}`), ledger.get(key)),
    };

    // Act
    const unnamed = await carryRunnerInterruption(counted, jobKey(jobFacts(7)), undefined, LATER);
    const unwarned = await carryRunnerInterruption(counted, jobKey(jobFacts(7)), RUNNER, LATER);

    // Assert
    expect([unnamed, unwarned]).toEqual([false, false]);
    expect(reads).toEqual([`note ${RUNNER}`]);
  });
});

const dynalite = dynalitePerFile();

const stores: Array<[string, () => Promise<Ledger>]> = [
  ["memory", async () => memoryLedger()],
  [
    "dynamodb",
    async () => {
      const table = await dynalite.freshTable("interrupted");
      return dynamoDbLedger(dynalite.db.documentClient, table);
    },
  ],
];

describe.each(stores)("the interrupted-runner note (%s store)", (_name, make) => {
  it("keeps the first warning time and knows nothing of other runners", async () => {
    // Arrange
    const ledger = await make();

    // Act
    await ledger.markRunnerInterrupted(RUNNER, WARNED);
    await ledger.markRunnerInterrupted(RUNNER, LATER);

    // Assert
    expect(await ledger.runnerInterruptedAt(RUNNER)).toEqual(WARNED);
    expect(await ledger.runnerInterruptedAt("sr-i-0bbbbbbbbbbbbbbb1")).toBeUndefined();
  });

  it("marks the job a warned runner ran interrupted, once; a job of an unwarned runner stays unmarked", async () => {
    // Arrange
    const ledger = await make();
    await ledger.markRunnerInterrupted(RUNNER, WARNED);
    await ledger.start(jobFacts(7), RUNNER, LATER);
    await ledger.start(jobFacts(8), "sr-i-0bbbbbbbbbbbbbbb1", LATER);

    // Act
    const first = await carryRunnerInterruption(ledger, jobKey(jobFacts(7)), RUNNER, LATER);
    const again = await carryRunnerInterruption(ledger, jobKey(jobFacts(7)), RUNNER, LATER);
    const other = await carryRunnerInterruption(ledger, jobKey(jobFacts(8)), "sr-i-0bbbbbbbbbbbbbbb1", LATER);
    const unnamed = await carryRunnerInterruption(ledger, jobKey(jobFacts(8)), undefined, LATER);

    // Assert
    expect([first, again, other, unnamed]).toEqual([true, false, false, false]);
    expect(await ledger.get(jobKey(jobFacts(7)))).toMatchObject({ phase: "running", interrupted: true });
    expect((await ledger.get(jobKey(jobFacts(8))))?.interrupted).toBeUndefined();
  });
});
