import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkTarget, egressProbe } from "../../../../lambdas/nat-failover/adapters/probe.js";
import { scratchDir } from "../../../helpers/paths.js";

// The probe against loopback servers only: an HTTPS server with a certificate made for the test, a
// TCP listener, a listener that never answers, and a closed port.

let cert = "";
let https: HttpsServer;
let tcp: TcpServer;
let silent: TcpServer;
const held: Socket[] = [];
const port = (server: { address(): unknown }) => (server.address() as AddressInfo).port;
const listen = (server: { listen(port: number, host: string, cb: () => void): unknown }) => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const close = (server: { close(cb: () => void): unknown }) => new Promise<void>((resolve) => server.close(() => resolve()));

beforeAll(async () => {
  const dir = scratchDir("probe-cert");
  const made = spawnSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
  ]);
  if (made.status !== 0) throw new Error(`openssl could not make a test certificate: ${made.stderr}`);
  cert = readFileSync(join(dir, "cert.pem"), "utf8");
  // Answers 503: any HTTP answer proves the path works.
  https = createHttpsServer({ key: readFileSync(join(dir, "key.pem")), cert }, (req, res) => {
    res.writeHead(req.method === "HEAD" ? 503 : 400).end();
  });
  tcp = createTcpServer((socket) => socket.end());
  silent = createTcpServer((socket) => held.push(socket));
  await Promise.all([listen(https), listen(tcp), listen(silent)]);
});

afterAll(async () => {
  for (const socket of held) socket.destroy();
  await Promise.all([close(https), close(tcp), close(silent)]);
});

describe("checkTarget", () => {
  it("succeeds on any HTTPS answer from a server with a trusted certificate", async () => {
    expect(await checkTarget({ ca: cert })(`https://127.0.0.1:${port(https)}/`, 2_000)).toBe(true);
  });

  it("fails when the certificate is not trusted", async () => {
    expect(await checkTarget()(`https://127.0.0.1:${port(https)}/`, 2_000)).toBe(false);
  });

  it("succeeds when a tcp:// target accepts the connection", async () => {
    expect(await checkTarget()(`tcp://127.0.0.1:${port(tcp)}`, 2_000)).toBe(true);
  });

  it("fails when the port is closed", async () => {
    const closed = createTcpServer();
    await listen(closed);
    const closedPort = port(closed);
    await close(closed);
    expect(await checkTarget()(`tcp://127.0.0.1:${closedPort}`, 2_000)).toBe(false);
    expect(await checkTarget({ ca: cert })(`https://127.0.0.1:${closedPort}/`, 2_000)).toBe(false);
  });

  it("fails at its deadline when the server accepts but never answers", async () => {
    expect(await checkTarget({ ca: cert })(`https://127.0.0.1:${port(silent)}/`, 300)).toBe(false);
  });
});

describe("egressProbe", () => {
  it("succeeds when any target answers, so one target's own outage is not a loss of egress", async () => {
    const seen: Array<[string, number]> = [];
    const probe = egressProbe(["https://a.example", "https://b.example"], 1_500, async (target, timeout) => {
      seen.push([target, timeout]);
      return target === "https://b.example";
    });
    expect(await probe()).toBe("ok");
    expect(seen).toEqual([["https://a.example", 1_500], ["https://b.example", 1_500]]);
  });

  it("fails when no target answers", async () => {
    expect(await egressProbe(["https://a.example", "tcp://b.example:443"], 1_000, async () => false)()).toBe("failed");
  });
});
