import { createHash, createHmac } from "node:crypto";
import http from "node:http";
import https from "node:https";
import type { AwsCredentialIdentity } from "@smithy/types";

/** An answer: status, headers (lower-case names) and the body as text. */
export interface AwsHttpAnswer {
  readonly statusCode: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
}

/** A network failure, with Node's `code` (ECONNRESET...) that the SDK's retry rules read. */
export type AwsHttpError = Error & { code?: string };

// One keep-alive agent per protocol for the life of the execution environment, as the SDK's handler keeps.
const agents = { "http:": new http.Agent({ keepAlive: true, maxSockets: 50 }), "https:": new https.Agent({ keepAlive: true, maxSockets: 50 }) };

/** POSTs `body` with `headers` to `endpoint` and reads the whole answer (node:http, keep-alive). */
export function postJson(endpoint: URL, headers: Record<string, string>, body: string): Promise<AwsHttpAnswer> {
  const secure = endpoint.protocol === "https:";
  return new Promise((resolve, reject) => {
    const request = (secure ? https : http).request(
      { protocol: endpoint.protocol, hostname: endpoint.hostname, port: endpoint.port === "" ? undefined : Number(endpoint.port), path: endpoint.pathname, method: "POST", headers, agent: agents[secure ? "https:" : "http:"] },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => resolve({ statusCode: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString("utf8") }));
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

/**
 * AWS Signature Version 4 headers for a POST of `body` (AWS General Reference, "Create a signed AWS API
 * request"), with the signing key derived once per day and secret. Written by hand for the CPU: the
 * SDK's `SignatureV4` normalises, copies and re-hashes per request (about 0.13 ms a call, a tenth of
 * the webhook's target per delivery; docs/performance.md, "Webhook"); this signs only what the webhook
 * sends (host, content type, the payload hash, X-Amz-Date, the session token and X-Amz-Target), the same way.
 */
export function sigV4Signer(service: string, region: string): (credentials: AwsCredentialIdentity, host: string, path: string, headers: Record<string, string>, body: string, now: Date) => Record<string, string> {
  let cached: { day: string; secret: string; key: Buffer } | undefined;
  return (credentials, host, path, headers, body, now) => {
    const amzDate = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
    const day = amzDate.slice(0, 8);
    if (cached === undefined || cached.day !== day || cached.secret !== credentials.secretAccessKey) {
      const kDate = createHmac("sha256", `AWS4${credentials.secretAccessKey}`).update(day).digest();
      const kRegion = createHmac("sha256", kDate).update(region).digest();
      const kService = createHmac("sha256", kRegion).update(service).digest();
      cached = { day, secret: credentials.secretAccessKey, key: createHmac("sha256", kService).update("aws4_request").digest() };
    }
    const payloadHash = createHash("sha256").update(body).digest("hex");
    // x-amz-content-sha256 as the SDK's signer adds it (its `applyChecksum` default).
    const signed: Record<string, string> = { ...headers, host, "x-amz-content-sha256": payloadHash, "x-amz-date": amzDate };
    if (credentials.sessionToken !== undefined) signed["x-amz-security-token"] = credentials.sessionToken;
    const names = Object.keys(signed).map((name) => name.toLowerCase()).sort();
    const lower = Object.fromEntries(Object.entries(signed).map(([name, value]) => [name.toLowerCase(), value.trim().replace(/\s+/g, " ")]));
    const signedHeaders = names.join(";");
    const canonical = `POST\n${path}\n\n${names.map((name) => `${name}:${lower[name]}\n`).join("")}\n${signedHeaders}\n${payloadHash}`;
    const scope = `${day}/${region}/${service}/aws4_request`;
    const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${createHash("sha256").update(canonical).digest("hex")}`;
    const signature = createHmac("sha256", cached.key).update(stringToSign).digest("hex");
    return { ...signed, authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}` };
  };
}
