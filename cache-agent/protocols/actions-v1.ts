import { createWriteStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { drain, readText } from "../http.js";
import { spoolFile } from "../transfer/spool.js";
import type { ActionsDownloads } from "./actions-downloads.js";
import { sendJson, sendStatus, type ProtocolContext, type ProtocolHandler } from "./route.js";

const PREFIX = "/_apis/artifactcache/";
const ABANDONED_AFTER_MS = 60 * 60_000;

interface Reservation {
  readonly key: string;
  readonly version: string;
  readonly path: string;
  readonly started: number;
}

/**
 * The legacy cache service (v1, `ACTIONS_CACHE_URL`), which `@actions/cache` still speaks on GitHub
 * Enterprise Server: `GET cache?keys&version`, `POST caches` (reserve), `PATCH caches/:id` with a
 * Content-Range per chunk (4 in parallel, written in place), `POST caches/:id` (commit). Same semantics
 * and download URLs as v2 (actions.ts).
 */
export function actionsV1Protocol(context: ProtocolContext, downloads: ActionsDownloads): ProtocolHandler {
  const { store, spoolDir } = context;
  const reservations = new Map<number, Reservation>();
  let nextId = 1;

  return {
    protocol: "actions",
    async handle(request, response, url) {
      if (!url.pathname.startsWith(PREFIX)) return false;
      const resource = url.pathname.slice(PREFIX.length);
      const base = `http://${request.headers.host ?? "127.0.0.1"}`;
      const id = Number(/^caches\/(\d+)$/.exec(resource)?.[1] ?? Number.NaN);
      if (resource === "cache" && request.method === "GET") {
        const keys = (url.searchParams.get("keys") ?? "").split(",").filter(Boolean);
        // A failing cache is a miss (204), not a 5xx the toolkit would retry.
        const hit = keys.length === 0 ? undefined : await store.find("actions", keys, url.searchParams.get("version") ?? "").catch((error: unknown) => void context.log("cache request failed", { protocol: "actions", error: String(error) }));
        if (hit === undefined) sendStatus(response, 204);
        else sendJson(response, 200, { cacheKey: hit.key, cacheVersion: hit.version, archiveLocation: downloads.url(base, hit) });
      } else if (resource === "caches" && request.method === "POST") {
        const { key = "", version = "" } = JSON.parse((await readText(request)) || "{}") as { key?: string; version?: string };
        const existing = await store.find("actions", [key], version);
        if (existing !== undefined && existing.key === key && existing.fromBranch === undefined) {
          sendJson(response, 409, { message: `cache entry ${key} already exists` });
          return true;
        }
        const now = Date.now();
        for (const [old, r] of reservations) if (now - r.started > ABANDONED_AFTER_MS) reservations.delete(old);
        const cacheId = nextId++;
        const path = join(spoolDir, `self-runners-v1-${process.pid}-${cacheId}`);
        await writeFile(path, "");
        reservations.set(cacheId, { key, version, path, started: now });
        sendJson(response, 201, { cacheId });
      } else if (reservations.has(id) && request.method === "PATCH") {
        const range = /^bytes (\d+)-(\d+)\//.exec(request.headers["content-range"] ?? "");
        if (range === null) {
          await drain(request);
          sendStatus(response, 400, "Content-Range bytes start-end/* required");
          return true;
        }
        // Chunks arrive in parallel and in any order: each is written at its own offset.
        await pipeline(request, createWriteStream(reservations.get(id)!.path, { flags: "r+", start: Number(range[1]) }));
        sendStatus(response, 204);
      } else if (reservations.has(id) && request.method === "POST") {
        const reservation = reservations.get(id)!;
        reservations.delete(id);
        const { size } = JSON.parse((await readText(request)) || "{}") as { size?: number };
        const file = await spoolFile(reservation.path);
        try {
          const result = file.size === size ? await store.saveSpooled("actions", reservation.key, reservation.version, file) : { saved: false, reason: `uploaded ${file.size} bytes, committed ${String(size)}` };
          if (result.saved) sendStatus(response, 204);
          else sendJson(response, 400, { message: result.reason });
        } finally {
          await file.remove();
        }
      } else {
        await drain(request);
        sendStatus(response, 404);
      }
      return true;
    },
  };
}
