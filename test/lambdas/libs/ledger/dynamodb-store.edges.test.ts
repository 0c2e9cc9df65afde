import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { beforeEach, describe, expect, it } from "vitest";
import { dynamoDbLedger } from "../../../../lambdas/libs/ledger/dynamodb-store.js";
import { jobKey, runnerKey } from "../../../../lambdas/libs/ledger/phases.js";
import type { Ledger } from "../../../../lambdas/libs/ledger/port.js";
import { idleKey } from "../../../../lambdas/libs/ledger/types.js";
import { dynalitePerFile } from "../../../helpers/dynalite-per-file.js";
import { LEASE_MS, facts } from "./ledger-contract.js";

// What the contract suite (stores.test.ts) leaves out of the DynamoDB store (Stryker survivors of
// dynamodb-store.ts, docs/reliability.md): the reconciler's idle sightings, requeue note and snapshot,
// the event each write appends, the facts a first-seen finish or expiry keeps, the runner pointer's
// guard, and, with a scripted client, errors other than a failed condition and consistent reads.

const NOW = new Date("2026-11-23T10:00:00.000Z");
const LATER = new Date("2026-11-23T10:05:00.000Z");
const INSTANCE = "i-0aaaaaaaaaaaaaaa1";
const dynalite = dynalitePerFile();
let table: string;
let ledger: Ledger;

beforeEach(async () => {
  table = await dynalite.freshTable("edges");
  ledger = dynamoDbLedger(dynalite.db.documentClient, table);
});

const raw = async (key: string) => (await dynalite.db.documentClient.send(new GetCommand({ TableName: table, Key: { pk: key }, ConsistentRead: true }))).Item;
const eventNames = async (key: string) => ((await raw(key))?.events ?? []).map((e: { what: string; detail?: string }) => (e.detail === undefined ? e.what : `${e.what}: ${e.detail}`));

describe("dynamoDbLedger on dynalite", () => {
  it("keeps the first idle sighting until it is cleared, and shows it in the snapshot", async () => {
    // Act
    await ledger.markIdleSeen(INSTANCE, NOW);
    await ledger.markIdleSeen(INSTANCE, LATER);
    const seen = await ledger.snapshot();
    await ledger.clearIdleSeen(INSTANCE);

    // Assert
    expect(seen.idleSeen.get(INSTANCE)).toEqual(NOW);
    expect(await raw(idleKey(INSTANCE))).toBeUndefined();
    expect((await ledger.snapshot()).idleSeen.size).toBe(0);
  });

  it("notes a requeue of a received job only, with its event", async () => {
    // Arrange
    const waiting = facts();
    const running = facts();
    await ledger.receive(waiting, "d-1", NOW);
    await ledger.start(running, "sr-a", NOW, "d-2");

    // Act
    const noted = await ledger.noteRequeued(jobKey(waiting), LATER);
    const refused = await ledger.noteRequeued(jobKey(running), LATER);

    // Assert
    expect([noted, refused]).toEqual([true, false]);
    expect(await eventNames(jobKey(waiting))).toEqual(["requeued"]);
    expect((await ledger.snapshot()).jobs.map((job) => job.pk).sort()).toEqual([jobKey(waiting), jobKey(running)].sort());
  });

  it("appends each write's event, with its detail", async () => {
    // Arrange
    const job = facts();
    const key = jobKey(job);
    const expired = facts();

    // Act
    await ledger.receiveToQueue(job, "d-1", LEASE_MS, NOW);
    await ledger.releaseQueueing(key, "d-1", NOW);
    await ledger.claim({ ...job, scopeOwner: "octo-org" }, "token-1", LEASE_MS, NOW);
    await ledger.markLaunched(key, "token-1", NOW, { instanceId: INSTANCE, runnerName: "sr-a" });
    await ledger.releaseSlot(key, INSTANCE, NOW);
    await ledger.relaunch(key, INSTANCE, "spot reclaimed", NOW);
    await ledger.start(job, "sr-b", NOW, "d-2");
    await ledger.markInterrupted(key, NOW);
    await ledger.markRerunRequested(key, NOW);
    await ledger.finish(job, "completed", "failure", NOW, "d-3");
    await ledger.expire(expired, "too old", NOW);

    // Assert
    expect(await eventNames(key)).toEqual([
      "queue-leased: d-1",
      "queue-lease-released: d-1",
      "claimed: token-1",
      `launched: ${INSTANCE}`,
      `slot-released: ${INSTANCE}`,
      `relaunch: ${INSTANCE}: spot reclaimed`,
      "started: sr-b",
      "interrupted",
      "rerun-requested",
      "finished: failure",
    ]);
    expect(await eventNames(jobKey(expired))).toEqual(["expired: too old"]);
  });

  it("gives a relaunched job its slot back as not held", async () => {
    // Arrange
    const job = facts();
    const key = jobKey(job);
    await ledger.claim({ ...job, scopeOwner: "octo-org" }, "token-1", LEASE_MS, NOW);
    await ledger.markLaunched(key, "token-1", NOW, { instanceId: INSTANCE, runnerName: "sr-a" });

    // Act
    await ledger.relaunch(key, INSTANCE, "gone", NOW);

    // Assert
    expect(await raw(key)).toMatchObject({ phase: "received", slotHeld: false });
  });

  it("keeps the facts of a job first seen finished or expired", async () => {
    // Arrange
    const finished = facts({ repository: "octo-org/finished" });
    const expired = facts({ repository: "octo-org/expired" });

    // Act
    await ledger.finish(finished, "completed", "success", NOW, "d-1");
    await ledger.expire(expired, "too old", NOW);

    // Assert
    for (const job of [finished, expired]) {
      expect(await raw(jobKey(job))).toMatchObject({ repository: job.repository, installationId: 42, pool: "linux", receivedAt: NOW.toISOString() });
    }
  });

  it("claims a job with no pool known as pool \"\"", async () => {
    const { pool: _pool, ...job } = facts();
    await ledger.claim({ ...job, scopeOwner: "octo-org" }, "token-1", LEASE_MS, NOW);
    expect(await raw(jobKey(job))).toMatchObject({ pool: "", phase: "launching" });
  });

  it("points a runner at its job only for a start that was written and that names a runner", async () => {
    // Arrange
    const done = facts();
    const nameless = facts();
    await ledger.finish(done, "completed", "success", NOW, "d-1");

    // Act
    const late = await ledger.start(done, "sr-late", NOW, "d-2");
    const started = await ledger.start(nameless, undefined, NOW, "d-3");

    // Assert
    expect([late, started]).toEqual([false, true]);
    expect(await ledger.jobOfRunner("sr-late")).toBeUndefined();
    expect((await dynalite.db.items(table)).filter((item) => String(item.pk).startsWith("runner#"))).toEqual([]);
    expect(runnerKey("sr-late")).toBe("runner#sr-late");
  });
});

