import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { conditionalUpdate, expirationAt, isConditionFailure, normalize, queueLeaseUpdate } from "./dynamodb-update.js";
import type { LedgerUpdate } from "./dynamodb-update.js";
import { scanActiveJobs, scanSnapshot } from "./dynamodb-scan.js";
import { instanceKey, interruptedRunnerKey, jobKey, runnerKey } from "./phases.js";
import type { Ledger } from "./port.js";
import { CLAIM_FIELDS, QUEUE_LEASE_FIELDS, QUEUE_RESEND_WINDOW_MS, TERMINAL_ITEM_TTL_SECONDS, WRITE_TURN_FIELDS, factFields, idleKey, ledgerEvent as event } from "./types.js";
import type { JobRecord } from "./types.js";

/**
 * The ledger on DynamoDB: each phase change is one conditional UpdateItem whose condition is the
 * transition's `phase IN (from)` (plus the claim token where one is held), so two writers racing on
 * the same job cannot both win. Bundled into each handler that uses it (not the layer), so its
 * commands and the handler's client are one SDK copy. The phase machine is hand-written because no
 * library models it; so is the webhook's deduplication of deliveries, which rides on the job's own
 * writes (`receiveToQueue`, `startedBy`, `finishedBy`) instead of separate idempotency records.
 */
