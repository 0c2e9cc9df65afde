import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, request as forward, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startCacheAgent, type CacheAgent, type CacheBackend } from "../../cache-agent/index.js";
import { fakeCacheFunction, startLoopbackS3, type FakeCacheFunction, type LoopbackS3 } from "../helpers/fake-cache-function.js";

// S3 failing under the agent: a proxy in front of s3rver answers chosen requests with an error status, the
// rest it forwards (with s3rver's Host, which the presigned URLs are signed for).

let s3: LoopbackS3;
let fn: FakeCacheFunction;
let agent: CacheAgent;
let proxy: Server;
let spoolDir: string;
const faults = { method: "", remaining: 0, status: 503, seen: 0 };
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

function failNext(method: "GET" | "PUT", count: number, status: number): void {
  Object.assign(faults, { method, remaining: count, status, seen: 0 });
}

beforeAll(async () => {
  s3 = await startLoopbackS3();
  fn = fakeCacheFunction(s3, { partSize: 5 * 1024 * 1024 });
  const target = new URL(s3.endpoint);
  proxy = createServer((req, res) => {
    if (req.method === faults.method && faults.remaining > 0) {
      faults.remaining--;
      faults.seen++;
      req.resume();
      res.writeHead(faults.status, { "content-type": "application/xml" }).end("<Error><Code>SlowDown</Code></Error>");
      return;
    }
    const upstream = forward({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const proxied = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const viaProxy = (url: string) => url.replace(s3.endpoint, proxied);
  // The fake function's answers, with every presigned URL pointing at the proxy.
  const backend: CacheBackend = {
    lookup: async (r) => {
      const answer = await fn.lookup(r);
      return answer.hit ? { ...answer, url: viaProxy(answer.url) } : answer;
    },
    reserve: async (r) => {
      const answer = await fn.reserve(r);
      return "partUrls" in answer ? { ...answer, partUrls: answer.partUrls.map(viaProxy) } : answer;
    },
    commit: (r) => fn.commit(r),
  };
  spoolDir = mkdtempSync(join(tmpdir(), "cache-agent-spool-"));
  agent = await startCacheAgent({ backend, port: 0, spoolDir, rangedFrom: 1024 * 1024, rangeSize: 1024 * 1024 });
});

beforeEach(() => failNext("GET", 0, 503));

afterAll(async () => {
  await agent?.close();
  await new Promise((resolve) => proxy?.close(resolve));
  await s3?.close();
  rmSync(spoolDir, { recursive: true, force: true });
});

const put = (path: string, body: Buffer) => fetch(`${agent.url}${path}`, { method: "PUT", body });
const get = async (path: string) => {
  const response = await fetch(`${agent.url}${path}`);
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
};

describe("the agent when S3 fails", () => {
  it("retries part PUTs that S3 answers 503 SlowDown, and the save completes", async () => {
    const body = randomBytes(12 * 1024 * 1024);
    failNext("PUT", 2, 503);
    expect((await put("/http/retried-put", body)).status).toBe(200);
    expect(faults.seen).toBe(2);
    expect(sha256((await get("/http/retried-put")).body)).toBe(sha256(body));
  });

  it("retries a ranged GET that S3 answers 500, and the client gets every byte", async () => {
    const body = randomBytes(3 * 1024 * 1024 + 5);
    expect((await put("/http/retried-get", body)).status).toBe(200);
    failNext("GET", 1, 500);
    const restored = await get("/http/retried-get");
    expect(faults.seen).toBe(1);
    expect(restored.status).toBe(200);
    expect(sha256(restored.body)).toBe(sha256(body));
  });

  it.each([
    ["a small blob", 1000],
    ["a blob read in ranges", 2 * 1024 * 1024],
  ])("answers 502 before any byte when S3 refuses the GET of %s (an expired URL)", async (_, size) => {
    const path = `/http/refused-get-${size}`;
    expect((await put(path, randomBytes(size))).status).toBe(200);
    failNext("GET", 100, 403);
    expect((await get(path)).status).toBe(502);
    // 403 is not retried.
    expect(faults.seen).toBeLessThanOrEqual(2);
  });

  it("gives up a save after four tries of a failing part, answers 502 and stores no entry", async () => {
    const entries = fn.entries.length;
    failNext("PUT", 100, 503);
    expect((await put("/http/failed-save", randomBytes(64 * 1024))).status).toBe(502);
    expect(faults.seen).toBe(4);
    expect(fn.entries).toHaveLength(entries);
    failNext("GET", 0, 503);
    expect((await get("/http/failed-save")).status).toBe(404);
  });

  it("leaves no spooled file behind, whatever happened", () => {
    expect(readdirSync(spoolDir)).toEqual([]);
  });
});