interface Sent {
  readonly command: string;
  readonly input: Record<string, any>;
}

/** A document client that records each command and answers it with `answer` (a throw rejects the call). */
function scriptedClient(answer: (sent: Sent) => unknown): { client: DynamoDBDocumentClient; sent: Sent[] } {
  const sent: Sent[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, any> }) => {
      const call = { command: command.constructor.name, input: command.input };
      sent.push(call);
      return answer(call);
    },
  } as unknown as DynamoDBDocumentClient;
  return { client, sent };
}

describe("dynamoDbLedger with a scripted client", () => {
  const throttled = Object.assign(new Error("slow down"), { name: "ProvisionedThroughputExceededException" });

  it("throws an error other than a failed condition from a first-write-wins put, and ignores a failed condition", async () => {
    const failing = dynamoDbLedger(scriptedClient(() => Promise.reject(throttled)).client, "jobs");
    const refused = dynamoDbLedger(scriptedClient(() => Promise.reject(new ConditionalCheckFailedException({ message: "exists", $metadata: {} }))).client, "jobs");

    await expect(failing.markIdleSeen(INSTANCE, NOW)).rejects.toBe(throttled);
    await expect(failing.markRunnerInterrupted("sr-a", NOW)).rejects.toBe(throttled);
    await expect(refused.markIdleSeen(INSTANCE, NOW)).resolves.toBeUndefined();
    await expect(refused.markRunnerInterrupted("sr-a", NOW)).resolves.toBeUndefined();
  });

  it("fails a sighting whose job vanished between its two writes", async () => {
    const job = facts();
    const { client } = scriptedClient(() => Promise.reject(new ConditionalCheckFailedException({ message: "failed", $metadata: {} })));

    await expect(dynamoDbLedger(client, "jobs").receiveToQueue(job, "d-1", LEASE_MS, NOW)).rejects.toThrow(`job ${jobKey(job)} vanished between two writes`);
  });

  it("reads jobs, pointers and interruption notes consistently", async () => {
    const { client, sent } = scriptedClient(() => ({}));
    const reads = dynamoDbLedger(client, "jobs");

    await reads.get("job#1#1");
    await reads.jobOfInstance(INSTANCE);
    await reads.runnerInterruptedAt("sr-a");

    expect(sent.map((call) => [call.command, call.input.ConsistentRead])).toEqual([
      ["GetCommand", true],
      ["GetCommand", true],
      ["GetCommand", true],
    ]);
  });
});
