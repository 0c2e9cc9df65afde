import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, GetCommand, PutCommand, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ACTIVE_PHASES, TRANSITIONS, instanceKey, jobKey, runnerKey } from "./phases.js";
import type { Phase, Transition } from "./phases.js";

/**
 * The job ledger (docs/reliability.md): one DynamoDB item per job attempt, moved between phases only by
 * conditional writes, plus small pointer, counter and budget items in the same table. Bundled into
 * each handler that uses it (not the layer), so its commands and the handler's client are one SDK copy.
 * The phase machine is hand-written because no library models it; idempotency of whole deliveries is
 * Powertools' (webhook), sharing this table.
 */

/** How long ledger items outlive their last write (DynamoDB TTL on `expiration`, as Powertools uses). */
export const LEDGER_ITEM_TTL_SECONDS = 7 * 24 * 60 * 60;

/** A side effect or decision recorded on the job, oldest first. */
export interface LedgerEvent {
  readonly at: string;
  readonly what: string;
  readonly detail?: string;
}

export interface JobRecord {
  readonly pk: string;
  readonly phase: Phase;
  readonly kind?: "job" | "warm";
  readonly jobId: number;
  readonly runAttempt: number;
  readonly runId?: number;
  readonly repository?: string;
  /** Organization or user login owning the repository. */
  readonly org?: string;
  /** Registration target: the org (org scope) or `owner/repo` (repo scope); set by scale-up. */
  readonly scopeOwner?: string;
  readonly pool?: string;
  readonly installationId?: number;
  readonly labels?: readonly string[];
  readonly deliveryIds?: readonly string[];
  readonly receivedAt?: string;
  /** When the webhook put the job on its queue; a later `queued` delivery then queues nothing. */
  readonly queuedAt?: string;
  readonly updatedAt?: string;
  readonly claimToken?: string;
  /** Epoch milliseconds after which another invocation may take the claim over. */
  readonly claimExpiresAt?: number;
  readonly launchAttempts?: number;
  /**
   * The instance launched under the current claim, cleared with the claim. Only a takeover of an
   * expired claim finds one: it is what the crashed attempt launched. (`instanceId` outlives claims:
   * after a release or relaunch it names an instance that is gone or serves another job.)
   */
  readonly claimInstanceId?: string;
  readonly instanceId?: string;
  readonly runnerName?: string;
  /** The runner's configuration reached the runners table: the instance will come up and work. */
  readonly runnerWritten?: boolean;
  /** The job holds one unit of each of its limit counters (released once its instance is gone). */
  readonly slotHeld?: boolean;
  readonly launchedAt?: string;
  /** Runner that took the job (`in_progress`); not necessarily the one launched for it. */
  readonly ranOn?: string;
  readonly conclusion?: string;
  readonly relaunches?: number;
  readonly interrupted?: boolean;
  readonly rerunRequested?: boolean;
  readonly failureReason?: string;
  readonly events?: readonly LedgerEvent[];
}

/** The job fields the ledger keeps, from a queue message or a webhook payload. */
export interface JobFacts {
  readonly jobId: number;
  readonly runAttempt: number;
  readonly runId?: number;
  readonly repository?: string;
  readonly org?: string;
  readonly pool?: string;
  readonly installationId?: number;
  readonly labels?: readonly string[];
  readonly kind?: "job" | "warm";
}

export type ClaimResult =
  | { readonly claimed: true; readonly record: JobRecord }
  | { readonly claimed: false; readonly record: JobRecord | undefined };

