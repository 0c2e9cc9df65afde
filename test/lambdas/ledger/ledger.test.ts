import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { dynamoDbLedger } from "../../../lambdas/ledger/ledger.js";
import type { JobFacts, JobRecord, Ledger } from "../../../lambdas/ledger/ledger.js";
import { PHASES, TRANSITIONS, canTransition, instanceKey, jobKey, runnerKey } from "../../../lambdas/ledger/phases.js";
import type { Phase, Transition } from "../../../lambdas/ledger/phases.js";
import { startDynalite } from "../../helpers/dynalite.js";
import type { LocalDynamoDb } from "../../helpers/dynalite.js";

// The ledger against a real DynamoDB-protocol server: its guarantees are condition expressions, which
// only a server evaluates.

const NOW = new Date("2026-11-23T10:00:00.000Z");
const LEASE_MS = 120_000;
const INSTANCE = "i-0aaaaaaaaaaaaaaa1";
const TOKEN = "token-1";

let db: LocalDynamoDb;
let table = "";
let ledger: Ledger;
let tables = 0;
let nextJobId = 5000;

function facts(overrides: Partial<JobFacts> = {}): JobFacts {
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

/** Puts the job straight into `phase`, as the writes of an earlier invocation would have left it. */
async function seed(job: JobFacts, phase: Phase | undefined, extra: Record<string, unknown> = {}): Promise<string> {
  const key = jobKey(job);
  if (phase === undefined) return key;
  await db.documentClient.send(
    new PutCommand({
      TableName: table,
      Item: {
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
      },
    }),
  );
  return key;
}

async function phaseOf(key: string): Promise<Phase | undefined> {
  return (await ledger.get(key))?.phase;
}

beforeAll(async () => {
  db = await startDynalite();
});

beforeEach(async () => {
  tables += 1;
  table = `jobs-${tables}`;
  await db.createTable(table);
  ledger = dynamoDbLedger(db.documentClient, table);
});

afterAll(async () => {
  await db.close();
});

/**
 * Each transition's write, as the ledger's callers make it, resolving to whether the phase changed. A
 * Record over every Transition: adding one to phases.ts without a case here fails to compile.
 */
const WRITES: Record<Transition, (job: JobFacts, key: string) => Promise<boolean>> = {
  receive: async (job) => {
    const before = await ledger.get(jobKey(job));
    const after = await ledger.receive(job, "delivery-x", NOW);
    return before?.phase !== after.phase || before === undefined;
  },
  claim: async (job) => (await ledger.claim({ ...job, scopeOwner: "octo-org" }, "token-2", LEASE_MS, NOW)).claimed,
  release: async (_job, key) => ledger.release(key, TOKEN, "limit reached", NOW),
  launch: async (_job, key) => ledger.markLaunched(key, TOKEN, NOW),
  start: async (job) => ledger.start(job, "sr-i-0bbbbbbbbbbbbbbb1", NOW),
  finish: async (job) => (await ledger.finish(job, "completed", "success", NOW)) !== undefined,
  relaunch: async (_job, key) => (await ledger.relaunch(key, INSTANCE, "runner gone", NOW)) !== undefined,
  expire: async (job) => ledger.expire(job, "too old", NOW),
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
    const first = await ledger.receive(job, "d-1", NOW);
    const again = await ledger.receive(job, "d-1", NOW);
    const second = await ledger.receive({ ...job, pool: "gpu", labels: ["gpu"] }, "d-2", new Date(NOW.getTime() + 60_000));

    // Assert
    expect(first).toMatchObject({ pk: jobKey(job), phase: "received", kind: "job", jobId: job.jobId, runAttempt: 1, pool: "linux", deliveryIds: ["d-1"] });
    expect(again.deliveryIds).toEqual(["d-1"]);
    expect(second).toMatchObject({ phase: "received", pool: "linux", labels: ["self-hosted", "linux"], receivedAt: NOW.toISOString(), deliveryIds: ["d-1", "d-2"] });
  });

  it("remembers that the job is on its queue, for existing jobs only", async () => {
    // Arrange
    const job = facts();
    await ledger.receive(job, "d-1", NOW);

    // Act
    const marked = await ledger.markQueued(jobKey(job), NOW);
    const missing = await ledger.markQueued("job#404#1", NOW);
    const again = await ledger.receive(job, "d-2", NOW);

    // Assert
    expect([marked, missing]).toEqual([true, false]);
    expect(again).toMatchObject({ phase: "received", queuedAt: NOW.toISOString() });
    expect(await ledger.get("job#404#1")).toBeUndefined();
  });

  it("keeps the phase of a job already past received", async () => {
    // Arrange
    const job = facts();
    await ledger.receive(job, "d-1", NOW);
    await ledger.claim({ ...job, scopeOwner: "octo-org" }, TOKEN, LEASE_MS, NOW);

    // Act
    const record = await ledger.receive(job, "d-2", NOW);

    // Assert
    expect(record.phase).toBe("launching");
    expect(record.claimToken).toBe(TOKEN);
  });

  it("keeps a re-run apart from the first attempt", async () => {
    // Arrange
    const job = facts();
    await ledger.receive(job, "d-1", NOW);
    await ledger.claim({ ...job, scopeOwner: "octo-org" }, TOKEN, LEASE_MS, NOW);

    // Act
    const rerun = await ledger.receive({ ...job, runAttempt: 2 }, "d-2", NOW);

    // Assert
    expect(rerun).toMatchObject({ pk: `job#${job.jobId}#2`, phase: "received" });
  });
});

