import type { IncomingMessage, ServerResponse } from "node:http";
import type { BuildCacheProtocol } from "../../contracts/build-cache.js";
import { drain } from "../http.js";
import { spool } from "../transfer/spool.js";
import { sendStatus, type ProtocolContext, type ProtocolHandler } from "./route.js";

/** Where a key-value request's entry lives: the function's (key, version) within the protocol's namespace. */
export interface EntryAddress {
  readonly key: string;
  readonly version: string;
  /** For content-addressed stores (Bazel's CAS): the SHA-256 the body must have. */
  readonly expectedDigest?: string;
}

export interface KeyValueSpec {
  readonly protocol: BuildCacheProtocol;
  /** The entry a path names, or undefined when the path is not this protocol's. */
  readonly address: (pathname: string, url: URL) => EntryAddress | undefined;
  /** Status of a successful PUT. @default 200 */
  readonly putStatus?: number;
}

/**
 * GET / HEAD / PUT of one blob per key: the shape of Turborepo's artifacts, Nx's self-hosted cache, Bazel's
 * and Gradle's HTTP caches and the plain `/http/` store. A miss is 404; a failure of the function or S3 is
 * 502 (every one of these clients treats it as a cache error and builds anyway).
 */
export function keyValueProtocol(spec: KeyValueSpec, context: ProtocolContext): ProtocolHandler {
  const { store, log } = context;
  return {
    protocol: spec.protocol,
    async handle(request, response, url) {
      const address = spec.address(url.pathname, url);
      if (address === undefined) return false;
      try {
        if (request.method === "GET" || request.method === "HEAD") {
          await drain(request);
          const hit = await store.find(spec.protocol, [address.key], address.version);
          if (hit === undefined || hit.key !== address.key) {
            sendStatus(response, 404);
            return true;
          }
          const headers = { "content-type": "application/octet-stream", "content-length": hit.size };
          if (request.method === "HEAD") response.writeHead(200, headers).end();
          else await store.stream(hit, response, () => response.writeHead(200, headers));
          return true;
        }
        if (request.method === "PUT") {
          await put(spec, address, request, response, context);
          return true;
        }
        await drain(request);
        sendStatus(response, 405);
      } catch (error) {
        log("cache request failed", { protocol: spec.protocol, method: request.method, key: address.key, error: String(error) });
        if (!response.headersSent) sendStatus(response, 502, "cache backend error");
        else response.destroy();
      }
      return true;
    },
  };
}

async function put(spec: KeyValueSpec, address: EntryAddress, request: IncomingMessage, response: ServerResponse, { store, spoolDir, log }: ProtocolContext): Promise<void> {
  const file = await spool(request, spoolDir);
  try {
    // A CAS entry is named by its digest: wrong bytes are refused before anything is stored.
    if (address.expectedDigest !== undefined && file.digest !== address.expectedDigest) {
      sendStatus(response, 400, `body SHA-256 ${file.digest} is not ${address.expectedDigest}`);
      return;
    }
    const result = await store.saveSpooled(spec.protocol, address.key, address.version, file);
    if (!result.saved) {
      // Read-only branch or over budget: the client's build goes on without saving.
      log("cache save refused", { protocol: spec.protocol, key: address.key, reason: result.reason });
      sendStatus(response, 403, result.reason);
      return;
    }
    sendStatus(response, spec.putStatus ?? 200);
  } finally {
    await file.remove();
  }
}

/** `<prefix><rest>` -> rest, when rest is a non-empty key without `..` segments. */
export function keyAfter(pathname: string, prefix: string): string | undefined {
  if (!pathname.startsWith(prefix)) return undefined;
  const key = decodeURIComponent(pathname.slice(prefix.length));
  if (key === "" || key.split("/").includes("..")) return undefined;
  return key;
}
