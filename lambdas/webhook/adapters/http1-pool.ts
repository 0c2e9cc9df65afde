import { channel } from "node:diagnostics_channel";
import net from "node:net";
import tls from "node:tls";
import { WEBHOOK_AWS_REQUEST_TIMEOUT_MS } from "../../../contracts/webhook.js";
import { Http1ResponseParser } from "./http1-response.js";
import type { Http1Response } from "./http1-response.js";

/** A network failure, with Node's `code` (ECONNRESET, ECONNREFUSED...) that the SDK's retry rules read. */
export type Http1Error = Error & { code?: string };

export interface Http1PoolOptions {
  /** Extra TLS options for https endpoints (tests pass their own `ca`). @default - Node's default CAs */
  readonly tls?: tls.ConnectionOptions;
  /**
   * Milliseconds from a request's start (connecting included) to its whole answer; past it the socket
   * is destroyed and the request rejects with a `TimeoutError` (code ETIMEDOUT), which the SDK's retry
   * rules treat as transient, as they treat the SDK handler's own request timeout.
   * @default WEBHOOK_AWS_REQUEST_TIMEOUT_MS (contracts/webhook.ts: 2,000 ms, sized against the function timeout)
   */
  readonly requestTimeoutMs?: number;
}

/** What {@link HTTP1_REQUEST_START} and {@link HTTP1_REQUEST_END} carry for one request. */
export interface Http1RequestMessage {
  readonly endpoint: URL;
  /** Subscribers of the start channel may add headers (unsigned: after signing). */
  readonly headers: Record<string, string>;
  response?: Http1Response;
  error?: unknown;
}

/**
 * Diagnostics channels (node:diagnostics_channel), as `node:http` publishes `http.client.request.start`:
 * a request about to be written, and the same message once its answer was read whole or it failed.
 * Nothing subscribes in Lambda (a publish is then a flag check); the fault world does, to tie each
 * request to the invocation that made it (test/fault/world/client-patches.ts).
 */
export const HTTP1_REQUEST_START = "self-runners:http1:request-start";
export const HTTP1_REQUEST_END = "self-runners:http1:request-end";
const requestStart = channel(HTTP1_REQUEST_START);
const requestEnd = channel(HTTP1_REQUEST_END);

/** Node's message and code for a connection that closed before its answer was whole. */
function hangUp(): Http1Error {
  return Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
}

/** The error of a request that outlived its timeout, named and coded as the SDK handler's and Node's. */
function timedOut(ms: number): Http1Error {
  return Object.assign(new Error(`request timed out after ${ms} ms`), { name: "TimeoutError", code: "ETIMEDOUT" });
}

/** One socket carrying one request at a time. */
class Connection {
  private exchange: { parser: Http1ResponseParser; resolve: (response: Http1Response) => void; reject: (error: Http1Error) => void } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly onTimeout = (): void => this.fail(timedOut(this.timeoutMs));

  constructor(
    readonly socket: net.Socket,
    private readonly release: (connection: Connection, reusable: boolean) => void,
    private readonly timeoutMs: number,
  ) {
    // As Node's agent does for keep-alive sockets.
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 1000);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("end", () => this.onEnd());
    socket.on("error", (error: Http1Error) => this.fail(error));
    socket.on("close", () => this.fail(hangUp()));
  }

  send(request: string): Promise<Http1Response> {
    return new Promise((resolve, reject) => {
      this.exchange = { parser: new Http1ResponseParser(), resolve, reject };
      this.armRequestTimeout();
      this.socket.ref();
      this.socket.write(request);
    });
  }

  /**
   * A hung peer (accepts, never answers) must not hold the invocation until Lambda's own timeout. A
   * method of its own: the fault world finds this timer by the name of its caller and puts it on the
   * world's clock, as it does the SDK handler's `setRequestTimeout` (test/fault/world/client-patches.ts).
   */
  private armRequestTimeout(): void {
    this.timer = setTimeout(this.onTimeout, this.timeoutMs);
  }

  private onData(chunk: Buffer): void {
    const exchange = this.exchange;
    // Bytes nobody asked for: the connection is out of step, never reuse it.
    if (exchange === undefined) return void this.socket.destroy();
    let response: Http1Response | undefined;
    try {
      response = exchange.parser.push(chunk);
    } catch (error) {
      this.fail(error as Http1Error);
      return;
    }
    if (response === undefined) return;
    this.exchange = undefined;
    clearTimeout(this.timer);
    this.release(this, response.reusable);
    exchange.resolve(response);
  }

  /** The server closed its side: a body that runs to the end is whole now. */
  private onEnd(): void {
    const response = this.exchange?.parser.end();
    if (response === undefined || this.exchange === undefined) return;
    const { resolve } = this.exchange;
    this.exchange = undefined;
    clearTimeout(this.timer);
    this.release(this, false);
    resolve(response);
  }

  /** Ends the exchange in flight, if any, with `error`; the socket is destroyed, never reused. */
  private fail(error: Http1Error): void {
    const exchange = this.exchange;
    this.exchange = undefined;
    clearTimeout(this.timer);
    this.release(this, false);
    exchange?.reject(error);
  }
}