describe("claim", () => {
  it("refuses a claim while another lease is live, and reports the live claim", async () => {
    // Arrange
    const job = { ...facts(), scopeOwner: "octo-org" };
    await ledger.receive(job, "d-1", NOW);
    const first = await ledger.claim(job, "token-a", LEASE_MS, NOW);

    // Act
    const second = await ledger.claim(job, "token-b", LEASE_MS, new Date(NOW.getTime() + LEASE_MS - 1));

    // Assert
    expect(first.claimed).toBe(true);
    expect(first.record).toMatchObject({ phase: "launching", claimToken: "token-a", claimExpiresAt: NOW.getTime() + LEASE_MS, scopeOwner: "octo-org", launchAttempts: 1 });
    expect(second).toMatchObject({ claimed: false, record: { phase: "launching", claimToken: "token-a" } });
  });

  it("lets another invocation take over once the lease has expired; the first token then loses every write", async () => {
    // Arrange
    const job = { ...facts(), scopeOwner: "octo-org" };
    await ledger.claim(job, "token-a", LEASE_MS, NOW);
    await ledger.recordInstance(jobKey(job), "token-a", INSTANCE, `sr-${INSTANCE}`, NOW);
    const later = new Date(NOW.getTime() + LEASE_MS + 1);

    // Act
    const takeover = await ledger.claim(job, "token-b", LEASE_MS, later);

    // Assert
    expect(takeover.claimed).toBe(true);
    // The record shows what the crashed attempt left, for takeoverAction.
    expect(takeover.record).toMatchObject({ claimToken: "token-b", launchAttempts: 2, instanceId: INSTANCE, runnerWritten: false });
    expect(await ledger.recordInstance(jobKey(job), "token-a", "i-0aaaaaaaaaaaaaaa9", "sr-i-0aaaaaaaaaaaaaaa9", later)).toBe(false);
    expect(await ledger.markLaunched(jobKey(job), "token-a", later)).toBe(false);
    expect(await ledger.release(jobKey(job), "token-a", "late", later)).toBe(false);
    expect(await ledger.markLaunched(jobKey(job), "token-b", later)).toBe(true);
  });

  it("hands a takeover the instance of the crashed claim, and a fresh claim none", async () => {
    // Arrange
    const crashed = { ...facts(), scopeOwner: "octo-org" };
    await ledger.claim(crashed, "token-a", LEASE_MS, NOW);
    await ledger.recordInstance(jobKey(crashed), "token-a", INSTANCE, `sr-${INSTANCE}`, NOW);
    const released = { ...facts(), scopeOwner: "octo-org" };
    await ledger.claim(released, "token-a", LEASE_MS, NOW);
    await ledger.recordInstance(jobKey(released), "token-a", INSTANCE, `sr-${INSTANCE}`, NOW);
    await ledger.release(jobKey(released), "token-a", "registration failed", NOW);
    const relaunched = { ...facts(), scopeOwner: "octo-org" };
    await ledger.claim(relaunched, "token-a", LEASE_MS, NOW);
    await ledger.recordInstance(jobKey(relaunched), "token-a", INSTANCE, `sr-${INSTANCE}`, NOW);
    await ledger.markLaunched(jobKey(relaunched), "token-a", NOW);
    await ledger.relaunch(jobKey(relaunched), INSTANCE, "runner gone", NOW);
    const later = new Date(NOW.getTime() + LEASE_MS + 1);

    // Act
    const takeover = await ledger.claim(crashed, "token-b", LEASE_MS, later);
    const afterRelease = await ledger.claim(released, "token-b", LEASE_MS, later);
    const afterRelaunch = await ledger.claim(relaunched, "token-b", LEASE_MS, later);

    // Assert
    expect(takeover.record?.claimInstanceId).toBe(INSTANCE);
    expect(afterRelease).toMatchObject({ claimed: true, record: { instanceId: INSTANCE } });
    expect(afterRelease.record?.claimInstanceId).toBeUndefined();
    expect(afterRelaunch).toMatchObject({ claimed: true, record: { instanceId: INSTANCE, runnerWritten: true } });
    expect(afterRelaunch.record?.claimInstanceId).toBeUndefined();
  });

  it("claims a job the webhook never recorded (ledger outage at the webhook)", async () => {
    // Arrange
    const job = { ...facts(), scopeOwner: "octo-org" };

    // Act
    const result = await ledger.claim(job, TOKEN, LEASE_MS, NOW);

    // Assert
    expect(result).toMatchObject({ claimed: true, record: { pk: jobKey(job), phase: "launching", jobId: job.jobId, pool: "linux", installationId: 42 } });
  });

  it("lets exactly one of many concurrent claims win", async () => {
    // Arrange
    const job = { ...facts(), scopeOwner: "octo-org" };
    await ledger.receive(job, "d-1", NOW);

    // Act
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => ledger.claim(job, `token-${i}`, LEASE_MS, NOW)));

    // Assert
    const winners = results.filter((result) => result.claimed);
    expect(winners).toHaveLength(1);
    expect((await ledger.get(jobKey(job)))?.claimToken).toBe(winners[0]?.record?.claimToken);
  });
});

