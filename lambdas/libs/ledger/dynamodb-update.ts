import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { TRANSITIONS } from "./phases.js";
import type { Phase, Transition } from "./phases.js";
import { LEDGER_ITEM_TTL_SECONDS } from "./types.js";
import type { JobRecord, LedgerEvent } from "./types.js";

/** One conditional write of the DynamoDB store, as data (see `conditionalUpdate`). */
export interface LedgerUpdate {
  readonly key: string;
  /** Adds `phase IN (from)` of the transition to the condition. */
  readonly transition?: Transition;
  readonly condition?: string;
  readonly set?: Record<string, unknown>;
  /** Facts that never change: `SET #k = if_not_exists(#k, :k)`. */
  readonly ifAbsent?: Record<string, unknown>;
  readonly remove?: readonly string[];
  readonly add?: Record<string, unknown>;
  readonly events?: LedgerEvent[];
  readonly names?: Record<string, string>;
  readonly values?: Record<string, unknown>;
  /** NONE: the caller needs only whether the condition held. */
  readonly returnValues: "ALL_OLD" | "ALL_NEW" | "NONE";
  readonly now: Date;
}

export function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as { name?: string }).name === "ConditionalCheckFailedException";
}

export function expirationAt(now: Date, seconds = LEDGER_ITEM_TTL_SECONDS): number {
  return Math.floor(now.getTime() / 1000) + seconds;
}

/** `phase IN (from)` of a transition, with `attribute_not_exists` standing for "no item yet". */
function fromCondition(transition: Transition, names: Record<string, string>, values: Record<string, unknown>): string {
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
}

/**
 * One conditional UpdateItem built from `LedgerUpdate` (every write also sets `updatedAt` and
 * `expiration`). Resolves to the old or new item (undefined with NONE), or null when the condition failed.
 */
export async function conditionalUpdate(client: DynamoDBDocumentClient, tableName: string, args: LedgerUpdate): Promise<JobRecord | undefined | null> {
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
  for (const [k, v] of Object.entries({ updatedAt: args.now.toISOString(), expiration: expirationAt(args.now), ...(args.set ?? {}) })) {
    if (v === undefined) continue;
    sets.push(`${name(k)} = ${value(v)}`);
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
  const expression = [`SET ${sets.join(", ")}`, adds.length > 0 ? `ADD ${adds.join(", ")}` : "", removes.length > 0 ? `REMOVE ${removes.join(", ")}` : ""]
    .filter((part) => part !== "")
    .join(" ");
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
    if (isConditionFailure(error)) return null;
    throw error;
  }
}

/** The document client reads string sets as Set; the record exposes plain arrays. */
export function normalize(record: JobRecord): JobRecord {
  const ids = (record as { deliveryIds?: unknown }).deliveryIds;
  return ids instanceof Set ? { ...record, deliveryIds: [...(ids as Set<string>)].sort() } : record;
}

/**
 * The parts of the queueing lease's write (`receiveToQueue`) that depend only on which facts a job
 * has, built once per combination: the webhook sends this write for every queued delivery, and
 * `conditionalUpdate`'s general builder (aliases, entries, joins per call) was a tenth of its CPU.
 * The write is the one `conditionalUpdate` would send for the same `LedgerUpdate` (the queueing-lease
 * contract tests run both stores): `set` the lease, `ifAbsent` the facts, `phase`, `receivedAt` and
 * `queuedAt`, the `queue-leased` event, and the delivery id added to `deliveryIds`.
 */
const QUEUE_LEASE_CONDITION =
  "attribute_not_exists(#phase) OR (#phase = :received AND (attribute_not_exists(#queuedAt) OR (#queueLeaseExpiresAt < :nowMs AND #queuedAt > :resendFrom)))";
const queueLeaseParts = new Map<number, { readonly expression: string; readonly names: Readonly<Record<string, string>> }>();

function queueLeaseShape(facts: Readonly<Record<string, unknown>>, mask: number): { readonly expression: string; readonly names: Readonly<Record<string, string>> } {
  let parts = queueLeaseParts.get(mask);
  if (parts === undefined) {
    const names: Record<string, string> = {};
    const sets = ["updatedAt = :now", "expiration = :expiration", "queueLeaseOwner = :owner", "queueLeaseExpiresAt = :leaseExpires"].map((set) => {
      const attribute = set.slice(0, set.indexOf(" "));
      names[`#${attribute}`] = attribute;
      return `#${set}`;
    });
    let i = 0;
    for (const name in facts) {
      if ((mask & (1 << i)) !== 0) {
        names[`#${name}`] = name;
        sets.push(`#${name} = if_not_exists(#${name}, :f${i})`);
      }
      i++;
    }
    for (const [name, value] of [["phase", ":received"], ["receivedAt", ":now"], ["queuedAt", ":now"]] as const) {
      names[`#${name}`] = name;
      sets.push(`#${name} = if_not_exists(#${name}, ${value})`);
    }
    names["#events"] = "events";
    names["#deliveryIds"] = "deliveryIds";
    sets.push("#events = list_append(if_not_exists(#events, :noEvents), :events)");
    parts = { expression: `SET ${sets.join(", ")} ADD #deliveryIds :deliveryIds`, names };
    queueLeaseParts.set(mask, parts);
  }
  return parts;
}

/** UpdateItem's input for `receiveToQueue`: the job's facts (`factFields`), the lease for `deliveryId` until `now + leaseMs`. */
export function queueLeaseUpdate(
  tableName: string,
  key: string,
  facts: Readonly<Record<string, unknown>>,
  deliveryId: string,
  leaseMs: number,
  now: Date,
  resendWindowMs: number,
  event: readonly LedgerEvent[],
): ConstructorParameters<typeof UpdateCommand>[0] {
  const nowIso = now.toISOString();
  const nowMs = now.getTime();
  const values: Record<string, unknown> = {
    ":now": nowIso,
    ":expiration": expirationAt(now),
    ":owner": deliveryId,
    ":leaseExpires": nowMs + leaseMs,
    ":received": "received",
    ":nowMs": nowMs,
    ":resendFrom": new Date(nowMs - resendWindowMs).toISOString(),
    ":noEvents": [],
    ":events": event,
    ":deliveryIds": new Set([deliveryId]),
  };
  let mask = 0;
  let i = 0;
  for (const name in facts) {
    const value = facts[name];
    if (value !== undefined) {
      mask |= 1 << i;
      values[`:f${i}`] = value;
    }
    i++;
  }
  const { expression, names } = queueLeaseShape(facts, mask);
  return {
    TableName: tableName,
    Key: { pk: key },
    UpdateExpression: expression,
    ConditionExpression: QUEUE_LEASE_CONDITION,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ReturnValues: "NONE",
  };
}