/**
 * HTTP/1.1 POSTs over kept-alive sockets, one request per socket at a time, idle sockets reused per
 * origin (as Node's keep-alive agent does) and unref'd so they never hold a process open.
 *
 * Written by hand for the CPU, an exception to "libraries first": `node:http`'s ClientRequest and
 * IncomingMessage (header validation, streams, events, an agent's bookkeeping) cost 0.19 ms per
 * request on loopback, this 0.04 ms, and the webhook makes two per queued delivery against a 2 ms
 * target; undici's Pool bundles to 133 KB compressed, more than the zip budget has left
 * (docs/performance.md, "Webhook"). It sends only what the webhook's signed awsJson calls need: a
 * POST with a string body and headers free of CR/LF; no proxies, no `Expect`, no upgrades. Every
 * request has a deadline (`requestTimeoutMs`), which neither `node:http` nor the SDK's handler sets
 * by default.
 */
export class Http1Pool {
  private readonly idle = new Map<string, Connection[]>();
  private readonly sessions = new Map<string, Buffer>();

  private readonly timeoutMs: number;

  constructor(private readonly options: Http1PoolOptions = {}) {
    this.timeoutMs = options.requestTimeoutMs ?? WEBHOOK_AWS_REQUEST_TIMEOUT_MS;
  }

  /** POSTs `body` to `endpoint`'s origin and `path` with `headers` (they must include `host`). */
  post(endpoint: URL, path: string, headers: Readonly<Record<string, string>>, body: string): Promise<Http1Response> {
    if (!requestStart.hasSubscribers) return this.send(endpoint, path, headers, body);
    const message: Http1RequestMessage = { endpoint, headers: { ...headers } };
    requestStart.publish(message);
    return this.send(endpoint, path, message.headers, body).then(
      (response) => {
        message.response = response;
        requestEnd.publish(message);
        return response;
      },
      (error: unknown) => {
        message.error = error;
        requestEnd.publish(message);
        throw error;
      },
    );
  }

  private send(endpoint: URL, path: string, headers: Readonly<Record<string, string>>, body: string): Promise<Http1Response> {
    let request = `POST ${path} HTTP/1.1\r\n`;
    for (const name in headers) {
      const value = headers[name]!;
      if (/[\r\n]/.test(value) || /[\r\n:]/.test(name)) return Promise.reject(new TypeError(`invalid character in header ${JSON.stringify(name)}`));
      request += `${name}: ${value}\r\n`;
    }
    return this.connection(endpoint).send(`${request}connection: keep-alive\r\n\r\n${body}`);
  }

  private connection(endpoint: URL): Connection {
    const secure = endpoint.protocol === "https:";
    const port = endpoint.port === "" ? (secure ? 443 : 80) : Number(endpoint.port);
    const key = `${endpoint.protocol}//${endpoint.hostname}:${port}`;
    const free = this.idle.get(key);
    while (free !== undefined && free.length > 0) {
      const connection = free.pop()!;
      if (!connection.socket.destroyed && connection.socket.writable) return connection;
    }
    // URL keeps an IPv6 literal in brackets; sockets want the bare address.
    const host = endpoint.hostname.startsWith("[") ? endpoint.hostname.slice(1, -1) : endpoint.hostname;
    const socket = secure ? this.tlsSocket(key, host, port) : net.connect({ host, port });
    return new Connection(socket, (connection, reusable) => this.release(key, connection, reusable), this.timeoutMs);
  }

  private tlsSocket(key: string, host: string, port: number): tls.TLSSocket {
    const session = this.sessions.get(key);
    const socket = tls.connect({ ...this.options.tls, host, port, ...(net.isIP(host) === 0 ? { servername: host } : {}), ...(session === undefined ? {} : { session }) });
    // Resumes TLS sessions on new sockets, as Node's https agent does.
    socket.on("session", (data: Buffer) => this.sessions.set(key, data));
    return socket;
  }

  private release(key: string, connection: Connection, reusable: boolean): void {
    const free = this.idle.get(key) ?? [];
    const at = free.indexOf(connection);
    if (at >= 0) free.splice(at, 1);
    if (!reusable || connection.socket.destroyed) {
      connection.socket.destroy();
      return;
    }
    connection.socket.unref();
    free.push(connection);
    this.idle.set(key, free);
  }

  /** Closes every idle socket (tests). */
  close(): void {
    for (const free of this.idle.values()) for (const connection of free) connection.socket.destroy();
    this.idle.clear();
  }
}
