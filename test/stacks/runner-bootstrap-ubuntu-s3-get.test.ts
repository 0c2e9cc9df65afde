import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Sha256 } from "@smithy/core/checksum";
import { SignatureV4 } from "@smithy/signature-v4";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderRunnerBootstrap } from "../../stacks/runner-bootstrap.js";
import { BOOT_OPTIONS } from "../helpers/runner-boot.js";

// The Ubuntu bootstrap's SigV4 GET (python3, before any AWS CLI exists), run for real against a loopback
// S3 that recomputes the signature with the AWS SDK's own signer (@smithy/signature-v4) from the headers
// the request names as signed, and answers only when both agree. The bootstrap contract tests stub it.

const CREDENTIALS = { accessKeyId: "ASIAEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", sessionToken: "ROLE+SESSION/TOKEN=" };
const OBJECT = Buffer.from("PK\u0003\u0004 the AWS CLI installer");
const script = renderRunnerBootstrap(BOOT_OPTIONS, "ubuntu-24.04");
const signerCode = /S3_GET_PY=\$\(cat <<'PY'\n([\s\S]*?)\nPY\n\)/.exec(script)?.[1] ?? "";

let server: Server;
let endpoint: string;
const seen: Array<{ path: string; signed: string[]; agrees: boolean }> = [];

/** What the SDK's signer makes of the same request, at the same time, over the headers it names. */
async function expectedAuthorization(request: IncomingMessage): Promise<string> {
  const authorization = request.headers.authorization ?? "";
  const signed = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(";") ?? [];
  const headers = Object.fromEntries(signed.map((name) => [name, String(request.headers[name])]));
  const stamp = String(request.headers["x-amz-date"]);
  const signingDate = new Date(`${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}Z`);
  const signer = new SignatureV4({ service: "s3", region: "eu-west-1", credentials: CREDENTIALS, sha256: Sha256, uriEscapePath: false });
  const [path] = (request.url ?? "").split("?");
  const result = await signer.sign({ method: "GET", protocol: "http:", hostname: "127.0.0.1", path: path ?? "", headers, query: {} }, { signingDate });
  return String(result.headers.authorization);
}

beforeAll(async () => {
  server = createServer((request, response) => {
    void expectedAuthorization(request).then((expected) => {
      // The SDK separates the parts with ", ", the bootstrap with "," (as the S3 API Reference's examples do).
      const agrees = expected.replaceAll(", ", ",") === request.headers.authorization;
      seen.push({ path: request.url ?? "", signed: /SignedHeaders=([^,]+)/.exec(request.headers.authorization ?? "")?.[1]?.split(";") ?? [], agrees });
      if (agrees) response.writeHead(200).end(OBJECT);
      else response.writeHead(403).end("<Error><Code>SignatureDoesNotMatch</Code></Error>");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Runs the signer as the bootstrap does: the instance role's credentials (IMDS's JSON) on stdin. */
function s3Get(key: string, secret = CREDENTIALS.secretAccessKey): Promise<{ status: number | null; file: string }> {
  const file = join(mkdtempSync(join(tmpdir(), "s3-get-")), "object");
  return new Promise((resolve) => {
    const child = spawn("python3", ["-c", signerCode, endpoint, "eu-west-1", key, file], { stdio: ["pipe", "ignore", "ignore"] });
    child.stdin.end(JSON.stringify({ Code: "Success", AccessKeyId: CREDENTIALS.accessKeyId, SecretAccessKey: secret, Token: CREDENTIALS.sessionToken }));
    child.on("close", (status) => resolve({ status, file }));
  });
}

describe("the Ubuntu bootstrap's signed S3 GET (python3, no AWS CLI yet)", () => {
  it("signs host, payload hash, date and the session token as SigV4 for S3: the SDK's signer agrees and the object arrives", async () => {
    expect(signerCode).toContain("x-amz-security-token");
    const key = "runner/awscli/0123abcd/awscli-exe-linux-x86_64.zip";

    const { status, file } = await s3Get(key);

    expect(status).toBe(0);
    expect(readFileSync(file).equals(OBJECT)).toBe(true);
    expect(seen.at(-1)).toEqual({ path: `/${key}`, signed: ["host", "x-amz-content-sha256", "x-amz-date", "x-amz-security-token"], agrees: true });
  });

  it("encodes a key as S3 does (once, slashes kept), and fails (non-zero) when S3 refuses the signature", async () => {
    expect((await s3Get("runner/v2.331.0/name with space+plus.zip")).status).toBe(0);
    expect(seen.at(-1)).toMatchObject({ path: "/runner/v2.331.0/name%20with%20space%2Bplus.zip", agrees: true });

    const refused = await s3Get("runner/resolved-version.json", "not-the-secret");
    expect(refused.status).not.toBe(0);
    expect(seen.at(-1)).toMatchObject({ agrees: false });
  });
});