export interface Ledger {
  /** Webhook `queued`: creates the job in `received`, or returns it unchanged (plus the delivery id). */
  receive(facts: JobFacts, deliveryId: string, now: Date): Promise<JobRecord>;
  /** Webhook: the job's message is on the queue (after SendMessage succeeded). */
  markQueued(key: string, now: Date): Promise<boolean>;
  /** Scale-up: take the job for `leaseMs`. Refused when it is past `launching` or claimed by a live lease. */
  claim(facts: JobFacts & { readonly scopeOwner: string }, token: string, leaseMs: number, now: Date): Promise<ClaimResult>;
  /** Scale-up: the instance launched for the claim (recorded before its runner exists, for crash recovery). */
  recordInstance(key: string, token: string, instanceId: string, runnerName: string, now: Date): Promise<boolean>;
  /** Scale-up: the runner is configured; the job now holds its limit slot. */
  markLaunched(key: string, token: string, now: Date): Promise<boolean>;
  /** Scale-up: give the claim back; the message is retried later. */
  release(key: string, token: string, reason: string, now: Date): Promise<boolean>;
  /** Webhook `in_progress`: some runner took the job. Returns whether the phase changed. */
  start(facts: JobFacts, runnerName: string | undefined, now: Date): Promise<boolean>;
  /** Webhook `completed` (or the reconciler): returns the record as it was, when the phase changed. */
  finish(facts: JobFacts, phase: Phase, conclusion: string | undefined, now: Date): Promise<JobRecord | undefined>;
  /** Scale-up: the job cannot be served (too old, unreadable). */
  expire(facts: JobFacts, reason: string, now: Date): Promise<boolean>;
  /** Reconciler: the job goes back to `received` for a new runner; returns the record as it was. */
  relaunch(key: string, instanceId: string, reason: string, now: Date): Promise<JobRecord | undefined>;
  /** Clears `slotHeld` once; the record when this call released it (the caller then decrements the counters). */
  releaseSlot(key: string, instanceId: string, now: Date): Promise<JobRecord | undefined>;
  /** Marks the job running on an interrupted runner; a failure then gets a re-run. */
  markInterrupted(key: string, now: Date): Promise<boolean>;
  /** Records that a re-run was requested, once. */
  markRerunRequested(key: string, now: Date): Promise<boolean>;
  get(key: string): Promise<JobRecord | undefined>;
  /** The job an instance was launched for, through its pointer item. */
  jobOfInstance(instanceId: string): Promise<string | undefined>;
  /** The job a runner is running, through its pointer item. */
  jobOfRunner(runnerName: string): Promise<string | undefined>;
  /** Every job in a non-terminal phase, paged. */
  activeJobs(): Promise<JobRecord[]>;
  /**
   * One paged scan for the reconciler: non-terminal jobs plus failed interrupted jobs not yet re-run,
   * idle sightings, and counter values.
   */
  snapshot(): Promise<LedgerSnapshot>;
  /** The reconciler queued a `received` job again (its message was lost): note it, and when. */
  noteRequeued(key: string, now: Date): Promise<boolean>;
  /** Remembers when an instance was first seen idle (kept if already there). */
  markIdleSeen(instanceId: string, now: Date): Promise<void>;
  clearIdleSeen(instanceId: string): Promise<void>;
}

export interface LedgerSnapshot {
  readonly jobs: readonly JobRecord[];
  readonly idleSeen: ReadonlyMap<string, Date>;
  readonly counters: ReadonlyMap<string, number>;
}

/** Ledger key of an idle sighting. */
export function idleKey(instanceId: string): string {
  return `idle#${instanceId}`;
}

/** Terminal jobs stay a day (late redeliveries still find them); live ones a week. */
export const TERMINAL_ITEM_TTL_SECONDS = 24 * 60 * 60;

/** Attributes that live exactly as long as a claim. */
const CLAIM_FIELDS = ["claimToken", "claimExpiresAt", "claimInstanceId"];

const ACTIVE_FILTER = `#phase IN (${ACTIVE_PHASES.map((_, i) => `:p${i}`).join(", ")})`;

