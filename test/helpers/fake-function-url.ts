import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { Sha256 } from "@smithy/core/checksum";
import { HttpRequest } from "@smithy/core/transport";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity } from "@smithy/types";
import type { CacheBackend } from "../../cache-agent/index.js";
import { BUILD_CACHE_PATHS } from "../../contracts/build-cache.js";

/** Credentials the loopback function URL accepts (a runner's role session, in the tests). */
export const RUNNER_CREDENTIALS: AwsCredentialIdentity = { accessKeyId: "AKIDRUNNER", secretAccessKey: "runner-secret", sessionToken: "runner-session" };

export interface LoopbackFunctionUrl {
  readonly url: string;
  /** Requests answered 403 (unsigned or badly signed). */
  readonly refused: number;
  close(): Promise<void>;
}

/**
 * Serves `backend` as a function URL with AWS_IAM auth would: each POST must carry a SigV4 signature
 * (service `lambda`) by `credentials`, recomputed here from the request, else 403. So the agent's real
 * signed client (cache-agent/backend/function-url.ts) is what the tests drive.
 */
export async function serveFunctionUrl(backend: CacheBackend, credentials: AwsCredentialIdentity = RUNNER_CREDENTIALS): Promise<LoopbackFunctionUrl> {
  const signer = new SignatureV4({ service: "lambda", region: "eu-west-1", credentials, sha256: Sha256 });
  const routes: Record<string, (body: never) => Promise<unknown>> = {
    [BUILD_CACHE_PATHS.lookup]: (b) => backend.lookup(b),
    [BUILD_CACHE_PATHS.reserve]: (b) => backend.reserve(b),
    [BUILD_CACHE_PATHS.commit]: (b) => backend.commit(b),
  };
  let refused = 0;
  const server = createServer((req, res) => {
    void (async () => {
      const body = await text(req);
      const route = routes[req.url ?? ""];
      if (req.method !== "POST" || route === undefined) return res.writeHead(404).end();
      if (!(await signedBy(signer, req, body))) {
        refused++;
        return res.writeHead(403, { "content-type": "application/json" }).end('{"Message":"Forbidden"}');
      }
      const answer = JSON.stringify(await route(JSON.parse(body) as never));
      res.writeHead(200, { "content-type": "application/json" }).end(answer);
    })().catch((error: unknown) => res.writeHead(500).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url,
    get refused() {
      return refused;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function text(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Re-signs the request with the expected credentials at its own x-amz-date and compares the Authorization. */
async function signedBy(signer: SignatureV4, req: IncomingMessage, body: string): Promise<boolean> {
  const authorization = req.headers.authorization;
  const date = req.headers["x-amz-date"];
  if (typeof authorization !== "string" || typeof date !== "string") return false;
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(";") ?? [];
  const headers = Object.fromEntries(signedHeaders.filter((h) => h !== "authorization").map((h) => [h, String(req.headers[h] ?? "")]));
  const signingDate = new Date(date.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, "$1-$2-$3T$4:$5:$6Z"));
  const request = new HttpRequest({ method: "POST", protocol: "http:", hostname: "127.0.0.1", path: req.url ?? "/", headers, body });
  const expected = await signer.sign(request, { signingDate });
  return expected.headers.authorization === authorization;
}
