import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { GITHUB_RESULTS_SERVICE_URL } from "../contracts/actions-cache.js";
import { BUILD_CACHE_PROTOCOLS, type BuildCacheProtocol } from "../contracts/build-cache.js";
import type { CacheBackend } from "./backend/port.js";
import { actionsProtocol } from "./protocols/actions.js";
import { bazelProtocol, gradleProtocol, nxProtocol, plainHttpProtocol, turborepoProtocol } from "./protocols/build-tools.js";
import { resultsPassthrough } from "./protocols/results-passthrough.js";
import { sendStatus, type AgentLog, type ProtocolContext, type ProtocolHandler } from "./protocols/route.js";
import { CacheStore, type AgentStats, type TransferOptions } from "./store.js";

export interface CacheAgentOptions extends Partial<TransferOptions> {
  readonly backend: CacheBackend;
  /** 0 picks a free port (tests). @default 41230 (`SELF_RUNNERS_CACHE_PORT`'s default) */
  readonly port?: number;
  /** @default every protocol of BUILD_CACHE_PROTOCOLS */
  readonly protocols?: readonly BuildCacheProtocol[];
  /** @default nothing is logged */
  readonly log?: AgentLog;
  /**
   * Where results-service calls other than the cache's (artifacts v4) are forwarded when `actions` is
   * served (protocols/results-passthrough.ts).
   * @default GitHub's results service for github.com (`GITHUB_RESULTS_SERVICE_URL`)
   */
  readonly resultsUpstream?: string;
}

export interface CacheAgent {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  readonly port: number;
  readonly protocols: readonly BuildCacheProtocol[];
  readonly stats: AgentStats;
  close(): Promise<void>;
}

const PROTOCOL_HANDLERS: Readonly<Record<BuildCacheProtocol, (context: ProtocolContext) => ProtocolHandler>> = {
  actions: actionsProtocol,
  turborepo: turborepoProtocol,
  nx: nxProtocol,
  bazel: bazelProtocol,
  gradle: gradleProtocol,
  http: plainHttpProtocol,
};

/** Defaults for a runner: 8 parallel parts each way, ranged restores from 16 MiB in 8 MiB ranges. */
const TRANSFER_DEFAULTS: Omit<TransferOptions, "spoolDir"> = { uploadConcurrency: 8, downloadConcurrency: 8, rangedFrom: 16 * 1024 * 1024, rangeSize: 8 * 1024 * 1024 };

/**
 * Starts the build cache agent on 127.0.0.1 (never another interface: any process on the runner may use
 * it, nothing off the machine can). Resolves once it listens.
 */
export async function startCacheAgent(options: CacheAgentOptions): Promise<CacheAgent> {
  const transfer: TransferOptions = {
    spoolDir: options.spoolDir ?? tmpdir(),
    uploadConcurrency: options.uploadConcurrency ?? TRANSFER_DEFAULTS.uploadConcurrency,
    downloadConcurrency: options.downloadConcurrency ?? TRANSFER_DEFAULTS.downloadConcurrency,
    rangedFrom: options.rangedFrom ?? TRANSFER_DEFAULTS.rangedFrom,
    rangeSize: options.rangeSize ?? TRANSFER_DEFAULTS.rangeSize,
  };
  const store = new CacheStore(options.backend, transfer);
  const log = options.log ?? (() => {});
  const protocols = options.protocols ?? BUILD_CACHE_PROTOCOLS;
  const context: ProtocolContext = { store, spoolDir: transfer.spoolDir, log };
  const handlers = protocols.map((protocol) => PROTOCOL_HANDLERS[protocol](context));
  if (protocols.includes("actions")) handlers.push(resultsPassthrough(context, options.resultsUpstream ?? GITHUB_RESULTS_SERVICE_URL));

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    void (async () => {
      for (const handler of handlers) if (await handler.handle(request, response, url)) return;
      request.resume();
      sendStatus(response, 404, "not a cache endpoint the agent serves");
    })().catch((error: unknown) => {
      log("request failed", { path: url.pathname, error: String(error) });
      if (!response.headersSent) sendStatus(response, 500);
      else response.destroy();
    });
  });
  // Large uploads take longer than Node's default 300 s request timeout on a slow disk.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 41230, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    protocols,
    stats: store.stats,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
