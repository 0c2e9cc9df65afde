import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { Readable } from "node:stream";

// Keep-alive pools: parallel part uploads and ranged reads reuse their connections.
const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 32 });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 32 });

export interface SendOptions {
  readonly method: string;
  readonly headers?: OutgoingHttpHeaders;
  /** A string or buffer is sent with its length; a stream needs `content-length` in `headers`. */
  readonly body?: string | Buffer | Readable;
  readonly timeoutMs?: number;
}

/**
 * One HTTP(S) request, answered with the response stream. node:http rather than fetch: request bodies
 * stream from file ranges with a known length, and responses are piped without web-stream adapters.
 */
export function send(url: string, options: SendOptions): Promise<IncomingMessage> {
  const target = new URL(url);
  const secure = target.protocol === "https:";
  const headers: OutgoingHttpHeaders = { ...options.headers };
  if (typeof options.body === "string" || Buffer.isBuffer(options.body)) headers["content-length"] = Buffer.byteLength(options.body);
  return new Promise((resolve, reject) => {
    const req = (secure ? httpsRequest : httpRequest)(target, { method: options.method, headers, agent: secure ? httpsAgent : httpAgent }, resolve);
    req.setTimeout(options.timeoutMs ?? 120_000, () => req.destroy(new Error(`${options.method} ${target.host} timed out`)));
    req.on("error", reject);
    const body = options.body;
    if (body === undefined) req.end();
    else if (typeof body === "string" || Buffer.isBuffer(body)) req.end(body);
    else {
      body.on("error", (error) => req.destroy(error));
      body.pipe(req);
    }
  });
}

export async function readBuffer(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function readText(stream: Readable): Promise<string> {
  return (await readBuffer(stream)).toString("utf8");
}

/** Reads and drops a response body, so its keep-alive socket goes back to the pool. */
export async function drain(stream: Readable): Promise<void> {
  for await (const _ of stream);
}
