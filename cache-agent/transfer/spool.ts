import { createHash, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/** An upload written to local disk, with its SHA-256: what `reserve` needs before any byte goes to S3. */
export interface Spool {
  readonly path: string;
  readonly size: number;
  /** Lowercase hex SHA-256. */
  readonly digest: string;
  remove(): Promise<void>;
}

/** Writes `body` to a new file under `dir`, hashing it on the way (one pass over the bytes). */
export async function spool(body: Readable | readonly string[], dir: string): Promise<Spool> {
  const path = join(dir, `self-runners-cache-${randomUUID()}`);
  const hash = createHash("sha256");
  let size = 0;
  const remove = () => rm(path, { force: true });
  const sources = Array.isArray(body) ? (body as readonly string[]) : [body as Readable];
  try {
    const out = createWriteStream(path);
    // Several source files (actions' blocks, in block-list order) are concatenated into one spool.
    for (const [i, source] of sources.entries()) {
      const input = typeof source === "string" ? createReadStream(source) : source;
      await pipeline(
        input,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            hash.update(chunk);
            size += chunk.length;
            yield chunk;
          }
        },
        out,
        { end: i === sources.length - 1 },
      );
    }
    if (sources.length === 0) await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  } catch (error) {
    await remove();
    throw error;
  }
  return { path, size, digest: hash.digest("hex"), remove };
}

/** The size of a spooled file (for a Put Block that must be kept until the block list names it). */
export async function fileSize(path: string): Promise<number> {
  return (await stat(path)).size;
}

/** Adopts a file already written (an upload assembled in place) as a spool: hashes it, removes it when done. */
export async function spoolFile(path: string): Promise<Spool> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return { path, size: await fileSize(path), digest: hash.digest("hex"), remove: () => rm(path, { force: true }) };
}
