import { createHash } from "node:crypto";
import type { BlobStore } from "../../lambdas/build-cache/ports.js";
import type { CallerFacts } from "../../lambdas/build-cache/caller.js";

export function sha256Hex(bytes: Buffer | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** An in-memory blob store: part URLs are `mem://<key>?upload=<id>&part=<n>`, uploaded with `putPart`. */
export function memoryBlobs(): BlobStore & { readonly objects: Map<string, Buffer>; putPart(url: string, bytes: Buffer): string; readonly uploads: Map<string, Map<number, Buffer>> } {
  const objects = new Map<string, Buffer>();
  const uploads = new Map<string, Map<number, Buffer>>();
  let next = 0;
  return {
    objects,
    uploads,
    putPart(url, bytes) {
      const parsed = new URL(url);
      const parts = uploads.get(parsed.searchParams.get("upload") ?? "");
      if (parts === undefined) throw new Error("no such upload");
      parts.set(Number(parsed.searchParams.get("part")), bytes);
      return `"${sha256Hex(bytes).slice(0, 32)}"`;
    },
    async startUpload(key) {
      const id = `${key}|${next++}`;
      uploads.set(id, new Map());
      return id;
    },
    async partUrls(key, uploadId, count) {
      return Array.from({ length: count }, (_, index) => `mem://blob/${key}?upload=${encodeURIComponent(uploadId)}&part=${index + 1}`);
    },
    async completeUpload(key, uploadId, partETags) {
      const parts = uploads.get(uploadId);
      if (parts === undefined || parts.size !== partETags.length) return false;
      const ordered = partETags.map((_tag, index) => parts.get(index + 1));
      if (ordered.some((part, index) => part === undefined || `"${sha256Hex(part).slice(0, 32)}"` !== partETags[index])) return false;
      objects.set(key, Buffer.concat(ordered as Buffer[]));
      uploads.delete(uploadId);
      return true;
    },
    async abortUpload(_key, uploadId) {
      uploads.delete(uploadId);
    },
    async digestOf(key) {
      const bytes = objects.get(key);
      return bytes === undefined ? undefined : { sha256: sha256Hex(bytes), size: bytes.length };
    },
    async copy(from, to) {
      const bytes = objects.get(from);
      if (bytes === undefined) throw new Error(`no object ${from}`);
      objects.set(to, bytes);
    },
    async delete(key) {
      objects.delete(key);
    },
    async downloadUrl(key) {
      return `mem://blob/${key}`;
    },
  };
}

/** A runner of `scope` that ran a job of `repository` on `branch` (default branch `main`). */
export function ranJobCaller(scope: string, repository: string, branch: string, runnerName = "sr-i-0aaaaaaaaaaaaaaa1"): CallerFacts {
  return { scope, runnerName, ranJob: { repository, headBranch: branch, defaultBranch: "main", ranOn: runnerName } };
}

/** The cache index table as BUILD_CACHE_INDEX_TABLE describes it, on a dynalite server. */
export async function createIndexTable(client: import("@aws-sdk/client-dynamodb").DynamoDBClient, name: string): Promise<void> {
  const { CreateTableCommand } = await import("@aws-sdk/client-dynamodb");
  const { BUILD_CACHE_INDEX_TABLE } = await import("../../contracts/build-cache.js");
  await client.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [
        { AttributeName: BUILD_CACHE_INDEX_TABLE.partitionKey, AttributeType: "S" },
        { AttributeName: BUILD_CACHE_INDEX_TABLE.sortKey, AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: BUILD_CACHE_INDEX_TABLE.partitionKey, KeyType: "HASH" },
        { AttributeName: BUILD_CACHE_INDEX_TABLE.sortKey, KeyType: "RANGE" },
      ],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
}