describe("recordInstance and markLaunched", () => {
  it("records the instance with its pointer, then marks the job launched holding its slot", async () => {
    // Arrange
    const job = { ...facts(), scopeOwner: "octo-org" };
    await ledger.claim(job, TOKEN, LEASE_MS, NOW);
    const key = jobKey(job);

    // Act
    const recorded = await ledger.recordInstance(key, TOKEN, INSTANCE, `sr-${INSTANCE}`, NOW);
    const midway = await ledger.get(key);
    const launched = await ledger.markLaunched(key, TOKEN, NOW);

    // Assert
    expect(recorded).toBe(true);
    expect(midway).toMatchObject({ phase: "launching", instanceId: INSTANCE, runnerName: `sr-${INSTANCE}`, runnerWritten: false });
    expect(launched).toBe(true);
    const record = await ledger.get(key);
    expect(record).toMatchObject({ phase: "launched", runnerWritten: true, slotHeld: true, launchedAt: NOW.toISOString() });
    expect(record?.claimToken).toBeUndefined();
    expect(record?.claimExpiresAt).toBeUndefined();
    expect(record?.events?.map((event) => event.what)).toEqual(["claimed", "instance-launched", "launched"]);
    expect(await ledger.jobOfInstance(INSTANCE)).toBe(key);
  });

  it("fails when the token is foreign: nothing is written, no pointer appears", async () => {
    // Arrange
    const job = { ...facts(), scopeOwner: "octo-org" };
    await ledger.claim(job, TOKEN, LEASE_MS, NOW);
    const key = jobKey(job);

    // Act
    const recorded = await ledger.recordInstance(key, "someone-else", INSTANCE, `sr-${INSTANCE}`, NOW);
    const launched = await ledger.markLaunched(key, "someone-else", NOW);

    // Assert
    expect([recorded, launched]).toEqual([false, false]);
    expect(await ledger.get(key)).toMatchObject({ phase: "launching", claimToken: TOKEN });
    expect((await ledger.get(key))?.instanceId).toBeUndefined();
    expect(await ledger.jobOfInstance(INSTANCE)).toBeUndefined();
  });

  it("fails when the job is no longer launching (completed meanwhile)", async () => {
    // Arrange
    const job = { ...facts(), scopeOwner: "octo-org" };
    await ledger.claim(job, TOKEN, LEASE_MS, NOW);
    await ledger.finish(job, "completed", "success", NOW);

    // Act / Assert
    expect(await ledger.recordInstance(jobKey(job), TOKEN, INSTANCE, `sr-${INSTANCE}`, NOW)).toBe(false);
    expect(await ledger.markLaunched(jobKey(job), TOKEN, NOW)).toBe(false);
  });
});

