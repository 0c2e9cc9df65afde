import { createHash, createHmac } from "node:crypto";
import type { AwsCredentialIdentity } from "@smithy/types";
import { Http1Pool } from "./http1-pool.js";
import type { Http1Error } from "./http1-pool.js";

/** An answer: status, headers (lower-case names) and the body as text. */
export interface AwsHttpAnswer {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
}

/** A network failure, with Node's `code` (ECONNRESET...) that the SDK's retry rules read. */
export type AwsHttpError = Http1Error;

// One pool of kept-alive sockets for the life of the execution environment, as the SDK's handler keeps its agent.
const pool = new Http1Pool();

/** POSTs `body` with `headers` (`host` among them) to `endpoint` and reads the whole answer. */
export async function postJson(endpoint: URL, headers: Readonly<Record<string, string>>, body: string): Promise<AwsHttpAnswer> {
  const answer = await pool.post(endpoint, endpoint.pathname === "" ? "/" : endpoint.pathname, headers, body);
  return { statusCode: answer.statusCode, headers: answer.headers, text: answer.body.toString("utf8") };
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
  // X-Amz-Date changes once a second: formatted once per second, not per request.
  let second = Number.NaN;
  let stamp = "";
  return (credentials, host, path, headers, body, now) => {
    const atSecond = Math.floor(now.getTime() / 1000);
    if (atSecond !== second) {
      second = atSecond;
      stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
    }
    const amzDate = stamp;
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
    const canonical: [string, string][] = [];
    for (const name in signed) canonical.push([name.toLowerCase(), signed[name]!.trim().replace(/\s+/g, " ")]);
    canonical.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    let canonicalHeaders = "";
    let signedHeaders = "";
    for (const [name, value] of canonical) {
      canonicalHeaders += `${name}:${value}\n`;
      signedHeaders += signedHeaders === "" ? name : `;${name}`;
    }
    const scope = `${day}/${region}/${service}/aws4_request`;
    const canonicalHash = createHash("sha256").update(`POST\n${path}\n\n${canonicalHeaders}\n${signedHeaders}\n${payloadHash}`).digest("hex");
    const signature = createHmac("sha256", cached.key).update(`AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${canonicalHash}`).digest("hex");
    signed.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return signed;
  };
}
