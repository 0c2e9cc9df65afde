import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CACHE_AGENT_BUNDLE } from "../../contracts/build-cache.js";
import { buildCacheAgent } from "../../scripts/build-cache-agent.js";
import { fakeCacheFunction, startLoopbackS3, type LoopbackS3 } from "../helpers/fake-cache-function.js";
import { RUNNER_CREDENTIALS, serveFunctionUrl, type LoopbackFunctionUrl } from "../helpers/fake-function-url.js";
import { REPO_ROOT } from "../helpers/paths.js";

// The agent as the runner gets it: one file (CACHE_AGENT_BUNDLE), run by plain `node` from a directory with
// no node_modules and no package.json, configured by CACHE_AGENT_ENV only.

let out: string;
let s3: LoopbackS3;
let functionUrl: LoopbackFunctionUrl;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), "cache-agent-bundle-"));
  s3 = await startLoopbackS3();
  functionUrl = await serveFunctionUrl(fakeCacheFunction(s3));
});
afterAll(async () => {
  await functionUrl?.close();
  await s3?.close();
  rmSync(out, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function agentEnv(port: number, protocols = '["http","turborepo"]'): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    SELF_RUNNERS_CACHE_FUNCTION_URL: functionUrl.url,
    AWS_REGION: "eu-west-1",
    SELF_RUNNERS_CACHE_PORT: String(port),
    SELF_RUNNERS_CACHE_PROTOCOLS: protocols,
    AWS_ACCESS_KEY_ID: RUNNER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: RUNNER_CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: RUNNER_CREDENTIALS.sessionToken,
  };
}

/** A loopback IMDSv2: a session token, then the instance role's credentials (the runner's). */
async function startImds(): Promise<{ url: string; credentialReads: () => number; close: () => Promise<void> }> {
  let reads = 0;
  const server = createHttpServer((req, res) => {
    const path = req.url ?? "";
    if (req.method === "PUT" && path === "/latest/api/token") return res.writeHead(200).end("imds-token");
    if (req.headers["x-aws-ec2-metadata-token"] !== "imds-token") return res.writeHead(401).end();
    if (path === "/latest/meta-data/iam/security-credentials/") return res.writeHead(200).end("sr-runner-role");
    if (path === "/latest/meta-data/iam/security-credentials/sr-runner-role") {
      reads++;
      const expiration = new Date(Date.now() + 6 * 3600_000).toISOString();
      return res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({ Code: "Success", Type: "AWS-HMAC", AccessKeyId: RUNNER_CREDENTIALS.accessKeyId, SecretAccessKey: RUNNER_CREDENTIALS.secretAccessKey, Token: RUNNER_CREDENTIALS.sessionToken, Expiration: expiration }),
      );
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, credentialReads: () => reads, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function waitUntilServing(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await fetch(`${url}/v8/artifacts/status`).then((r) => r.ok, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function output(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

describe("the cache agent bundle", () => {
  it("is byte-identical across two builds", async () => {
    const first = await buildCacheAgent(REPO_ROOT, join(out, "one", "cache-agent.js"));
    const second = await buildCacheAgent(REPO_ROOT, join(out, "two", "cache-agent.js"));
    expect(readFileSync(second.file).equals(readFileSync(first.file))).toBe(true);
    expect(CACHE_AGENT_BUNDLE).toBe("dist/cache-agent/cache-agent.js");
  });

  it("serves a save and a restore when run by plain node with no node_modules", async () => {
    const runDir = join(out, "runner");
    await buildCacheAgent(REPO_ROOT, join(runDir, "bundle", "cache-agent.js"));
    copyFileSync(join(runDir, "bundle", "cache-agent.js"), join(out, "cache-agent.js"));
    expect(existsSync(join(out, "node_modules"))).toBe(false);
    const port = await freePort();
    const child = spawn(process.execPath, [join(out, "cache-agent.js")], { cwd: out, env: agentEnv(port), stdio: ["ignore", "pipe", "pipe"] });
    const done = output(child);
    try {
      const url = `http://127.0.0.1:${port}`;
      await waitUntilServing(url);
      expect((await fetch(`${url}/http/bundle/key`, { method: "PUT", body: "from the bundle" })).status).toBe(200);
      expect(await (await fetch(`${url}/http/bundle/key`)).text()).toBe("from the bundle");
      // Gradle is switched off by SELF_RUNNERS_CACHE_PROTOCOLS.
      expect((await fetch(`${url}/cache/key`)).status).toBe(404);
    } finally {
      child.kill("SIGTERM");
    }
    const { code, stderr } = await done;
    expect(code).toBe(0);
    expect(stderr).toMatch(/"message":"cache agent listening"/);
    expect(stderr).toMatch(/"message":"cache agent stopping".*"saves":1/);
  });

  it("signs with the instance role's credentials from IMDSv2 when no AWS_* credentials are set", async () => {
    const imds = await startImds();
    const port = await freePort();
    const { AWS_ACCESS_KEY_ID: _id, AWS_SECRET_ACCESS_KEY: _secret, AWS_SESSION_TOKEN: _token, ...env } = agentEnv(port);
    const child = spawn(process.execPath, [join(out, "cache-agent.js")], { cwd: out, env: { ...env, AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url }, stdio: ["ignore", "pipe", "pipe"] });
    const done = output(child);
    try {
      const url = `http://127.0.0.1:${port}`;
      await waitUntilServing(url);
      const refused = functionUrl.refused;
      expect((await fetch(`${url}/http/imds/key`, { method: "PUT", body: "signed by the role" })).status).toBe(200);
      expect(await (await fetch(`${url}/http/imds/key`)).text()).toBe("signed by the role");
      expect(functionUrl.refused).toBe(refused);
      // Read once, then memoized until five minutes before they expire.
      expect(imds.credentialReads()).toBe(1);
    } finally {
      child.kill("SIGTERM");
      await done;
      await imds.close();
    }
  });

  it("prints the clients' environment for the bootstrap with --print-env", async () => {
    const child = spawn(process.execPath, [join(out, "cache-agent.js"), "--print-env"], { cwd: out, env: agentEnv(41230, '["actions","turborepo"]'), stdio: ["ignore", "pipe", "pipe"] });
    const { code, stdout } = await output(child);
    expect(code).toBe(0);
    expect(stdout.split("\n").filter(Boolean)).toEqual([
      "ACTIONS_CACHE_SERVICE_V2=true",
      "ACTIONS_RESULTS_URL=http://127.0.0.1:41230/",
      "ACTIONS_CACHE_URL=http://127.0.0.1:41230/",
      "TURBO_API=http://127.0.0.1:41230",
      "TURBO_TOKEN=self-runners",
      "TURBO_TEAM=self-runners",
    ]);
  });

  it("fails at start, naming the allowed values, when a protocol is unknown", async () => {
    const child = spawn(process.execPath, [join(out, "cache-agent.js")], { cwd: out, env: agentEnv(await freePort(), '["http","sccache"]'), stdio: ["ignore", "pipe", "pipe"] });
    const { code, stderr } = await output(child);
    expect(code).toBe(1);
    expect(stderr).toContain("SELF_RUNNERS_CACHE_PROTOCOLS names sccache; allowed: actions, turborepo, nx, bazel, gradle, http");
  });
});
