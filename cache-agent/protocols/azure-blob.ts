import { createHash, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { drain, readText } from "../http.js";
import { spool, type Spool } from "../transfer/spool.js";

/**
 * The slice of Azure Blob Storage that `@actions/cache` v2 uploads with (its BlockBlobClient.uploadFile,
 * lib/internal/uploadUtils.js): one Put Blob for an archive up to 128 MiB, else Put Block per 64 MiB block
 * (8 in parallel) and a Put Block List. Hand-written: no library serves this side of the protocol, and the
 * toolkit needs three requests of it. The blob path is IP style (`/<account>/<container>/<blob>`), which
 * the Azure SDK parses for a 127.0.0.1 URL.
 */
export const AZURE_PATH_PREFIX = "/_azure/selfrunners/";

const ABANDONED_AFTER_MS = 60 * 60_000;

/** One CreateCacheEntry's upload, until Finalize. */
export interface PendingUpload {
  readonly id: string;
  readonly key: string;
  readonly version: string;
  readonly started: number;
  /** Set by Put Blob or Put Block List: the whole archive, hashed. */
  archive?: Spool;
  /** Put Block files by block id, until the block list orders them. */
  readonly blocks: Map<string, string>;
}

export class AzureBlobUploads {
  private readonly pending = new Map<string, PendingUpload>();

  constructor(private readonly spoolDir: string) {}

  create(key: string, version: string): PendingUpload {
    // A client that never finalized (cancelled job step) leaves files behind: drop them after an hour.
    const now = Date.now();
    for (const stale of this.pending.values()) if (now - stale.started > ABANDONED_AFTER_MS) void this.discard(stale);
    const upload: PendingUpload = { id: randomUUID(), key, version, started: now, blocks: new Map() };
    this.pending.set(upload.id, upload);
    return upload;
  }

  /** The upload of `key`/`version` whose archive is complete (the newest, if a client retried). */
  take(key: string, version: string): PendingUpload | undefined {
    const ready = [...this.pending.values()].filter((u) => u.key === key && u.version === version && u.archive !== undefined).at(-1);
    if (ready !== undefined) this.pending.delete(ready.id);
    return ready;
  }

  async discard(upload: PendingUpload): Promise<void> {
    this.pending.delete(upload.id);
    await upload.archive?.remove();
    await Promise.all([...upload.blocks.values()].map((path) => rm(path, { force: true })));
  }

  /** Put Blob, Put Block, Put Block List on `/_azure/selfrunners/actions/<id>`. */
  async handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const id = url.pathname.slice(AZURE_PATH_PREFIX.length).split("/")[1] ?? "";
    const upload = this.pending.get(id);
    if (request.method !== "PUT" || upload === undefined) {
      await drain(request);
      return azureError(response, 404, "BlobNotFound");
    }
    const comp = url.searchParams.get("comp");
    if (comp === "block") {
      const blockId = url.searchParams.get("blockid") ?? "";
      const path = join(this.spoolDir, `self-runners-block-${id}-${createHash("sha256").update(blockId).digest("hex").slice(0, 16)}`);
      await pipeline(request, createWriteStream(path));
      upload.blocks.set(blockId, path);
      return created(response);
    }
    if (comp === "blocklist") {
      const ids = [...(await readText(request)).matchAll(/<(?:Latest|Committed|Uncommitted)>([^<]*)<\//g)].map((m) => m[1]!);
      const missing = ids.filter((b) => !upload.blocks.has(b));
      if (missing.length > 0) return azureError(response, 400, "InvalidBlockList");
      await upload.archive?.remove();
      upload.archive = await spool(ids.map((b) => upload.blocks.get(b)!), this.spoolDir);
      await Promise.all([...upload.blocks.values()].map((path) => rm(path, { force: true })));
      upload.blocks.clear();
      return created(response);
    }
    if (comp === null && request.headers["x-ms-blob-type"] === "BlockBlob") {
      await upload.archive?.remove();
      upload.archive = await spool(request, this.spoolDir);
      return created(response);
    }
    await drain(request);
    azureError(response, 400, "UnsupportedOperation");
  }
}

function created(response: ServerResponse): void {
  response.writeHead(201, {
    etag: `"0x${Date.now().toString(16).toUpperCase()}"`,
    "last-modified": new Date().toUTCString(),
    "x-ms-request-id": randomUUID(),
    "x-ms-version": "2025-05-05",
    "x-ms-request-server-encrypted": "true",
    "content-length": 0,
  });
  response.end();
}

function azureError(response: ServerResponse, status: number, code: string): void {
  const body = `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`;
  response.writeHead(status, { "content-type": "application/xml", "x-ms-error-code": code, "content-length": Buffer.byteLength(body) });
  response.end(body);
}