export function dynamoDbLedger(client: DynamoDBDocumentClient, tableName: string): Ledger {
  const update = (args: LedgerUpdate) => conditionalUpdate(client, tableName, args);
  const get = async (key: string): Promise<JobRecord | undefined> => {
    const item = (await client.send(new GetCommand({ TableName: tableName, Key: { pk: key }, ConsistentRead: true }))).Item;
    return item === undefined ? undefined : normalize(item as JobRecord);
  };
  const pointer = async (key: string): Promise<string | undefined> => {
    const item = (await client.send(new GetCommand({ TableName: tableName, Key: { pk: key }, ConsistentRead: true }))).Item;
    return typeof item?.job === "string" ? item.job : undefined;
  };
  const putPointer = async (key: string, job: string, now: Date): Promise<void> => {
    await client.send(new PutCommand({ TableName: tableName, Item: { pk: key, job, updatedAt: now.toISOString(), expiration: expirationAt(now) } }));
  };
  /** Writes an item unless it exists (the first write's time is kept). */
  const putOnce = async (item: Record<string, unknown>): Promise<void> => {
    try {
      await client.send(new PutCommand({ TableName: tableName, Item: item, ConditionExpression: "attribute_not_exists(pk)" }));
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  };
  const token = (value: string) => ({ condition: "#claimToken = :token", names: { "#claimToken": "claimToken" }, values: { ":token": value } });

  return {
    async receive(facts, deliveryId, now) {
      // One write: facts only where absent, the delivery id added to a string set. An existing job keeps
      // its phase, which is how a redelivery or a second webhook learns that nothing is left to do.
      const record = await update({
        key: jobKey(facts),
        ifAbsent: { ...factFields(facts), phase: "received", receivedAt: now.toISOString() },
        add: { deliveryIds: new Set([deliveryId]) },
        returnValues: "ALL_NEW",
        now,
      });
      return normalize(record as JobRecord);
    },

    async receiveToQueue(facts, deliveryId, leaseMs, now) {
      const key = jobKey(facts);
      // New, or received and never queued, or received and its sender's lease ran out inside the
      // re-send window (the SQS deduplication id then drops a second copy): the one write that records
      // the sighting and decides which sighting queues. Built from precomputed parts (dynamodb-update.ts).
      let leased = true;
      try {
        await client.send(new UpdateCommand(queueLeaseUpdate(tableName, key, factFields(facts), deliveryId, leaseMs, now, QUEUE_RESEND_WINDOW_MS, event(now, "queue-leased", deliveryId))));
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        leased = false;
      }
      if (leased) return { leased: true };
      // Not this sighting's to queue: note its delivery id, which also reads the job as it is.
      const seen = await update({ key, condition: "attribute_exists(pk)", add: { deliveryIds: new Set([deliveryId]) }, returnValues: "ALL_NEW", now });
      if (seen === null || seen === undefined) throw new Error(`job ${key} vanished between two writes`);
      return { leased: false, record: normalize(seen) };
    },

    async releaseQueueing(key, owner, now) {
      const done = await update({
        key,
        condition: "#leaseOwner = :owner AND #phase = :received",
        names: { "#leaseOwner": "queueLeaseOwner", "#phase": "phase" },
        values: { ":owner": owner, ":received": "received" },
        remove: QUEUE_LEASE_FIELDS,
        events: event(now, "queue-lease-released", owner),
        returnValues: "ALL_NEW",
        now,
      });
      return done !== null;
    },

    async claim(facts, claimToken, leaseMs, now) {
      const key = jobKey(facts);
      const record = await update({
        key,
        // received or new: free to take; launching: only when the previous lease has run out.
        condition: "attribute_not_exists(#phase) OR #phase = :received OR (#phase = :launching AND #claimExpiresAt < :now)",
        names: { "#phase": "phase", "#claimExpiresAt": "claimExpiresAt" },
        values: { ":received": "received", ":launching": "launching", ":now": now.getTime() },
        set: { phase: "launching", claimToken, claimExpiresAt: now.getTime() + leaseMs, scopeOwner: facts.scopeOwner },
        // The facts a relaunch message is rebuilt from, when scale-up sees the job before the webhook's record.
        ifAbsent: { ...factFields(facts), pool: facts.pool ?? "", installationId: facts.installationId ?? 0, receivedAt: now.toISOString() },
        add: { launchAttempts: 1 },
        events: event(now, "claimed", claimToken),
        returnValues: "ALL_NEW",
        now,
      });
      // A refused claim reports the record as it is (a consistent read: simpler than the failure's marshalled item).
      return record === null ? { claimed: false, record: await get(key) } : { claimed: true, record: normalize(record as JobRecord) };
    },

    async recordInstance(key, claimToken, instanceId, runnerName, now) {
      const done = await update({
        key,
        condition: "#phase = :launching AND #claimToken = :token",
        names: { "#phase": "phase", "#claimToken": "claimToken" },
        values: { ":launching": "launching", ":token": claimToken },
        set: { instanceId, claimInstanceId: instanceId, runnerName, runnerWritten: false },
        events: event(now, "instance-launched", instanceId),
        returnValues: "ALL_NEW",
        now,
      });
      if (done === null) return false;
      await putPointer(instanceKey(instanceId), key, now);
      return true;
    },

    async markLaunched(key, claimToken, now, instance) {
      const done = await update({
        key,
        transition: "launch",
        ...token(claimToken),
        set: { phase: "launched", runnerWritten: true, slotHeld: true, launchedAt: now.toISOString(), ...instance },
        remove: [...CLAIM_FIELDS, ...WRITE_TURN_FIELDS],
        events: event(now, "launched", instance?.instanceId),
        returnValues: "ALL_NEW",
        now,
      });
      return done !== null;
    },

    async release(key, claimToken, reason, now) {
      const done = await update({
        key,
        transition: "release",
        ...token(claimToken),
        set: { phase: "received" },
        // WRITE_TURN_FIELDS: only records written by older versions hold them (types.ts).
        remove: [...CLAIM_FIELDS, ...WRITE_TURN_FIELDS],
        events: event(now, "released", reason),
        returnValues: "ALL_NEW",
        now,
      });
      return done !== null;
    },

    async start(facts, runnerName, now, deliveryId) {
      const done = await update({
        key: jobKey(facts),
        transition: "start",
        set: { phase: "running", ranOn: runnerName, startedBy: deliveryId },
        ifAbsent: { ...factFields(facts), receivedAt: now.toISOString() },
        events: event(now, "started", runnerName),
        returnValues: "ALL_NEW",
        now,
      });
      if (done !== null && runnerName !== undefined) await putPointer(runnerKey(runnerName), jobKey(facts), now);
      return done !== null;
    },

    async finish(facts, phase, conclusion, now, deliveryId) {
      const old = await update({
        key: jobKey(facts),
        transition: "finish",
        set: { phase, conclusion, finishedBy: deliveryId, expiration: expirationAt(now, TERMINAL_ITEM_TTL_SECONDS) },
        ifAbsent: { ...factFields(facts), receivedAt: now.toISOString() },
        remove: CLAIM_FIELDS,
        events: event(now, "finished", conclusion),
        returnValues: "ALL_OLD",
        now,
      });
      if (old === null) return undefined;
      // No old item: the job was never seen queued (out-of-order delivery); it held nothing.
      return old === undefined ? { pk: jobKey(facts), phase: "received", jobId: facts.jobId, runAttempt: facts.runAttempt } : normalize(old);
    },

    async expire(facts, reason, now) {
      const done = await update({
        key: jobKey(facts),
        transition: "expire",
        set: { phase: "failed", failureReason: reason, expiration: expirationAt(now, TERMINAL_ITEM_TTL_SECONDS) },
        ifAbsent: { ...factFields(facts), receivedAt: now.toISOString() },
        remove: CLAIM_FIELDS,
        events: event(now, "expired", reason),
        returnValues: "ALL_NEW",
        now,
      });
      return done !== null;
    },

    async relaunch(key, instanceId, reason, now) {
      const old = await update({
        key,
        transition: "relaunch",
        condition: "#instanceId = :instanceId",
        names: { "#instanceId": "instanceId" },
        values: { ":instanceId": instanceId },
        set: { phase: "received", slotHeld: false },
        add: { relaunches: 1 },
        events: event(now, "relaunch", `${instanceId}: ${reason}`),
        returnValues: "ALL_OLD",
        now,
      });
      return old === null || old === undefined ? undefined : normalize(old);
    },

    async releaseSlot(key, instanceId, now) {
      const done = await update({
        key,
        condition: "#slotHeld = :true AND #instanceId = :instanceId",
        names: { "#slotHeld": "slotHeld", "#instanceId": "instanceId" },
        values: { ":true": true, ":instanceId": instanceId },
        set: { slotHeld: false },
        events: event(now, "slot-released", instanceId),
        returnValues: "ALL_NEW",
        now,
      });
      return done === null || done === undefined ? undefined : normalize(done);
    },

    async markInterrupted(key, now) {
      const done = await update({ key, condition: "attribute_exists(pk)", set: { interrupted: true }, events: event(now, "interrupted"), returnValues: "ALL_NEW", now });
      return done !== null;
    },

    async markRerunRequested(key, now) {
      const done = await update({
        key,
        condition: "attribute_exists(pk) AND (attribute_not_exists(#rerun) OR #rerun = :false)",
        names: { "#rerun": "rerunRequested" },
        values: { ":false": false },
        set: { rerunRequested: true },
        events: event(now, "rerun-requested"),
        returnValues: "ALL_NEW",
        now,
      });
      return done !== null;
    },

    snapshot: () => scanSnapshot(client, tableName),

    async noteRequeued(key, now) {
      const done = await update({
        key,
        condition: "#phase = :received",
        names: { "#phase": "phase" },
        values: { ":received": "received" },
        set: {},
        events: event(now, "requeued"),
        returnValues: "ALL_NEW",
        now,
      });
      return done !== null;
    },

    markIdleSeen: (instanceId, now) => putOnce({ pk: idleKey(instanceId), seenAt: now.toISOString(), expiration: expirationAt(now, TERMINAL_ITEM_TTL_SECONDS) }),
    markRunnerInterrupted: (runnerName, now) => putOnce({ pk: interruptedRunnerKey(runnerName), interruptedAt: now.toISOString(), expiration: expirationAt(now) }),

    async runnerInterruptedAt(runnerName) {
      const item = (await client.send(new GetCommand({ TableName: tableName, Key: { pk: interruptedRunnerKey(runnerName) }, ConsistentRead: true }))).Item;
      return typeof item?.interruptedAt === "string" ? new Date(item.interruptedAt) : undefined;
    },

    async clearIdleSeen(instanceId) {
      await client.send(new DeleteCommand({ TableName: tableName, Key: { pk: idleKey(instanceId) } }));
    },

    get,
    jobOfInstance: (instanceId) => pointer(instanceKey(instanceId)),
    jobOfRunner: (runnerName) => pointer(runnerKey(runnerName)),

    activeJobs: () => scanActiveJobs(client, tableName),
  };
}
