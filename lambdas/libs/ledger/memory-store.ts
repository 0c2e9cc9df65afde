import { ACTIVE_PHASES, canTransition, instanceKey, interruptedRunnerKey, jobKey, runnerKey } from "./phases.js";
import type { Transition } from "./phases.js";
import type { Ledger } from "./port.js";
import { CLAIM_FIELDS, QUEUE_LEASE_FIELDS, QUEUE_RESEND_WINDOW_MS, WRITE_TURN_FIELDS, factFields, idleKey, ledgerEvent as event } from "./types.js";
import type { JobRecord, LedgerEvent } from "./types.js";

/** One item of the table: a job, a pointer, an idle sighting, a counter or a budget record. */
export type MemoryItem = { readonly pk: string } & Record<string, unknown>;

/**
 * The items of one ledger table, shared by the memory ledger, counters and budget store as DynamoDB
 * shares one table between them. Tests read and seed it directly.
 */
export class MemoryLedgerTable {
  readonly items = new Map<string, MemoryItem>();
}

/** A conditional write, as the DynamoDB store's `LedgerUpdate` but with its condition as a predicate. */
interface MemoryUpdate {
  readonly key: string;
  readonly transition?: Transition;
  readonly when?: (item: MemoryItem | undefined) => boolean;
  readonly set?: Record<string, unknown>;
  readonly ifAbsent?: Record<string, unknown>;
  readonly remove?: readonly string[];
  readonly add?: Record<string, number | Set<string>>;
  readonly events?: LedgerEvent[];
  readonly returnValues: "ALL_OLD" | "ALL_NEW";
  readonly now: Date;
}

/**
 * Check and write happen in one synchronous step, so concurrent callers (interleaved at their awaits)
 * see the same atomicity as DynamoDB's conditional writes. Null when the condition failed, as there.
 */
export function applyUpdate(table: MemoryLedgerTable, update: MemoryUpdate): JobRecord | undefined | null {
  const old = table.items.get(update.key);
  if (update.transition !== undefined && !canTransition(update.transition, old?.phase as JobRecord["phase"] | undefined)) return null;
  if (update.when !== undefined && !update.when(old)) return null;
  const item: Record<string, unknown> = old === undefined ? { pk: update.key } : structuredClone(old);
  item.updatedAt = update.now.toISOString();
  for (const [k, v] of Object.entries(update.set ?? {})) if (v !== undefined) item[k] = structuredClone(v);
  // if_not_exists reads the item as it was before the write.
  for (const [k, v] of Object.entries(update.ifAbsent ?? {})) if (v !== undefined && old?.[k] === undefined) item[k] = structuredClone(v);
  if (update.events !== undefined) item.events = [...((item.events as LedgerEvent[] | undefined) ?? []), ...update.events];
  for (const [k, v] of Object.entries(update.add ?? {})) {
    item[k] = typeof v === "number" ? Number(item[k] ?? 0) + v : new Set([...((item[k] as Set<string> | undefined) ?? []), ...v]);
  }
  for (const k of update.remove ?? []) delete item[k];
  table.items.set(update.key, item as MemoryItem);
  if (update.returnValues === "ALL_OLD") return old === undefined ? undefined : record(old);
  return record(item as MemoryItem);
}

/** A copy of the item as a record (delivery ids as a sorted array, as the DynamoDB store returns them). */
function record(item: MemoryItem): JobRecord {
  const copy = structuredClone(item) as Record<string, unknown>;
  if (copy.deliveryIds instanceof Set) copy.deliveryIds = [...(copy.deliveryIds as Set<string>)].sort();
  return copy as unknown as JobRecord;
}

const exists = (item: MemoryItem | undefined): boolean => item !== undefined;

/**
 * The ledger in memory, for handler tests and the contract suite: the same conditions as the DynamoDB
 * store (phase transitions from phases.ts, claim tokens, leases), without TTL.
 */
