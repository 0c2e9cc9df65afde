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
