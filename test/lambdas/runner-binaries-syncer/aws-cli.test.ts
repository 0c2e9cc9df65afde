import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMessage, generateKey, readKey, readPrivateKey, sign } from "openpgp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AWS_CLI_SIGNING_KEY, AWS_CLI_SIGNING_KEY_EXPIRES, AWS_CLI_SIGNING_KEY_FINGERPRINT, awsCliObjectKey } from "../../../contracts/aws-cli.js";
import type { ResolvedRunnerRelease } from "../../../contracts/runner-binaries.js";
import { awsCliDownloads } from "../../../lambdas/runner-binaries-syncer/adapters/aws-cli-downloads.js";
import type { BinaryStore } from "../../../lambdas/runner-binaries-syncer/adapters/s3.js";
import { syncAwsCli, verifyDetachedSignature } from "../../../lambdas/runner-binaries-syncer/aws-cli.js";
import { AwsCliSignatureError } from "../../../lambdas/runner-binaries-syncer/errors.js";
import { syncRunnerBinaries } from "../../../lambdas/runner-binaries-syncer/sync.js";
import { quietPowertools } from "../../helpers/powertools.js";

// The AWS CLI installers the syncer copies for the Ubuntu bootstraps: fetched from a loopback stand-in of
// awscli.amazonaws.com (ETag and If-None-Match as a CDN answers), signed with a key pair made here by
// OpenPGP.js, checked against that key, and written to an in-memory bucket under their SHA-256.

const X64 = Buffer.from("PK\u0003\u0004 awscli x86_64 installer");
const ARM64 = Buffer.from("PK\u0003\u0004 awscli aarch64 installer");

let server: Server;
let baseUrl: string;
let publicKey: string;
/** What the stand-in serves: name -> body; signatures under `<name>.sig`. */
const served = new Map<string, Buffer>();
const requests: Array<{ path: string; ifNoneMatch?: string }> = [];

const etagOf = (body: Buffer) => `"${createHash("md5").update(body).digest("hex")}"`;
const sha256 = (body: Buffer) => createHash("sha256").update(body).digest("hex");

async function detachedSignature(data: Buffer, armoredPrivateKey: string, armored: boolean): Promise<Buffer> {
  const signingKey = await readPrivateKey({ armoredKey: armoredPrivateKey });
  const message = await createMessage({ binary: data });
  const signature = armored
    ? await sign({ message, signingKeys: signingKey, detached: true, format: "armored" })
    : await sign({ message, signingKeys: signingKey, detached: true, format: "binary" });
  return Buffer.from(signature as string | Uint8Array);
}

let privateKey: string;
let strangerKey: string;

