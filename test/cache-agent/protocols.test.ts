import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { functionUrlBackend, startCacheAgent } from "../../cache-agent/index.js";
import { BUILD_CACHE_PATHS } from "../../contracts/build-cache.js";
import { startCacheAgentWorld, type CacheAgentWorld } from "../helpers/cache-agent-world.js";

// Each HTTP protocol's contract at the wire, against the agent over the signed loopback function URL and s3rver.

let world: CacheAgentWorld;
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

beforeAll(async () => {
  // Small ranges so a 3 MiB blob is restored as parallel ranged GETs.
  world = await startCacheAgentWorld({ agent: { rangedFrom: 1024 * 1024, rangeSize: 256 * 1024 }, fn: { partSize: 5 * 1024 * 1024 } });
});
afterAll(async () => world?.close());

async function put(path: string, body: Buffer | string): Promise<number> {
  return (await fetch(`${world.agent.url}${path}`, { method: "PUT", body })).status;
}
async function get(path: string): Promise<{ status: number; body: Buffer }> {
  const response = await fetch(`${world.agent.url}${path}`);
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
}

describe("key-value protocols", () => {
  it.each([
    ["turborepo", "/v8/artifacts/4f1c2a", 202],
    ["nx", "/v1/cache/1469562830568572055", 200],
    ["bazel action cache", "/ac/0d5f0e6a", 200],
    ["gradle", "/cache/a1b2c3d4e5", 200],
    ["plain http", "/http/ccache/ab/cdef.result", 200],
  ])("%s: a miss is 404, a PUT is stored, a GET returns the bytes and HEAD their length", async (_, path, putStatus) => {
    expect((await get(path)).status).toBe(404);
    const body = randomBytes(4096);
    expect(await put(path, body)).toBe(putStatus);
    const hit = await get(path);
    expect(hit.status).toBe(200);
    expect(hit.body.equals(body)).toBe(true);
    const head = await fetch(`${world.agent.url}${path}`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("4096");
  });

  it("keeps each protocol's entries apart: the same hash under another protocol misses", async () => {
    await put("/cache/shared-hash", "gradle bytes");
    expect((await get("/v1/cache/shared-hash")).status).toBe(404);
    expect((await get("/http/shared-hash")).status).toBe(404);
  });

  it("stores a Bazel CAS blob named by its SHA-256 and refuses one whose bytes do not match", async () => {
    const body = Buffer.from("compiled object");
    expect(await put(`/cas/${sha256(body)}`, body)).toBe(200);
    expect((await get(`/cas/${sha256(body)}`)).body.toString()).toBe("compiled object");
    const wrong = sha256(Buffer.from("something else"));
    expect(await put(`/cas/${wrong}`, body)).toBe(400);
    expect((await get(`/cas/${wrong}`)).status).toBe(404);
  });

  it("stores the same bytes once: a second key with equal content uploads nothing", async () => {
    const body = randomBytes(2048);
    const uploaded = world.agent.stats.bytesUploaded;
    expect(await put("/http/dedupe/one", body)).toBe(200);
    expect(await put("/http/dedupe/two", body)).toBe(200);
    expect(world.agent.stats.bytesUploaded - uploaded).toBe(2048);
    expect((await get("/http/dedupe/two")).body.equals(body)).toBe(true);
  });

  it("uploads a blob larger than a part as several parts and restores it with ranged GETs", async () => {
    const body = randomBytes(11 * 1024 * 1024 + 17);
    const s3Before = world.agent.stats.s3Requests;
    expect(await put("/http/large", body)).toBe(200);
    expect(world.agent.stats.s3Requests - s3Before).toBe(3);
    const restored = await get("/http/large");
    expect(sha256(restored.body)).toBe(sha256(body));
    expect(world.agent.stats.s3Requests - s3Before).toBe(3 + Math.ceil(body.length / (256 * 1024)));
  });

  it("stores an empty body", async () => {
    expect(await put("/http/empty", Buffer.alloc(0))).toBe(200);
    const hit = await get("/http/empty");
    expect(hit.status).toBe(200);
    expect(hit.body.length).toBe(0);
  });
});

describe("turborepo API extras", () => {
  it("answers the status probe and accepts usage events", async () => {
    expect(await (await fetch(`${world.agent.url}/v8/artifacts/status`)).json()).toEqual({ status: "enabled" });
    const events = await fetch(`${world.agent.url}/v8/artifacts/events`, { method: "POST", body: JSON.stringify([{ hash: "x", event: "HIT", source: "REMOTE" }]) });
    expect(events.status).toBe(200);
  });
});

describe("protocol switches and failures", () => {
  it("serves only the protocols it was started with", async () => {
    const agent = await startCacheAgent({ backend: world.fn, port: 0, protocols: ["gradle"] });
    try {
      expect((await fetch(`${agent.url}/v8/artifacts/status`)).status).toBe(404);
      expect((await fetch(`${agent.url}/http/x`, { method: "PUT", body: "x" })).status).toBe(404);
      expect((await fetch(`${agent.url}/cache/x`, { method: "PUT", body: "x" })).status).toBe(200);
    } finally {
      await agent.close();
    }
  });

  it("answers 403 to a save the function refuses (a read-only branch), and stores nothing", async () => {
    const readOnly = await startCacheAgentWorld({ fn: { refuseWrites: "no branch known for this runner" } });
    try {
      const response = await fetch(`${readOnly.agent.url}/http/refused`, { method: "PUT", body: "x" });
      expect(response.status).toBe(403);
      expect(await response.text()).toBe("no branch known for this runner");
      expect(readOnly.fn.entries).toHaveLength(0);
    } finally {
      await readOnly.close();
    }
  });

  it("gets 403 from the function URL for an unsigned or wrongly signed request, and answers the client 502", async () => {
    const unsigned = await fetch(`${world.functionUrl.url.replace(/\/$/, "")}${BUILD_CACHE_PATHS.lookup}`, { method: "POST", body: JSON.stringify({ protocol: "http", keys: ["x"], version: "http" }) });
    expect(unsigned.status).toBe(403);
    const forged = functionUrlBackend({ functionUrl: world.functionUrl.url, region: "eu-west-1", credentials: async () => ({ accessKeyId: "AKIDRUNNER", secretAccessKey: "not-the-secret" }) });
    const agent = await startCacheAgent({ backend: forged, port: 0 });
    try {
      const refusedBefore = world.functionUrl.refused;
      expect((await fetch(`${agent.url}/http/large`)).status).toBe(502);
      expect(world.functionUrl.refused - refusedBefore).toBe(1);
    } finally {
      await agent.close();
    }
  });
});
