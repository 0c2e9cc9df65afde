import { readText } from "../http.js";
import { ActionsDownloads, DOWNLOAD_PREFIX } from "./actions-downloads.js";
import { actionsV1Protocol } from "./actions-v1.js";
import { AZURE_PATH_PREFIX, AzureBlobUploads } from "./azure-blob.js";
import { sendJson, sendStatus, type ProtocolContext, type ProtocolHandler } from "./route.js";

const TWIRP_PREFIX = "/twirp/github.actions.results.api.v1.CacheService/";

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
  const downloads = new ActionsDownloads();
  const v1 = actionsV1Protocol(context, downloads);

  async function twirp(method: string, body: TwirpRequest, base: string): Promise<unknown> {
    const key = body.key ?? "";
    const version = body.version ?? "";
    switch (method) {
      case "GetCacheEntryDownloadURL": {
        const hit = await store.find("actions", [key, ...(body.restore_keys ?? body.restoreKeys ?? [])], version);
        if (hit === undefined) return { ok: false, signed_download_url: "", matched_key: "" };
        return { ok: true, signed_download_url: downloads.url(base, hit), matched_key: hit.key };
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

  return {
    protocol: "actions",
    async handle(request, response, url) {
      const base = `http://${request.headers.host ?? "127.0.0.1"}`;
      try {
        if (url.pathname.startsWith(TWIRP_PREFIX) && request.method === "POST") {
          const method = url.pathname.slice(TWIRP_PREFIX.length);
          const body = JSON.parse((await readText(request)) || "{}") as TwirpRequest;
          const answer = await twirp(method, body, base).catch((error: unknown) => {
            // Answered as a miss or a failed save, not a 5xx: the toolkit retries a 5xx five times with
            // back-off (about 30 s) before it gives up, which an unreachable cache would cost every job.
            log("cache request failed", { protocol: "actions", method, key: body.key, error: String(error) });
            return { ok: false, message: "the build cache is unavailable" };
          });
          if (answer === undefined) sendJson(response, 404, { code: "bad_route", msg: `no method ${method}` });
          else sendJson(response, 200, answer);
          return true;
        }
        if (url.pathname.startsWith(AZURE_PATH_PREFIX)) {
          await uploads.handle(request, response, url);
          return true;
        }
        if (url.pathname.startsWith(DOWNLOAD_PREFIX)) {
          const hit = downloads.take(url.pathname.slice(DOWNLOAD_PREFIX.length));
          if (hit === undefined || request.method !== "GET") {
            sendStatus(response, 404);
            return true;
          }
          await store.stream(hit, response, () => response.writeHead(200, { "content-type": "application/octet-stream", "content-length": hit.size }));
          return true;
        }
        if (await v1.handle(request, response, url)) return true;
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
