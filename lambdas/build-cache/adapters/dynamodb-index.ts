/**
 * The cache index on DynamoDB (on demand), one partition per scope (BUILD_CACHE_INDEX_TABLE in
 * contracts/build-cache.ts): entries `e#...`, blob records `b#<digest>`, reservations `u#<token>` (TTL on
 * `expiresAt`). Every guarded change is one conditional write: DynamoDB transactions are not needed.
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { isConditionFailure } from "../../libs/ledger/dynamodb-update.js";
import { BLOB_PREFIX, ENTRY_PREFIX, blobSortKey, entrySortKey, entrySortKeyPrefix, reservationSortKey, scopePartition } from "../keys.js";
import type { BlobRecord, IndexEntry, IndexStore, Reservation, SweepIndex } from "../ports.js";

type Item = Record<string, unknown>;

type Expressions = { UpdateExpression?: string; ConditionExpression?: string; FilterExpression?: string; KeyConditionExpression?: string };

/** Adds a `#name` alias for every attribute an expression names `#name` (several are DynamoDB reserved words). */
function named<I extends Expressions>(input: I): I & { ExpressionAttributeNames?: Record<string, string> } {
  const text = [input.UpdateExpression, input.ConditionExpression, input.FilterExpression, input.KeyConditionExpression].join(" ");
  const aliases = [...new Set(text.match(/#\w+/g) ?? [])];
  return aliases.length === 0 ? input : { ...input, ExpressionAttributeNames: Object.fromEntries(aliases.map((alias) => [alias, alias.slice(1)])) };
}

function toEntry(item: Item): IndexEntry {
  const { pk: _pk, sk: _sk, type: _type, ...entry } = item;
  return entry as unknown as IndexEntry;
}

function toBlob(item: Item): BlobRecord {
  const { pk: _pk, sk: _sk, type: _type, ...blob } = item;
  return blob as unknown as BlobRecord;
}

export function dynamoDbIndex(client: DynamoDBDocumentClient, tableName: string): IndexStore & SweepIndex {
  const entryKey = (entry: IndexEntry) => ({ pk: scopePartition(entry.scope), sk: entrySortKey(entry, entry.version, entry.key) });
  const blobKey = (blob: { scope: string; digest: string }) => ({ pk: scopePartition(blob.scope), sk: blobSortKey(blob.digest) });
  const conditional = async (write: () => Promise<unknown>): Promise<boolean> => {
    try {
      await write();
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  };
  async function* query(pk: string, prefix: string, consistent: boolean, digest?: string): AsyncGenerator<Item> {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await client.send(
        new QueryCommand(named({
          TableName: tableName,
          KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
          ...(digest === undefined ? {} : { FilterExpression: "#digest = :digest" }),
          ExpressionAttributeValues: { ":pk": pk, ":prefix": prefix, ...(digest === undefined ? {} : { ":digest": digest }) },
          ConsistentRead: consistent,
          ExclusiveStartKey: start,
        })),
      );
      yield* page.Items ?? [];
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
  }
  return {
    async getEntry(scope, ref, version, key) {
      const answer = await client.send(new GetCommand({ TableName: tableName, Key: { pk: scopePartition(scope), sk: entrySortKey(ref, version, key) } }));
      return answer.Item === undefined ? undefined : toEntry(answer.Item);
    },
    async newestWithPrefix(scope, ref, version, prefix) {
      let newest: IndexEntry | undefined;
      for await (const item of query(scopePartition(scope), entrySortKeyPrefix(ref, version, prefix), false)) {
        const entry = toEntry(item);
        if (newest === undefined || entry.created > newest.created) newest = entry;
      }
      return newest;
    },
    async touchEntry(entry, now) {
      await conditional(() =>
        client.send(new UpdateCommand(named({ TableName: tableName, Key: entryKey(entry), UpdateExpression: "SET #lastAccess = :now", ConditionExpression: "attribute_exists(pk)", ExpressionAttributeValues: { ":now": now.toISOString() } }))),
      );
    },
    async putEntry(entry) {
      return conditional(() => client.send(new PutCommand({ TableName: tableName, Item: { ...entryKey(entry), type: "entry", ...entry }, ConditionExpression: "attribute_not_exists(pk)" })));
    },
    async getBlob(scope, digest) {
      const answer = await client.send(new GetCommand({ TableName: tableName, Key: blobKey({ scope, digest }), ConsistentRead: true }));
      return answer.Item === undefined ? undefined : toBlob(answer.Item);
    },
    async referenceBlob(scope, digest, size, now) {
      try {
        const answer = await client.send(
          new UpdateCommand(named({
            TableName: tableName,
            Key: blobKey({ scope, digest }),
            UpdateExpression: "SET #type = :type, #scope = :scope, #digest = :digest, #size = :size, #lastReferenced = :now, #stored = if_not_exists(#stored, :false)",
            ConditionExpression: "attribute_not_exists(#deletingSince)",
            ExpressionAttributeValues: { ":type": "blob", ":scope": scope, ":digest": digest, ":size": size, ":now": now.toISOString(), ":false": false },
            ReturnValues: "ALL_NEW",
          })),
        );
        return { ok: true, blob: toBlob(answer.Attributes ?? {}) };
      } catch (error) {
        if (isConditionFailure(error)) return { ok: false, reason: "deleting" };
        throw error;
      }
    },
    async markBlobStored(scope, digest) {
      // Never creates a record: one without its attributes would be a blob of no scope.
      await conditional(() =>
        client.send(
          new UpdateCommand(named({ TableName: tableName, Key: blobKey({ scope, digest }), UpdateExpression: "SET #stored = :true", ConditionExpression: "attribute_exists(pk)", ExpressionAttributeValues: { ":true": true } })),
        ),
      );
    },
    async putReservation(reservation) {
      await client.send(new PutCommand({ TableName: tableName, Item: { pk: scopePartition(reservation.scope), sk: reservationSortKey(reservation.token), type: "upload", ...reservation } }));
    },
    async getReservation(scope, token) {
      const answer = await client.send(new GetCommand({ TableName: tableName, Key: { pk: scopePartition(scope), sk: reservationSortKey(token) }, ConsistentRead: true }));
      if (answer.Item === undefined) return undefined;
      const { pk: _pk, sk: _sk, type: _type, ...reservation } = answer.Item;
      return reservation as unknown as Reservation;
    },
    async deleteReservation(scope, token) {
      await client.send(new DeleteCommand({ TableName: tableName, Key: { pk: scopePartition(scope), sk: reservationSortKey(token) } }));
    },
    async scopes() {
      const found = new Map<string, { entries: IndexEntry[]; blobs: BlobRecord[] }>();
      let start: Record<string, unknown> | undefined;
      do {
        const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
        for (const item of page.Items ?? []) {
          const sortKey = String(item.sk);
          if (!sortKey.startsWith(ENTRY_PREFIX) && !sortKey.startsWith(BLOB_PREFIX)) continue;
          const scope = String(item.scope);
          const group = found.get(scope) ?? { entries: [], blobs: [] };
          found.set(scope, group);
          if (sortKey.startsWith(ENTRY_PREFIX)) group.entries.push(toEntry(item));
          else group.blobs.push(toBlob(item));
        }
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
      return found;
    },
    async evictEntry(entry) {
      return conditional(() =>
        client.send(
          new DeleteCommand(named({ TableName: tableName, Key: entryKey(entry), ConditionExpression: "#lastAccess = :seen AND #digest = :digest", ExpressionAttributeValues: { ":seen": entry.lastAccess, ":digest": entry.digest } })),
        ),
      );
    },
    async isReferenced(scope, digest) {
      for await (const _item of query(scopePartition(scope), ENTRY_PREFIX, true, digest)) return true;
      return false;
    },
    async startBlobDeletion(blob, cutoff, now) {
      return conditional(() =>
        client.send(
          new UpdateCommand(named({
            TableName: tableName,
            Key: blobKey(blob),
            UpdateExpression: "SET #deletingSince = :now",
            ConditionExpression: "attribute_exists(pk) AND attribute_not_exists(#deletingSince) AND #lastReferenced < :cutoff",
            ExpressionAttributeValues: { ":now": now.toISOString(), ":cutoff": cutoff.toISOString() },
          })),
        ),
      );
    },
    async cancelBlobDeletion(blob, since) {
      await conditional(() =>
        client.send(new UpdateCommand(named({ TableName: tableName, Key: blobKey(blob), UpdateExpression: "REMOVE #deletingSince", ConditionExpression: "#deletingSince = :since", ExpressionAttributeValues: { ":since": since.toISOString() } }))),
      );
    },
    async finishBlobDeletion(blob, since) {
      await conditional(() => client.send(new DeleteCommand(named({ TableName: tableName, Key: blobKey(blob), ConditionExpression: "#deletingSince = :since", ExpressionAttributeValues: { ":since": since.toISOString() } }))));
    },
  };
}
