import { describe, expect, it } from "vitest";
import { dynamoDbLedger } from "../../../lambdas/ledger/ledger.js";
import { dynamoDbLimitCounters } from "../../../lambdas/ledger/counters.js";
import { startDynalite } from "../../helpers/dynalite.js";

describe("smoke", () => {
  it("works", async () => {
    const db = await startDynalite();
    await db.createTable("jobs");
    const ledger = dynamoDbLedger(db.documentClient, "jobs");
    const now = new Date("2026-11-23T10:00:00Z");
    const facts = { jobId: 1, runAttempt: 1, pool: "linux", repository: "o/r", org: "o", installationId: 9, labels: ["linux"] };
    console.log(await ledger.receive(facts, "d1", now));
    console.log(await ledger.receive(facts, "d2", now));
    const c = await ledger.claim({ ...facts, scopeOwner: "o/r" }, "t1", 60000, now);
    console.log(c);
    console.log(await ledger.claim({ ...facts, scopeOwner: "o/r" }, "t2", 60000, now));
    console.log(await ledger.recordInstance("job#1#1", "t1", "i-1", "sr-i-1", now));
    console.log(await ledger.markLaunched("job#1#1", "t1", now));
    console.log(await ledger.activeJobs());
    console.log(await ledger.finish(facts, "completed", "success", now));
    console.log(await ledger.finish(facts, "completed", "success", now));
    const counters = dynamoDbLimitCounters(db.documentClient, "jobs");
    console.log(await counters.reserve("limit#global", 5, 7), await counters.reserve("limit#global", 5, 7), await counters.reserve("limit#global", 5, 7));
    await counters.release("limit#global", 3);
    console.log(await counters.read(["limit#global", "limit#x"]));
    await db.close();
    expect(1).toBe(1);
  });
});