beforeAll(async () => {
  quietPowertools();
  const aws = await generateKey({ type: "ecc", curve: "curve25519Legacy", userIDs: [{ name: "AWS CLI Team (test)", email: "aws-cli@example.com" }], format: "armored" });
  const stranger = await generateKey({ type: "ecc", curve: "curve25519Legacy", userIDs: [{ name: "Someone else", email: "x@example.com" }], format: "armored" });
  publicKey = aws.publicKey;
  privateKey = aws.privateKey;
  strangerKey = stranger.privateKey;
  server = createServer((request, response) => {
    const path = request.url ?? "";
    requests.push({ path, ...(typeof request.headers["if-none-match"] === "string" ? { ifNoneMatch: request.headers["if-none-match"] } : {}) });
    const body = served.get(path.slice(1));
    if (body === undefined) return void response.writeHead(404).end();
    const etag = etagOf(body);
    if (request.headers["if-none-match"] === etag) return void response.writeHead(304, { etag }).end();
    response.writeHead(200, { etag, "content-length": body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => {
  served.clear();
  requests.length = 0;
});

/** An in-memory bucket with the store's contract (adapters/s3.ts is tested against S3 in sync.test.ts). */
function memoryStore(document?: ResolvedRunnerRelease) {
  const objects = new Map<string, { body: Buffer; sha256: string }>();
  let resolved = document;
  const writes: ResolvedRunnerRelease[] = [];
  const store: BinaryStore = {
    readResolved: async () => resolved,
    holds: async (key, hash) => objects.get(key)?.sha256 === hash,
    putArchive: async (key, file, hash) => void objects.set(key, { body: readFileSync(file), sha256: hash }),
    writeResolved: async (next) => {
      resolved = next;
      writes.push(next);
    },
  };
  return { store, objects, writes, resolved: () => resolved };
}

async function publish(name: string, body: Buffer, options: { key?: string; armored?: boolean } = {}): Promise<void> {
  served.set(name, body);
  served.set(`${name}.sig`, await detachedSignature(body, options.key ?? privateKey, options.armored ?? false));
}

const scratch = () => mkdtempSync(join(tmpdir(), "aws-cli-sync-"));

describe("AWS's AWS CLI signing key (contracts/aws-cli.ts)", () => {
  it("is the key AWS documents: its fingerprint and expiry are the page's, and it has not expired", async () => {
    const key = await readKey({ armoredKey: AWS_CLI_SIGNING_KEY });
    expect(key.getFingerprint().toUpperCase()).toBe(AWS_CLI_SIGNING_KEY_FINGERPRINT.replaceAll(" ", ""));
    expect(key.getUserIDs()).toEqual(["AWS CLI Team <aws-cli@amazon.com>"]);
    // getExpirationTime verifies the self-signature that carries the expiry.
    const expires = (await key.getExpirationTime()) as Date;
    expect(expires.toISOString().slice(0, 10)).toBe(AWS_CLI_SIGNING_KEY_EXPIRES);
    expect(expires.getTime(), "AWS's key has expired: take the renewed block from the AWS CLI User Guide (contracts/aws-cli.ts)").toBeGreaterThan(Date.now());
  });
});

describe("AWS CLI installers in the runner binaries bucket", () => {
  it("stores a validly signed installer per platform under its SHA-256, with its ETag, for binary and armored signatures", async () => {
    await publish("awscli-exe-linux-x86_64.zip", X64);
    await publish("awscli-exe-linux-aarch64.zip", ARM64, { armored: true });
    const bucket = memoryStore();

    const result = await syncAwsCli({ source: awsCliDownloads(baseUrl), platforms: ["linux-x64", "linux-arm64"], signingKey: publicKey }, bucket.store, "runner/", undefined, scratch());

    const x64Key = awsCliObjectKey("runner/", "linux-x64", sha256(X64));
    expect(x64Key).toBe(`runner/awscli/${sha256(X64)}/awscli-exe-linux-x86_64.zip`);
    expect(result.assets).toEqual({
      "linux-x64": { key: x64Key, sha256: sha256(X64), size: X64.length, etag: etagOf(X64) },
      "linux-arm64": { key: awsCliObjectKey("runner/", "linux-arm64", sha256(ARM64)), sha256: sha256(ARM64), size: ARM64.length, etag: etagOf(ARM64) },
    });
    expect(bucket.objects.get(x64Key)?.body.equals(X64)).toBe(true);
    expect(result.copied).toHaveLength(2);
  });

  it("refuses an installer signed by another key, or tampered after signing, and writes nothing", async () => {
    await publish("awscli-exe-linux-x86_64.zip", X64, { key: strangerKey });
    const bucket = memoryStore();
    await expect(syncAwsCli({ source: awsCliDownloads(baseUrl), platforms: ["linux-x64"], signingKey: publicKey }, bucket.store, "runner/", undefined, scratch())).rejects.toBeInstanceOf(AwsCliSignatureError);
    expect(bucket.objects.size).toBe(0);

    await publish("awscli-exe-linux-x86_64.zip", X64);
    served.set("awscli-exe-linux-x86_64.zip", Buffer.concat([X64, Buffer.from("!")]));
    await expect(syncAwsCli({ source: awsCliDownloads(baseUrl), platforms: ["linux-x64"], signingKey: publicKey }, bucket.store, "runner/", undefined, scratch())).rejects.toThrow(/signature refused/);
    expect(bucket.objects.size).toBe(0);
  });

  it("verifies against AWS's own key by default: a test key's signature is refused", async () => {
    const signature = await detachedSignature(X64, privateKey, false);
    await expect(verifyDetachedSignature("x.zip", X64, signature, AWS_CLI_SIGNING_KEY, new Date())).rejects.toBeInstanceOf(AwsCliSignatureError);
    await expect(verifyDetachedSignature("x.zip", X64, signature, publicKey, new Date())).resolves.toBeUndefined();
  });

  it("asks again with the stored ETag: a 304 keeps the installer, downloads no signature and writes nothing", async () => {
    await publish("awscli-exe-linux-x86_64.zip", X64);
    const bucket = memoryStore();
    const deps = { source: awsCliDownloads(baseUrl), platforms: ["linux-x64"] as const, signingKey: publicKey };
    const first = await syncAwsCli(deps, bucket.store, "runner/", undefined, scratch());
    requests.length = 0;

    const second = await syncAwsCli(deps, bucket.store, "runner/", first.assets, scratch());

    expect(requests).toEqual([{ path: "/awscli-exe-linux-x86_64.zip", ifNoneMatch: etagOf(X64) }]);
    expect(second).toEqual({ assets: first.assets, copied: [] });
  });

  it("through the syncer: a runner release not modified still brings a new CLI into resolved-version.json, and nothing when the CLI is unchanged too", async () => {
    await publish("awscli-exe-linux-x86_64.zip", X64);
    const current: ResolvedRunnerRelease = { version: "2.331.0", tag: "v2.331.0", etag: '"r"', requested: "latest", syncedAt: "2026-12-06T00:00:00Z", assets: { "linux-x64": { key: "runner/v2.331.0/a.tar.gz", sha256: "a".repeat(64), size: 1 } } };
    const bucket = memoryStore(current);
    const deps = {
      source: { release: async () => ({ kind: "not modified" as const }), download: async () => Promise.reject(new Error("no runner download expected")) },
      store: bucket.store,
      requested: "latest",
      minimum: "2.329.0",
      platforms: ["linux-x64" as const],
      prefix: "runner/",
      now: () => new Date("2026-12-07T00:00:00Z"),
      awsCli: { source: awsCliDownloads(baseUrl), platforms: ["linux-x64" as const], signingKey: publicKey },
    };

    const summary = await syncRunnerBinaries(deps);

    expect(summary).toMatchObject({ change: "not modified", awsCliCopied: [awsCliObjectKey("runner/", "linux-x64", sha256(X64))] });
    expect(bucket.resolved()).toEqual({ ...current, awsCli: { "linux-x64": { key: awsCliObjectKey("runner/", "linux-x64", sha256(X64)), sha256: sha256(X64), size: X64.length, etag: etagOf(X64) } } });
    await syncRunnerBinaries(deps);
    expect(bucket.writes).toHaveLength(1);
  });
});
