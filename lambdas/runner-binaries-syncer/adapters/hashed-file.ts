import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";

/** What a streamed download left on disk: its SHA-256 (hex) and size. */
export interface Download {
  readonly sha256: string;
  readonly bytes: number;
}

/**
 * Streams a fetch body to `file`, hashing and counting it on the way, so an archive of hundreds of MB
 * is never held in memory. Written by hand: no library pairs node's hash with a stream pipeline.
 */
export async function writeHashedFile(body: ReadableStream<Uint8Array>, file: string): Promise<Download> {
  const hash = createHash("sha256");
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(body as WebReadableStream<Uint8Array>), counter, createWriteStream(file));
  return { sha256: hash.digest("hex"), bytes };
}
