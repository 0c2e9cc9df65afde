import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dynamoDbLedger } from "../../../lambdas/ledger/ledger.js";
import type { Ledger } from "../../../lambdas/ledger/ledger.js";
import { takeoverAction } from "../../../lambdas/ledger/phases.js";
import { startDynalite } from "../../helpers/dynalite.js";
import type { LocalDynamoDb } from "../../helpers/dynalite.js";

// Found by the fault-injection suite (test/fault, "out of order"): a relaunched job kept the instance
// and `runnerWritten` of its first launch, so the next claim took them for a crashed attempt's runner,
// "adopted" it and launched nothing; the job waited until the maximum age.

let db: LocalDynamoDb;
let ledger: Ledger;
const now = new Date("2026-03-02T09:00:00Z");
const facts = { jobId: 41, runAttempt: 1, runId: 7, pool: "linux", repository: "octo-org/app", org: "octo-org", installationId: 9, labels: ["linux"] };

beforeAll(async () => {
  db = await startDynalite();
  await db.createTable("sr-jobs");
  ledger = dynamoDbLedger(db.documentClient, "sr-jobs");
});

afterAll(async () => {
  await db.close();
});

describe("ledger relaunch", () => {
  it("forgets the old runner, so the claim after a relaunch launches a new one", async () => {
    // Arrange: launched on i-0aaaaaaaaaaaaaaa1, whose runner then took another job.
    await ledger.receive(facts, "delivery-1", now);
    await ledger.claim({ ...facts, scopeOwner: "octo-org" }, "token-1", 120_000, now);
    await ledger.recordInstance("job#41#1", "token-1", "i-0aaaaaaaaaaaaaaa1", "sr-i-0aaaaaaaaaaaaaaa1", now);
    await ledger.markLaunched("job#41#1", "token-1", now);

    // Act
    const old = await ledger.relaunch("job#41#1", "i-0aaaaaaaaaaaaaaa1", "runner took another job", new Date(now.getTime() + 600_000));
    const claim = await ledger.claim({ ...facts, scopeOwner: "octo-org" }, "token-2", 120_000, new Date(now.getTime() + 610_000));

    // Assert
    expect(old).toMatchObject({ phase: "launched", instanceId: "i-0aaaaaaaaaaaaaaa1", slotHeld: true });
    expect(claim.claimed).toBe(true);
    expect(claim.record).toMatchObject({ phase: "launching", relaunches: 1, slotHeld: false });
    expect(claim.record?.instanceId).toBeUndefined();
    expect(claim.record?.runnerWritten).toBeUndefined();
    expect(takeoverAction({ instanceId: claim.record?.instanceId, runnerWritten: claim.record?.runnerWritten === true })).toBe("launch");
  });

  it("fails when the job's instance is another one: nothing changes", async () => {
    const result = await ledger.relaunch("job#41#1", "i-0bbbbbbbbbbbbbbb2", "runner is gone", new Date(now.getTime() + 700_000));
    expect(result).toBeUndefined();
    expect((await ledger.get("job#41#1"))?.phase).toBe("launching");
  });
});