export function dynamoDbLedger(client: DynamoDBDocumentClient, tableName: string): Ledger {
  const expiration = (now: Date): number => Math.floor(now.getTime() / 1000) + LEDGER_ITEM_TTL_SECONDS;
  const event = (now: Date, what: string, detail?: string): LedgerEvent[] => [{ at: now.toISOString(), what, ...(detail === undefined ? {} : { detail }) }];
  const fromCondition = (transition: Transition, names: Record<string, string>, values: Record<string, unknown>): string => {
    const from = TRANSITIONS[transition].from as ReadonlyArray<Phase | undefined>;
    names["#phase"] = "phase";
    const parts: string[] = [];
    if (from.includes(undefined)) parts.push("attribute_not_exists(#phase)");
    const phases = from.filter((p): p is Phase => p !== undefined);
    if (phases.length > 0) {
      phases.forEach((phase, i) => (values[`:from${i}`] = phase));
      parts.push(`#phase IN (${phases.map((_, i) => `:from${i}`).join(", ")})`);
    }
    return parts.join(" OR ");
  };

  /**
   * One conditional UpdateItem. `set` values become `SET #k = :k`; `ifAbsent` ones
   * `SET #k = if_not_exists(#k, :k)` (facts that never change). Resolves to the old or new item, or
   * undefined when the condition failed.
   */
  async function update(args: {
    key: string;
    transition?: Transition;
    condition?: string;
    set?: Record<string, unknown>;
    ifAbsent?: Record<string, unknown>;
    remove?: string[];
    add?: Record<string, unknown>;
    events?: LedgerEvent[];
    names?: Record<string, string>;
    values?: Record<string, unknown>;
    returnValues: "ALL_OLD" | "ALL_NEW";
    now: Date;
  }): Promise<JobRecord | undefined | null> {
    const names: Record<string, string> = { ...(args.names ?? {}) };
    const values: Record<string, unknown> = { ...(args.values ?? {}) };
    const sets: string[] = [];
    let n = 0;
    let m = 0;
    const name = (attribute: string): string => {
      const alias = `#a${m++}`;
      names[alias] = attribute;
      return alias;
    };
    const value = (v: unknown): string => {
      const alias = `:v${n++}`;
      values[alias] = v;
      return alias;
    };
    for (const [k, v] of Object.entries({ updatedAt: args.now.toISOString(), expiration: expiration(args.now), ...(args.set ?? {}) })) {
      if (v === undefined) continue;
      const nm = name(k);
      sets.push(`${nm} = ${value(v)}`);
    }
    for (const [k, v] of Object.entries(args.ifAbsent ?? {})) {
      if (v === undefined) continue;
      const nm = name(k);
      sets.push(`${nm} = if_not_exists(${nm}, ${value(v)})`);
    }
    if (args.events !== undefined) {
      const nm = name("events");
      sets.push(`${nm} = list_append(if_not_exists(${nm}, ${value([])}), ${value(args.events)})`);
    }
    const adds = Object.entries(args.add ?? {}).map(([k, v]) => `${name(k)} ${value(v)}`);
    const removes = (args.remove ?? []).map((k) => name(k));
    const expression = [
      `SET ${sets.join(", ")}`,
      adds.length > 0 ? `ADD ${adds.join(", ")}` : "",
      removes.length > 0 ? `REMOVE ${removes.join(", ")}` : "",
    ].filter((part) => part !== "").join(" ");
    const conditions = [args.transition === undefined ? undefined : fromCondition(args.transition, names, values), args.condition]
      .filter((c): c is string => c !== undefined)
      .map((c) => `(${c})`);
    try {
      const response = await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: args.key },
          UpdateExpression: expression,
          ConditionExpression: conditions.length > 0 ? conditions.join(" AND ") : undefined,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: args.returnValues,
        }),
      );
      return (response.Attributes as JobRecord | undefined) ?? undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error as { name?: string }).name === "ConditionalCheckFailedException") return null;
      throw error;
    }
  }

  const factFields = (facts: JobFacts): Record<string, unknown> => ({
    kind: facts.kind ?? "job",
    jobId: facts.jobId,
    runAttempt: facts.runAttempt,
    runId: facts.runId,
    repository: facts.repository,
    org: facts.org,
    pool: facts.pool,
    installationId: facts.installationId,
    labels: facts.labels === undefined ? undefined : [...facts.labels],
  });
  const get = async (key: string): Promise<JobRecord | undefined> => {
    const item = (await client.send(new GetCommand({ TableName: tableName, Key: { pk: key }, ConsistentRead: true }))).Item;
    return item === undefined ? undefined : normalize(item as JobRecord);
  };
  const pointer = async (key: string): Promise<string | undefined> => {
    const item = (await client.send(new GetCommand({ TableName: tableName, Key: { pk: key }, ConsistentRead: true }))).Item;
    return typeof item?.job === "string" ? item.job : undefined;
  };
  const putPointer = async (key: string, job: string, now: Date): Promise<void> => {
    await client.send(new PutCommand({ TableName: tableName, Item: { pk: key, job, updatedAt: now.toISOString(), expiration: expiration(now) } }));
  };

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

    async markQueued(key, now) {
      const done = await update({
        key,
        condition: "attribute_exists(pk)",
        set: { queuedAt: now.toISOString() },
        events: event(now, "queued"),
        returnValues: "ALL_NEW",
        now,
      });
      return done !== null;
    },

    async claim(facts, token, leaseMs, now) {
      const values: Record<string, unknown> = { ":now": now.getTime() };
      const names: Record<string, string> = { "#claimExpiresAt": "claimExpiresAt" };
      // received or new: free to take; launching: only when the previous lease has run out.
      const condition = "attribute_not_exists(#phase) OR #phase = :received OR (#phase = :launching AND #claimExpiresAt < :now)";
      values[":received"] = "received";
      values[":launching"] = "launching";
      names["#phase"] = "phase";
      const key = jobKey(facts);
      // The facts a relaunch message is rebuilt from, when scale-up sees the job before the webhook's record.
      const extraFacts = Object.entries({ repository: facts.repository, org: facts.org, runId: facts.runId, labels: facts.labels === undefined ? undefined : [...facts.labels] }).filter(
        (entry): entry is [string, string | number | string[]] => entry[1] !== undefined,
      );
      try {
        const response = await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: key },
            UpdateExpression:
              "SET #phase = :launching, #claimToken = :token, #claimExpiresAt = :expires, #scopeOwner = :scopeOwner, #updatedAt = :at, #expiration = :ttl, " +
              "#kind = if_not_exists(#kind, :kind), #jobId = if_not_exists(#jobId, :jobId), #runAttempt = if_not_exists(#runAttempt, :runAttempt), " +
              "#pool = if_not_exists(#pool, :pool), #installationId = if_not_exists(#installationId, :installationId), #receivedAt = if_not_exists(#receivedAt, :at), " +
              extraFacts.map(([name]) => `#${name} = if_not_exists(#${name}, :${name}), `).join("") +
              "#events = list_append(if_not_exists(#events, :none), :event) ADD #launchAttempts :one",
            ConditionExpression: condition,
            ExpressionAttributeNames: {
              ...names,
              "#claimToken": "claimToken",
              "#scopeOwner": "scopeOwner",
              "#updatedAt": "updatedAt",
              "#expiration": "expiration",
              "#kind": "kind",
              "#jobId": "jobId",
              "#runAttempt": "runAttempt",
              "#pool": "pool",
              "#installationId": "installationId",
              "#receivedAt": "receivedAt",
              "#events": "events",
              "#launchAttempts": "launchAttempts",
              ...Object.fromEntries(extraFacts.map(([name]) => [`#${name}`, name])),
            },
            ExpressionAttributeValues: {
              ...values,
              ":token": token,
              ":expires": now.getTime() + leaseMs,
              ":scopeOwner": facts.scopeOwner,
              ":at": now.toISOString(),
              ":ttl": expiration(now),
              ":kind": facts.kind ?? "job",
              ":jobId": facts.jobId,
              ":runAttempt": facts.runAttempt,
              ":pool": facts.pool ?? "",
              ":installationId": facts.installationId ?? 0,
              ":none": [],
              ":event": event(now, "claimed", token),
              ":one": 1,
              ...Object.fromEntries(extraFacts.map(([name, value]) => [`:${name}`, value])),
            },
            ReturnValues: "ALL_NEW",
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          }),
        );
        return { claimed: true, record: normalize(response.Attributes as JobRecord) };
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException || (error as { name?: string }).name === "ConditionalCheckFailedException") {
          // The document client leaves the failure's item marshalled; a consistent read is simpler.
          return { claimed: false, record: await get(key) };
        }
        throw error;
      }
    },

    async recordInstance(key, token, instanceId, runnerName, now) {
      const done = await update({
        key,
        condition: "#phase = :launching AND #claimToken = :token",
        names: { "#phase": "phase", "#claimToken": "claimToken" },
        values: { ":launching": "launching", ":token": token },
        set: { instanceId, claimInstanceId: instanceId, runnerName, runnerWritten: false },
        events: event(now, "instance-launched", instanceId),
        returnValues: "ALL_NEW",
        now,
      });
      if (done === null) return false;
      await putPointer(instanceKey(instanceId), key, now);
      return true;
    },

    async markLaunched(key, token, now) {
      const done = await update({
        key,
        transition: "launch",
        condition: "#claimToken = :token",
        names: { "#claimToken": "claimToken" },
        values: { ":token": token },
        set: { phase: "launched", runnerWritten: true, slotHeld: true, launchedAt: now.toISOString() },
        remove: CLAIM_FIELDS,
        events: event(now, "launched"),
        returnValues: "ALL_NEW",
        now,
      });
      return done !== null;
    },

    async release(key, token, reason, now) {
      const done = await update({
        key,
        transition: "release",
        condition: "#claimToken = :token",
        names: { "#claimToken": "claimToken" },
        values: { ":token": token },
        set: { phase: "received" },
        remove: CLAIM_FIELDS,
        events: event(now, "released", reason),
        returnValues: "ALL_NEW",
        now,
      });
      return done !== null;
    },

    async start(facts, runnerName, now) {
      const done = await update({
        key: jobKey(facts),
        transition: "start",
        set: { phase: "running", ranOn: runnerName },
        ifAbsent: { ...factFields(facts), receivedAt: now.toISOString() },
        events: event(now, "started", runnerName),
        returnValues: "ALL_NEW",
        now,
      });
      if (done !== null && runnerName !== undefined) await putPointer(runnerKey(runnerName), jobKey(facts), now);
      return done !== null;
    },

    async finish(facts, phase, conclusion, now) {
      const old = await update({
        key: jobKey(facts),
        transition: "finish",
        set: { phase, conclusion, expiration: Math.floor(now.getTime() / 1000) + TERMINAL_ITEM_TTL_SECONDS },
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
        set: { phase: "failed", failureReason: reason, expiration: Math.floor(now.getTime() / 1000) + TERMINAL_ITEM_TTL_SECONDS },
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
      const done = await update({
        key,
        condition: "attribute_exists(pk)",
        set: { interrupted: true },
        events: event(now, "interrupted"),
        returnValues: "ALL_NEW",
        now,
      });
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

    async snapshot() {
      const jobs: JobRecord[] = [];
      const idleSeen = new Map<string, Date>();
      const counters = new Map<string, number>();
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }));
        for (const item of page.Items ?? []) {
          const pk = String(item.pk);
          if (pk.startsWith("job#") || pk.startsWith("warm#")) {
            const job = normalize(item as JobRecord);
            const open = (ACTIVE_PHASES as readonly string[]).includes(job.phase);
            if (open || (job.phase === "failed" && job.interrupted === true && job.rerunRequested !== true)) jobs.push(job);
          } else if (pk.startsWith("idle#")) {
            idleSeen.set(pk.slice("idle#".length), new Date(String(item.seenAt)));
          } else if (pk.startsWith("limit#")) {
            counters.set(pk, Number(item.inUse ?? 0));
          }
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined);
      return { jobs, idleSeen, counters };
    },

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

    async markIdleSeen(instanceId, now) {
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: { pk: idleKey(instanceId), seenAt: now.toISOString(), expiration: Math.floor(now.getTime() / 1000) + TERMINAL_ITEM_TTL_SECONDS },
            ConditionExpression: "attribute_not_exists(pk)",
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException || (error as { name?: string }).name === "ConditionalCheckFailedException")) throw error;
      }
    },

    async clearIdleSeen(instanceId) {
      await client.send(new DeleteCommand({ TableName: tableName, Key: { pk: idleKey(instanceId) } }));
    },

    get,
    jobOfInstance: (instanceId) => pointer(instanceKey(instanceId)),
    jobOfRunner: (runnerName) => pointer(runnerKey(runnerName)),

    async activeJobs() {
      const jobs: JobRecord[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({
            TableName: tableName,
            FilterExpression: `begins_with(#pk, :job) AND ${ACTIVE_FILTER}`,
            ExpressionAttributeNames: { "#pk": "pk", "#phase": "phase" },
            ExpressionAttributeValues: { ":job": "job#", ...Object.fromEntries(ACTIVE_PHASES.map((p, i) => [`:p${i}`, p])) },
            ExclusiveStartKey: startKey,
          }),
        );
        jobs.push(...((page.Items ?? []) as JobRecord[]).map(normalize));
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined);
      return jobs;
    },
  };
}

/** The document client reads string sets as Set; the record exposes plain arrays. */
function normalize(record: JobRecord): JobRecord {
  const ids = (record as { deliveryIds?: unknown }).deliveryIds;
  return ids instanceof Set ? { ...record, deliveryIds: [...(ids as Set<string>)].sort() } : record;
}
