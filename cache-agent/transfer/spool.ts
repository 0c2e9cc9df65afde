import { createHash, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/** An upload on local disk, with its SHA-256: what `reserve` needs before any byte goes to S3. */
export interface Spool {
  readonly size: number;
  /** Lowercase hex SHA-256. */
  readonly digest: string;
  /** Bytes `start` to `end` (inclusive), read from disk (again for a retried part). */
  read(start: number, end: number): Readable;
  remove(): Promise<void>;
}

/** Writes `body` to a new file under `dir`, hashing it on the way (one pass over the bytes). */
export async function spool(body: Readable, dir: string): Promise<Spool> {
  const path = join(dir, `self-runners-cache-${randomUUID()}`);
  const hash = createHash("sha256");
  let size = 0;
  try {
    await pipeline(
      body,
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          hash.update(chunk);
          size += chunk.length;
          yield chunk;
        }
      },
      createWriteStream(path),
    );
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
  return { size, digest: hash.digest("hex"), ...segmentsReader([{ path, size }]) };
}

/**
 * Adopts files already written (an upload assembled in place, or actions' blocks in block-list order) as
 * one spool without copying them: hashes them in order; removing the spool removes them.
 */
export async function spoolFiles(paths: readonly string[]): Promise<Spool> {
  const hash = createHash("sha256");
  const segments: Segment[] = [];
  for (const path of paths) {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    segments.push({ path, size: (await stat(path)).size });
  }
  return { size: segments.reduce((n, s) => n + s.size, 0), digest: hash.digest("hex"), ...segmentsReader(segments) };
}

interface Segment {
  readonly path: string;
  readonly size: number;
}

function segmentsReader(segments: readonly Segment[]): Pick<Spool, "read" | "remove"> {
  return {
    read(start, end) {
      if (segments.length === 1) return createReadStream(segments[0]!.path, { start, end });
      return Readable.from(
        (async function* () {
          let offset = 0;
          for (const segment of segments) {
            const from = Math.max(start, offset);
            const to = Math.min(end, offset + segment.size - 1);
            if (from <= to) yield* createReadStream(segment.path, { start: from - offset, end: to - offset });
            offset += segment.size;
          }
        })(),
      );
    },
    remove: async () => {
      await Promise.all([...new Set(segments.map((s) => s.path))].map((path) => rm(path, { force: true })));
    },
  };
}
