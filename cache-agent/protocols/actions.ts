import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { readText } from "../http.js";
import type { CacheHit } from "../store.js";
import { AZURE_PATH_PREFIX, AzureBlobUploads } from "./azure-blob.js";
import { sendJson, sendStatus, type ProtocolContext, type ProtocolHandler } from "./route.js";

const TWIRP_PREFIX = "/twirp/github.actions.results.api.v1.CacheService/";
const DOWNLOAD_PREFIX = "/_actions/download/";
/** How long a handed-out download URL stays valid: the function's presigned GET is valid 900 s. */
const DOWNLOAD_TTL_MS = 10 * 60_000;

/** Twirp JSON fields, proto names as the toolkit sends them (useProtoFieldName); camelCase accepted too. */
interface TwirpRequest {
  readonly key?: string;
  readonly version?: string;
  readonly restore_keys?: readonly string[];
  readonly restoreKeys?: readonly string[];
}

/**
 * GitHub Actions cache service v2 as `@actions/cache` 4+ speaks it (ACTIONS_CACHE_SERVICE_V2 set,
 * ACTIONS_RESULTS_URL pointing here): three Twirp JSON calls, uploads to the agent's own Azure-blob
 * endpoint (azure-blob.ts), downloads from a plain GET the toolkit validates by Content-Length.
 * Semantics as GitHub's: `key` exact, then each restore key as a prefix (newest first), only entries of
 * the same version; an entry is immutable (a second CreateCacheEntry of a key on the same branch fails).
 */
export function actionsProtocol(context: ProtocolContext): ProtocolHandler {
  const { store, log } = context;
  const uploads = new AzureBlobUploads(context.spoolDir);
  const downloads = new Map<string, { readonly hit: CacheHit; readonly until: number }>();

  async function twirp(method: string, body: TwirpRequest, base: string): Promise<unknown> {
    const key = body.key ?? "";
    const version = body.version ?? "";
    switch (method) {
      case "GetCacheEntryDownloadURL": {
        const hit = await store.find("actions", [key, ...(body.restore_keys ?? body.restoreKeys ?? [])], version);
        if (hit === undefined) return { ok: false, signed_download_url: "", matched_key: "" };
        const id = randomUUID();
        const now = Date.now();
        for (const [old, entry] of downloads) if (entry.until < now) downloads.delete(old);
        downloads.set(id, { hit, until: now + DOWNLOAD_TTL_MS });
        return { ok: true, signed_download_url: `${base}${DOWNLOAD_PREFIX}${id}`, matched_key: hit.key };
      }
      case "CreateCacheEntry": {
        // GitHub refuses a second entry of one key and version on a branch; one from a base branch does not count.
        const existing = await store.find("actions", [key], version);
        if (existing !== undefined && existing.key === key && existing.fromBranch === undefined) {
          return { ok: false, signed_upload_url: "", message: `cache entry ${key} already exists` };
        }
        const upload = uploads.create(key, version);
        return { ok: true, signed_upload_url: `${base}${AZURE_PATH_PREFIX}actions/${upload.id}` };
      }
      case "FinalizeCacheEntryUpload": {
        const upload = uploads.take(key, version);
        if (upload?.archive === undefined) return { ok: false, entry_id: "0", message: `no upload of ${key} to finalize` };
        try {
          const result = await store.saveSpooled("actions", key, version, upload.archive);
          if (!result.saved) return { ok: false, entry_id: "0", message: result.reason };
          return { ok: true, entry_id: String(Date.now()) };
        } finally {
          await uploads.discard(upload);
        }
      }
      default:
        return undefined;
    }
  }

  async function download(id: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const entry = downloads.get(id);
    if (entry === undefined || entry.until < Date.now() || request.method !== "GET") return sendStatus(response, 404);
    response.writeHead(200, { "content-type": "application/octet-stream", "content-length": entry.hit.size });
    await store.stream(entry.hit, response);
  }

  return {
    protocol: "actions",
    async handle(request, response, url) {
      const base = `http://${request.headers.host ?? "127.0.0.1"}`;
      try {
        if (url.pathname.startsWith(TWIRP_PREFIX) && request.method === "POST") {
          const method = url.pathname.slice(TWIRP_PREFIX.length);
          const answer = await twirp(method, JSON.parse((await readText(request)) || "{}") as TwirpRequest, base);
          if (answer === undefined) sendJson(response, 404, { code: "bad_route", msg: `no method ${method}` });
          else sendJson(response, 200, answer);
          return true;
        }
        if (url.pathname.startsWith(AZURE_PATH_PREFIX)) {
          await uploads.handle(request, response, url);
          return true;
        }
        if (url.pathname.startsWith(DOWNLOAD_PREFIX)) {
          await download(url.pathname.slice(DOWNLOAD_PREFIX.length), request, response);
          return true;
        }
      } catch (error) {
        log("cache request failed", { protocol: "actions", path: url.pathname, error: String(error) });
        // Twirp's internal error: the toolkit retries 5xx, then warns and goes on without the cache.
        if (!response.headersSent) sendJson(response, 500, { code: "internal", msg: "cache backend error" });
        else response.destroy();
        return true;
      }
      return false;
    },
  };
}