export function memoryLedger(table: MemoryLedgerTable = new MemoryLedgerTable()): Ledger {
  const update = (args: MemoryUpdate) => applyUpdate(table, args);
  const holds = (claimToken: string) => (item: MemoryItem | undefined) => item?.claimToken === claimToken;
  const putPointer = (key: string, job: string, now: Date): void => {
    table.items.set(key, { pk: key, job, updatedAt: now.toISOString() });
  };
  const pointer = async (key: string): Promise<string | undefined> => {
    const job = table.items.get(key)?.job;
    return typeof job === "string" ? job : undefined;
  };
  const get = async (key: string): Promise<JobRecord | undefined> => {
    const item = table.items.get(key);
    return item === undefined ? undefined : record(item);
  };
  const jobs = (): JobRecord[] => [...table.items.values()].filter((item) => item.pk.startsWith("job#") || item.pk.startsWith("warm#")).map(record);
  const active = (job: JobRecord): boolean => (ACTIVE_PHASES as readonly string[]).includes(job.phase);

  return {
    async receive(facts, deliveryId, now) {
      const done = update({
        key: jobKey(facts),
        ifAbsent: { ...factFields(facts), phase: "received", receivedAt: now.toISOString() },
        add: { deliveryIds: new Set([deliveryId]) },
        returnValues: "ALL_NEW",
        now,
      });
      return done as JobRecord;
    },

    async receiveToQueue(facts, deliveryId, leaseMs, now) {
      const key = jobKey(facts);
      const resendFrom = new Date(now.getTime() - QUEUE_RESEND_WINDOW_MS).toISOString();
      const when = (item: MemoryItem | undefined) =>
        item?.phase === undefined ||
        (item.phase === "received" &&
          (item.queuedAt === undefined || (item.queueLeaseExpiresAt !== undefined && Number(item.queueLeaseExpiresAt) < now.getTime() && String(item.queuedAt) > resendFrom)));
      const leased = update({
        key,
        when,
        set: { queueLeaseOwner: deliveryId, queueLeaseExpiresAt: now.getTime() + leaseMs },
        ifAbsent: { ...factFields(facts), phase: "received", receivedAt: now.toISOString(), queuedAt: now.toISOString() },
        add: { deliveryIds: new Set([deliveryId]) },
        events: event(now, "queue-leased", deliveryId),
        returnValues: "ALL_NEW",
        now,
      });
      if (leased !== null) return { leased: true };
      const seen = update({ key, when: exists, add: { deliveryIds: new Set([deliveryId]) }, returnValues: "ALL_NEW", now });
      if (seen === null || seen === undefined) throw new Error(`job ${key} vanished between two writes`);
      return { leased: false, record: seen };
    },

    async releaseQueueing(key, owner, now) {
      const when = (item: MemoryItem | undefined) => item?.queueLeaseOwner === owner && item.phase === "received";
      return update({ key, when, remove: QUEUE_LEASE_FIELDS, events: event(now, "queue-lease-released", owner), returnValues: "ALL_NEW", now }) !== null;
    },

    async claim(facts, claimToken, leaseMs, now) {
      const key = jobKey(facts);
      const done = update({
        key,
        when: (item) => item?.phase === undefined || item.phase === "received" || (item.phase === "launching" && Number(item.claimExpiresAt) < now.getTime()),
        set: { phase: "launching", claimToken, claimExpiresAt: now.getTime() + leaseMs, scopeOwner: facts.scopeOwner },
        ifAbsent: { ...factFields(facts), pool: facts.pool ?? "", installationId: facts.installationId ?? 0, receivedAt: now.toISOString() },
        add: { launchAttempts: 1 },
        events: event(now, "claimed", claimToken),
        returnValues: "ALL_NEW",
        now,
      });
      return done === null ? { claimed: false, record: await get(key) } : { claimed: true, record: done as JobRecord };
    },

    async recordInstance(key, claimToken, instanceId, runnerName, now) {
      const done = update({
        key,
        when: (item) => item?.phase === "launching" && holds(claimToken)(item),
        set: { instanceId, claimInstanceId: instanceId, runnerName, runnerWritten: false },
        events: event(now, "instance-launched", instanceId),
        returnValues: "ALL_NEW",
        now,
      });
      if (done === null) return false;
      putPointer(instanceKey(instanceId), key, now);
      return true;
    },

    async markLaunched(key, claimToken, now, instance) {
      const set = { phase: "launched", runnerWritten: true, slotHeld: true, launchedAt: now.toISOString(), ...instance };
      return update({ key, transition: "launch", when: holds(claimToken), set, remove: [...CLAIM_FIELDS, ...WRITE_TURN_FIELDS], events: event(now, "launched", instance?.instanceId), returnValues: "ALL_NEW", now }) !== null;
    },

    async release(key, claimToken, reason, now) {
      // WRITE_TURN_FIELDS: only records written by older versions hold them (types.ts).
      const remove = [...CLAIM_FIELDS, ...WRITE_TURN_FIELDS];
      return update({ key, transition: "release", when: holds(claimToken), set: { phase: "received" }, remove, events: event(now, "released", reason), returnValues: "ALL_NEW", now }) !== null;
    },

    async start(facts, runnerName, now, deliveryId) {
      const done = update({
        key: jobKey(facts),
        transition: "start",
        set: { phase: "running", ranOn: runnerName, startedBy: deliveryId },
        ifAbsent: { ...factFields(facts), receivedAt: now.toISOString() },
        events: event(now, "started", runnerName),
        returnValues: "ALL_NEW",
        now,
      });
      if (done !== null && runnerName !== undefined) putPointer(runnerKey(runnerName), jobKey(facts), now);
      return done !== null;
    },

    async finish(facts, phase, conclusion, now, deliveryId) {
      const old = update({
        key: jobKey(facts),
        transition: "finish",
        set: { phase, conclusion, finishedBy: deliveryId },
        ifAbsent: { ...factFields(facts), receivedAt: now.toISOString() },
        remove: CLAIM_FIELDS,
        events: event(now, "finished", conclusion),
        returnValues: "ALL_OLD",
        now,
      });
      if (old === null) return undefined;
      // No old item: the job was never seen queued (out-of-order delivery); it held nothing.
      return old ?? { pk: jobKey(facts), phase: "received", jobId: facts.jobId, runAttempt: facts.runAttempt };
    },

    async expire(facts, reason, now) {
      const done = update({
        key: jobKey(facts),
        transition: "expire",
        set: { phase: "failed", failureReason: reason },
        ifAbsent: { ...factFields(facts), receivedAt: now.toISOString() },
        remove: CLAIM_FIELDS,
        events: event(now, "expired", reason),
        returnValues: "ALL_NEW",
        now,
      });
      return done !== null;
    },

    async relaunch(key, instanceId, reason, now) {
      const old = update({
        key,
        transition: "relaunch",
        when: (item) => item?.instanceId === instanceId,
        set: { phase: "received", slotHeld: false },
        add: { relaunches: 1 },
        events: event(now, "relaunch", `${instanceId}: ${reason}`),
        returnValues: "ALL_OLD",
        now,
      });
      return old ?? undefined;
    },

    async releaseSlot(key, instanceId, now) {
      const when = (item: MemoryItem | undefined) => item?.slotHeld === true && item.instanceId === instanceId;
      return update({ key, when, set: { slotHeld: false }, events: event(now, "slot-released", instanceId), returnValues: "ALL_NEW", now }) ?? undefined;
    },

    async markInterrupted(key, now) {
      return update({ key, when: exists, set: { interrupted: true }, events: event(now, "interrupted"), returnValues: "ALL_NEW", now }) !== null;
    },

    async markRunnerInterrupted(runnerName, now) {
      const key = interruptedRunnerKey(runnerName);
      if (!table.items.has(key)) table.items.set(key, { pk: key, interruptedAt: now.toISOString() });
    },

    async runnerInterruptedAt(runnerName) {
      const at = table.items.get(interruptedRunnerKey(runnerName))?.interruptedAt;
      return typeof at === "string" ? new Date(at) : undefined;
    },

    async markRerunRequested(key, now) {
      const when = (item: MemoryItem | undefined) => item !== undefined && item.rerunRequested !== true;
      return update({ key, when, set: { rerunRequested: true }, events: event(now, "rerun-requested"), returnValues: "ALL_NEW", now }) !== null;
    },

    async snapshot() {
      const idleSeen = new Map<string, Date>();
      const counters = new Map<string, number>();
      for (const item of table.items.values()) {
        if (item.pk.startsWith("idle#")) idleSeen.set(item.pk.slice("idle#".length), new Date(String(item.seenAt)));
        else if (item.pk.startsWith("limit#")) counters.set(item.pk, Number(item.inUse ?? 0));
      }
      const listed = jobs().filter((job) => active(job) || (job.phase === "failed" && job.interrupted === true && job.rerunRequested !== true));
      return { jobs: listed, idleSeen, counters };
    },

    async noteRequeued(key, now) {
      return update({ key, when: (item) => item?.phase === "received", events: event(now, "requeued"), returnValues: "ALL_NEW", now }) !== null;
    },

    async markIdleSeen(instanceId, now) {
      const key = idleKey(instanceId);
      if (!table.items.has(key)) table.items.set(key, { pk: key, seenAt: now.toISOString() });
    },

    async clearIdleSeen(instanceId) {
      table.items.delete(idleKey(instanceId));
    },

    get,
    jobOfInstance: (instanceId) => pointer(instanceKey(instanceId)),
    jobOfRunner: (runnerName) => pointer(runnerKey(runnerName)),
    activeJobs: async () => jobs().filter((job) => job.pk.startsWith("job#") && active(job)),
  };
}