describe("release", () => {
  it("gives the job back to received, and a new claim may take it at once", async () => {
    // Arrange
    const job = { ...facts(), scopeOwner: "octo-org" };
    await ledger.claim(job, TOKEN, LEASE_MS, NOW);

    // Act
    const released = await ledger.release(jobKey(job), TOKEN, "limit of pool linux reached", NOW);
    const next = await ledger.claim(job, "token-2", LEASE_MS, NOW);

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
    await ledger.receive(job, "d-1", NOW);

    // Act
    const started = await ledger.start(job, "sr-i-0bbbbbbbbbbbbbbb1", NOW);

    // Assert
    expect(started).toBe(true);
    expect(await ledger.get(jobKey(job))).toMatchObject({ phase: "running", ranOn: "sr-i-0bbbbbbbbbbbbbbb1" });
    expect(await ledger.jobOfRunner("sr-i-0bbbbbbbbbbbbbbb1")).toBe(jobKey(job));
    expect(await ledger.jobOfRunner("sr-i-0ccccccccccccccc1")).toBeUndefined();
  });

  it("records an in_progress seen before queued, with the job's facts", async () => {
    // Arrange
    const job = facts();

    // Act
    await ledger.start(job, undefined, NOW);

    // Assert
    expect(await ledger.get(jobKey(job))).toMatchObject({ phase: "running", jobId: job.jobId, pool: "linux", repository: "octo-org/app" });
  });

  it("returns the record as it was exactly once", async () => {
    // Arrange
    const job = { ...facts(), scopeOwner: "octo-org" };
    await ledger.claim(job, TOKEN, LEASE_MS, NOW);
    await ledger.recordInstance(jobKey(job), TOKEN, INSTANCE, `sr-${INSTANCE}`, NOW);
    await ledger.markLaunched(jobKey(job), TOKEN, NOW);

    // Act
    const results = await Promise.all([
      ledger.finish(job, "completed", "success", NOW),
      ledger.finish(job, "completed", "success", NOW),
      ledger.finish(job, "failed", "failure", NOW),
    ]);

    // Assert
    const changed = results.filter((result) => result !== undefined);
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({ phase: "launched", instanceId: INSTANCE, slotHeld: true });
    expect(await ledger.finish(job, "completed", "success", NOW)).toBeUndefined();
    expect(["completed", "failed"]).toContain(await phaseOf(jobKey(job)));
  });

  it("finishes a job never seen before as if it had been received, holding nothing", async () => {
    // Arrange
    const job = facts();

    // Act
    const old = await ledger.finish(job, "cancelled", "cancelled", NOW);

    // Assert
    expect(old).toEqual({ pk: jobKey(job), phase: "received", jobId: job.jobId, runAttempt: 1 });
    expect(await ledger.get(jobKey(job))).toMatchObject({ phase: "cancelled", conclusion: "cancelled" });
  });

  it("drops the claim of a job that completes while launching, so its launch cannot finish", async () => {
    // Arrange
    const job = { ...facts(), scopeOwner: "octo-org" };
    await ledger.claim(job, TOKEN, LEASE_MS, NOW);

    // Act
    await ledger.finish(job, "completed", "success", NOW);

    // Assert
    const record = await ledger.get(jobKey(job));
    expect(record?.claimToken).toBeUndefined();
    expect(record?.phase).toBe("completed");
  });
});

describe("expire and relaunch", () => {
  it("marks a job failed with the reason", async () => {
    // Arrange
    const job = facts();
    await ledger.receive(job, "d-1", NOW);

    // Act
    const expired = await ledger.expire(job, "job waited 30000 s", NOW);

    // Assert
    expect(expired).toBe(true);
    expect(await ledger.get(jobKey(job))).toMatchObject({ phase: "failed", failureReason: "job waited 30000 s" });
  });

  it("relaunches only for the instance the job was launched on", async () => {
    // Arrange
    const job = facts();
    const key = await seed(job, "launched");

    // Act
    const foreign = await ledger.relaunch(key, "i-0ffffffffffffffff", "gone", NOW);
    const own = await ledger.relaunch(key, INSTANCE, "gone", NOW);

    // Assert
    expect(foreign).toBeUndefined();
    expect(own).toMatchObject({ phase: "launched", instanceId: INSTANCE });
    expect(await ledger.get(key)).toMatchObject({ phase: "received", relaunches: 1 });
  });
});

