import { execFileSync } from "node:child_process";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { WEBHOOK_AWS_REQUEST_TIMEOUT_MS } from "../../../contracts/webhook.js";
import { HTTP1_REQUEST_END, HTTP1_REQUEST_START, Http1Pool } from "../../../lambdas/webhook/adapters/http1-pool.js";
import type { Http1RequestMessage } from "../../../lambdas/webhook/adapters/http1-pool.js";

// The webhook's keep-alive HTTP/1.1 client (adapters/http1-pool.ts) against a raw TCP server that
// records every connection and the exact bytes of each request, and answers as each test scripts.

interface RawServer {
  readonly url: URL;
  /** One entry per accepted connection: the bytes received on it. */
  readonly connections: string[];
  readonly sockets: net.Socket[];
  close(): Promise<void>;
}

/** Answers each request (a whole head and `content-length` body) with `answer(request, connection)`. */
async function rawServer(answer: (request: string, socket: net.Socket) => void): Promise<RawServer> {
  const connections: string[] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    const index = connections.push("") - 1;
    sockets.push(socket);
    let pending = "";
    socket.on("data", (chunk) => {
      connections[index] += chunk.toString("latin1");
      pending += chunk.toString("latin1");
      for (;;) {
        const end = pending.indexOf("\r\n\r\n");
        const length = Number(/content-length: (\d+)/i.exec(pending)?.[1] ?? 0);
        if (end < 0 || pending.length < end + 4 + length) return;
        const request = pending.slice(0, end + 4 + length);
        pending = pending.slice(end + 4 + length);
        answer(request, socket);
      }
    });
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}`),
    connections,
    sockets,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const OK = 'HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: 2\r\n\r\n{}';
const servers: RawServer[] = [];
const pools: Http1Pool[] = [];
afterEach(async () => {
  for (const pool of pools.splice(0)) pool.close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function setUp(answer: (request: string, socket: net.Socket) => void, options: ConstructorParameters<typeof Http1Pool>[0] = {}): Promise<{ server: RawServer; pool: Http1Pool }> {
  const server = await rawServer(answer);
  const pool = new Http1Pool(options);
  servers.push(server);
  pools.push(pool);
  return { server, pool };
}

const headers = (server: RawServer) => ({ host: server.url.host, "content-type": "application/x-amz-json-1.0", "content-length": "9" });

describe("Http1Pool", () => {
  it("sends the request line, the headers as given and the body in one keep-alive request", async () => {
    const { server, pool } = await setUp((_request, socket) => socket.write(OK));
    const response = await pool.post(server.url, "/queue", headers(server), '{"a":"é"}'.slice(0, 9));
    expect(response.statusCode).toBe(200);
    expect(response.body.toString()).toBe("{}");
    expect(server.connections[0]).toBe(
      `POST /queue HTTP/1.1\r\nhost: ${server.url.host}\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: 9\r\nconnection: keep-alive\r\n\r\n{"a":"é"}`.replace("é", Buffer.from("é").toString("latin1")),
    );
  });

  it("reuses one socket for requests one after another", async () => {
    const { server, pool } = await setUp((_request, socket) => socket.write(OK));
    for (let i = 0; i < 3; i++) await pool.post(server.url, "/", headers(server), "{\"n\":123}");
    expect(server.connections).toHaveLength(1);
    expect(server.connections[0]!.match(/POST \/ HTTP\/1\.1\r\n/g)).toHaveLength(3);
  });

  it("opens one socket per request in flight", async () => {
    const { server, pool } = await setUp((_request, socket) => setTimeout(() => socket.write(OK), 5));
    await Promise.all([1, 2, 3].map(() => pool.post(server.url, "/", headers(server), "{\"n\":123}")));
    expect(server.connections).toHaveLength(3);
    await pool.post(server.url, "/", headers(server), "{\"n\":123}");
    expect(server.connections).toHaveLength(3);
  });

  it("opens a new socket when the server closed the idle one or answered `connection: close`", async () => {
    let answers = 0;
    const { server, pool } = await setUp((_request, socket) => {
      answers++;
      if (answers === 1) socket.end(OK.replace("content-length", "connection: close\r\ncontent-length"));
      else socket.write(OK);
    });
    await pool.post(server.url, "/", headers(server), "{\"n\":123}");
    await pool.post(server.url, "/", headers(server), "{\"n\":123}");
    expect(server.connections).toHaveLength(2);
    server.sockets[1]!.destroy();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await pool.post(server.url, "/", headers(server), "{\"n\":123}");
    expect(server.connections).toHaveLength(3);
  });

  it("rejects with Node's ECONNRESET when the server closes before the answer is whole, and does not reuse that socket", async () => {
    let answers = 0;
    const { server, pool } = await setUp((_request, socket) => (answers++ === 0 ? socket.end(OK.slice(0, -1)) : socket.write(OK)));
    await expect(pool.post(server.url, "/", headers(server), "{\"n\":123}")).rejects.toMatchObject({ message: "socket hang up", code: "ECONNRESET" });
    await expect(pool.post(server.url, "/", headers(server), "{\"n\":123}")).resolves.toMatchObject({ statusCode: 200 });
    expect(server.connections).toHaveLength(2);
  });

  it("rejects a malformed answer with its parse error and closes that socket", async () => {
    const { server, pool } = await setUp((_request, socket) => socket.write("HTTP/1.1 200 OK\r\ncontent-length: x\r\n\r\n"));
    await expect(pool.post(server.url, "/", headers(server), "{\"n\":123}")).rejects.toMatchObject({ code: "HPE_INVALID_CONTENT_LENGTH" });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(server.sockets[0]!.destroyed || server.sockets[0]!.readableEnded).toBe(true);
  });

  it("gives up on a server that accepts and never answers: TimeoutError (ETIMEDOUT) after the request timeout, that socket destroyed", async () => {
    let answers = 0;
    const { server, pool } = await setUp((_request, socket) => (answers++ === 0 ? undefined : socket.write(OK)), { requestTimeoutMs: 150 });
    const started = performance.now();
    await expect(pool.post(server.url, "/", headers(server), "{\"n\":123}")).rejects.toMatchObject({ name: "TimeoutError", code: "ETIMEDOUT" });
    const waited = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(waited).toBeGreaterThanOrEqual(145);
    expect(waited).toBeLessThan(2_000);
    expect(server.sockets[0]!.destroyed || server.sockets[0]!.readableEnded).toBe(true);
    // The next request is answered on a new socket, and its timer does not fire after the answer.
    await expect(pool.post(server.url, "/", headers(server), "{\"n\":123}")).resolves.toMatchObject({ statusCode: 200 });
    expect(server.connections).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await expect(pool.post(server.url, "/", headers(server), "{\"n\":123}")).resolves.toMatchObject({ statusCode: 200 });
    expect(server.connections).toHaveLength(2);
  });

  it("times out by default after WEBHOOK_AWS_REQUEST_TIMEOUT_MS, connecting included", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const { server, pool } = await setUp(() => undefined);
      const answer = pool.post(server.url, "/", headers(server), "{}");
      const outcome = answer.then(() => "answered", (error: { code?: string }) => error.code);
      vi.advanceTimersByTime(WEBHOOK_AWS_REQUEST_TIMEOUT_MS - 1);
      await Promise.resolve();
      expect(await Promise.race([outcome, Promise.resolve("pending")])).toBe("pending");
      vi.advanceTimersByTime(1);
      expect(await outcome).toBe("ETIMEDOUT");
    } finally {
      vi.useRealTimers();
    }
  });

  it("rejects with Node's ECONNREFUSED when nothing listens", async () => {
    const { server, pool } = await setUp(() => undefined);
    const url = server.url;
    await server.close();
    servers.length = 0;
    await expect(pool.post(url, "/", headers(server), "{}")).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("refuses a header with CR or LF before sending anything", async () => {
    const { server, pool } = await setUp((_request, socket) => socket.write(OK));
    await expect(pool.post(server.url, "/", { ...headers(server), "x-amz-security-token": "t\r\nx-evil: 1" }, "{}")).rejects.toThrow(TypeError);
    expect(server.connections).toHaveLength(0);
  });
});

describe("Http1Pool's diagnostics channels", () => {
  it("lets a subscriber add headers before the request is written, and publishes its end with the answer or the error", async () => {
    const { server, pool } = await setUp((request, socket) => socket.write(request.includes("x-fail") ? "HTTP/1.1 200 OK\r\ncontent-length: x\r\n\r\n" : OK));
    const events: string[] = [];
    const onStart = (message: unknown) => {
      const { headers } = message as Http1RequestMessage;
      headers["x-traced"] = "1";
      events.push(`start ${headers["x-fail"] ?? ""}`);
    };
    const onEnd = (message: unknown) => {
      const { response, error } = message as Http1RequestMessage;
      events.push(`end ${response?.statusCode ?? (error as { code?: string }).code}`);
    };
    subscribe(HTTP1_REQUEST_START, onStart);
    subscribe(HTTP1_REQUEST_END, onEnd);
    try {
      const sent = headers(server);
      await pool.post(server.url, "/", sent, '{"n":123}');
      await expect(pool.post(server.url, "/", { ...sent, "x-fail": "1" }, '{"n":123}')).rejects.toMatchObject({ code: "HPE_INVALID_CONTENT_LENGTH" });
      expect(events).toEqual(["start ", "end 200", "start 1", "end HPE_INVALID_CONTENT_LENGTH"]);
      expect(server.connections[0]).toContain("content-length: 9\r\nx-traced: 1\r\n");
      expect(sent).not.toHaveProperty("x-traced");
    } finally {
      unsubscribe(HTTP1_REQUEST_START, onStart);
      unsubscribe(HTTP1_REQUEST_END, onEnd);
    }
  });
});

describe("Http1Pool over TLS", () => {
  /** A self-signed certificate for localhost, made for this run (no key is kept in the repository). */
  function selfSigned(): { key: string; cert: string } | undefined {
    const dir = mkdtempSync(join(tmpdir(), "http1-tls-"));
    try {
      execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
      return { key: readFileSync(join(dir, "key.pem"), "utf8"), cert: readFileSync(join(dir, "cert.pem"), "utf8") };
    } catch {
      return undefined;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it("verifies the server's certificate and name, and keeps one TLS socket alive", async (context) => {
    const pair = selfSigned();
    if (pair === undefined) {
      console.log("skipped: no openssl on PATH to make a test certificate");
      context.skip();
      return;
    }
    const accepted: tls.TLSSocket[] = [];
    const server = tls.createServer(pair, (socket) => {
      accepted.push(socket);
      socket.on("data", () => socket.write(OK));
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const trusting = new Http1Pool({ tls: { ca: pair.cert } });
    const defaults = new Http1Pool();
    try {
      const url = new URL(`https://localhost:${port}`);
      const head = { host: url.host, "content-length": "2" };
      await expect(trusting.post(url, "/", head, "{}")).resolves.toMatchObject({ statusCode: 200 });
      await expect(trusting.post(url, "/", head, "{}")).resolves.toMatchObject({ statusCode: 200 });
      expect(accepted).toHaveLength(1);
      // Node's default CAs do not know this certificate: refused, not sent.
      await expect(defaults.post(url, "/", head, "{}")).rejects.toMatchObject({ code: "DEPTH_ZERO_SELF_SIGNED_CERT" });
      // The certificate names localhost, not the address 127.0.0.1: refused.
      await expect(trusting.post(new URL(`https://127.0.0.1:${port}`), "/", head, "{}")).rejects.toMatchObject({ code: "ERR_TLS_CERT_ALTNAME_INVALID" });
    } finally {
      trusting.close();
      defaults.close();
      for (const socket of accepted) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
