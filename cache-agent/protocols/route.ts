import type { IncomingMessage, ServerResponse } from "node:http";
import type { BuildCacheProtocol } from "../../contracts/build-cache.js";
import type { CacheStore } from "../store.js";

/** What a protocol module gets: the store, and where transient files go. */
export interface ProtocolContext {
  readonly store: CacheStore;
  readonly spoolDir: string;
  readonly log: AgentLog;
}

/** One line per notable event; fixed message, data in fields. */
export type AgentLog = (message: string, fields?: Record<string, unknown>) => void;

/** One client protocol: answers the requests it recognises (returns true), leaves the rest. */
export interface ProtocolHandler {
  readonly protocol: BuildCacheProtocol;
  handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<boolean>;
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

export function sendStatus(response: ServerResponse, status: number, text = ""): void {
  response.writeHead(status, { "content-type": "text/plain", "content-length": Buffer.byteLength(text) });
  response.end(text);
}
