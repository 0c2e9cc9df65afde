import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCacheAgent, type CacheAgent, type CacheBackend } from "../../cache-agent/index.js";

// The agent behind a redirected runner receives every results-service call of a node action: the cache's
// it answers, the others (artifacts v4) it forwards to GitHub's results service, here a loopback double.

interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const received: Received[] = [];
let github: Server;
let githubUrl: string;
let agent: CacheAgent;
let buildToolsOnly: CacheAgent;
const lookups: string[] = [];
/** The cache never stores anything here: CacheService calls only need an answer. */
const backend: CacheBackend = {
  lookup: async (request) => (lookups.push(request.keys[0]!), { hit: false }),
  reserve: async () => ({ upload: false, refused: "not in this test" }),
  commit: async () => ({ committed: false }),
};

function post(base: string, path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; type?: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, base), { method: "POST", headers: { "content-type": "application/json", ...headers } }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text, type: res.headers["content-type"] }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

beforeAll(async () => {
  github = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      received.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body });
      const unauthorized = req.headers.authorization !== "Bearer job-runtime-token";
      res.writeHead(unauthorized ? 401 : 200, { "content-type": "application/json" });
      res.end(unauthorized ? '{"code":"unauthenticated","msg":"no token"}' : '{"ok":true,"signed_upload_url":"https://blob.example/upload"}');
    });
  });
  await new Promise<void>((resolve) => github.listen(0, "127.0.0.1", resolve));
  githubUrl = `http://127.0.0.1:${(github.address() as AddressInfo).port}/`;
  agent = await startCacheAgent({ backend, port: 0, protocols: ["actions"], resultsUpstream: githubUrl });
  buildToolsOnly = await startCacheAgent({ backend, port: 0, protocols: ["turborepo"], resultsUpstream: githubUrl });
});

afterAll(async () => {
  await agent?.close();
  await buildToolsOnly?.close();
  await new Promise((resolve) => github?.close(resolve));
});

const ARTIFACT = "/twirp/github.actions.results.api.v1.ArtifactService/CreateArtifact";

describe("results-service calls that are not the cache's", () => {
  it("are forwarded to GitHub's results service unchanged, with the job's token, and the answer relayed", async () => {
    const body = '{"workflow_run_backend_id":"r","workflow_job_run_backend_id":"j","name":"dist","version":4}';
    const answer = await post(agent.url, ARTIFACT, body, { authorization: "Bearer job-runtime-token" });
    expect(answer).toEqual({ status: 200, body: '{"ok":true,"signed_upload_url":"https://blob.example/upload"}', type: "application/json" });
    expect(received.at(-1)).toMatchObject({ method: "POST", path: ARTIFACT, body, headers: { authorization: "Bearer job-runtime-token", "content-type": "application/json" } });
  });

  it("relay GitHub's refusal as it is", async () => {
    const answer = await post(agent.url, ARTIFACT, "{}");
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toEqual({ code: "unauthenticated", msg: "no token" });
  });

  it("leave the cache's own calls to the agent: nothing reaches GitHub", async () => {
    const before = received.length;
    const answer = await post(agent.url, "/twirp/github.actions.results.api.v1.CacheService/GetCacheEntryDownloadURL", '{"key":"k","version":"v"}');
    expect(JSON.parse(answer.body)).toMatchObject({ ok: false });
    expect(lookups).toEqual(["k"]);
    expect(received.length).toBe(before);
  });

  it("are not forwarded by an agent that does not serve the Actions cache (the runner is not redirected there)", async () => {
    const before = received.length;
    expect((await post(buildToolsOnly.url, ARTIFACT, "{}")).status).toBe(404);
    expect(received.length).toBe(before);
  });

  it("fails as Twirp's unavailable when GitHub cannot be reached", async () => {
    const offline = await startCacheAgent({ backend, port: 0, protocols: ["actions"], resultsUpstream: "http://127.0.0.1:9/" });
    try {
      const answer = await post(offline.url, ARTIFACT, "{}");
      expect(answer.status).toBe(503);
      expect(JSON.parse(answer.body)).toMatchObject({ code: "unavailable" });
    } finally {
      await offline.close();
    }
  });
});