describe("releaseSlot", () => {
  it("releases a held slot exactly once, and only for the job's own instance", async () => {
    // Arrange
    const job = { ...facts(), scopeOwner: "octo-org" };
    await ledger.claim(job, TOKEN, LEASE_MS, NOW);
    await ledger.recordInstance(jobKey(job), TOKEN, INSTANCE, `sr-${INSTANCE}`, NOW);
    await ledger.markLaunched(jobKey(job), TOKEN, NOW);

    // Act
    const foreign = await ledger.releaseSlot(jobKey(job), "i-0ffffffffffffffff", NOW);
    const concurrent = await Promise.all(Array.from({ length: 10 }, () => ledger.releaseSlot(jobKey(job), INSTANCE, NOW)));
    const later = await ledger.releaseSlot(jobKey(job), INSTANCE, NOW);

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
    await ledger.claim(job, TOKEN, LEASE_MS, NOW);
    await ledger.recordInstance(jobKey(job), TOKEN, INSTANCE, `sr-${INSTANCE}`, NOW);

    // Act / Assert
    expect(await ledger.releaseSlot(jobKey(job), INSTANCE, NOW)).toBeUndefined();
    expect(await ledger.releaseSlot("job#404#1", INSTANCE, NOW)).toBeUndefined();
  });
});

describe("markInterrupted and markRerunRequested", () => {
  it("marks an existing job only, and requests a re-run once", async () => {
    // Arrange
    const job = facts();
    await ledger.receive(job, "d-1", NOW);

    // Act
    const interrupted = await ledger.markInterrupted(jobKey(job), NOW);
    const missing = await ledger.markInterrupted("job#404#1", NOW);
    const reruns = await Promise.all([ledger.markRerunRequested(jobKey(job), NOW), ledger.markRerunRequested(jobKey(job), NOW)]);

    // Assert
    expect([interrupted, missing]).toEqual([true, false]);
    expect(reruns.filter(Boolean)).toHaveLength(1);
    expect(await ledger.markRerunRequested("job#404#1", NOW)).toBe(false);
    expect(await ledger.get(jobKey(job))).toMatchObject({ interrupted: true, rerunRequested: true });
    const raw = await db.documentClient.send(new GetCommand({ TableName: table, Key: { pk: "job#404#1" } }));
    expect(raw.Item).toBeUndefined();
  });
});

describe("activeJobs", () => {
  it("returns every non-terminal job across scan pages (more than 1 MB), and nothing else", async () => {
    // Arrange: 300 jobs of ~5 kB each (DynamoDB pages a scan at 1 MB), a third of them finished, plus
    // pointer and counter items that share the table.
    const padding = "x".repeat(5_000);
    const items: Array<Record<string, unknown>> = [];
    const active = new Set<string>();
    for (let i = 0; i < 300; i += 1) {
      const phase: Phase = (["received", "launching", "launched", "running", "completed", "failed"] as const)[i % 6]!;
      const pk = `job#${900_000 + i}#1`;
      if (!["completed", "failed"].includes(phase)) active.add(pk);
      items.push({ pk, phase, jobId: 900_000 + i, runAttempt: 1, padding });
    }
    items.push({ pk: instanceKey(INSTANCE), job: "job#900000#1" }, { pk: runnerKey("sr-x"), job: "job#900001#1" }, { pk: "limit#global", inUse: 3 });
    for (let start = 0; start < items.length; start += 25) {
      await db.documentClient.send(new BatchWriteCommand({ RequestItems: { [table]: items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } })) } }));
    }
    let scans = 0;
    const counted = DynamoDBDocumentClient.from(db.client);
    counted.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "ScanCommand") scans += 1;
        return next(args);
      },
      { step: "initialize", name: "countScans" },
    );

    // Act
    const jobs = await dynamoDbLedger(counted, table).activeJobs();

    // Assert
    expect(scans).toBeGreaterThan(1);
    expect(jobs.map((job: JobRecord) => job.pk).sort()).toEqual([...active].sort());
    expect(new Set(jobs.map((job) => job.phase))).toEqual(new Set(["received", "launching", "launched", "running"]));
  });
});
