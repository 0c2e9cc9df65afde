import type { Readable, Writable } from "node:stream";
import type { BuildCacheProtocol } from "../contracts/build-cache.js";
import type { CacheBackend } from "./backend/port.js";
import { downloadBlob } from "./transfer/download.js";
import { spool, type Spool } from "./transfer/spool.js";
import { uploadParts } from "./transfer/upload.js";

/** Tunables of the transfers; defaults suit a runner with a few cores next to S3 in its region. */
export interface TransferOptions {
  /** Where uploads are spooled. @default os.tmpdir() */
  readonly spoolDir: string;
  /** Parallel part PUTs per save. @default 8 */
  readonly uploadConcurrency: number;
  /** Parallel ranged GETs per restore. @default 8 */
  readonly downloadConcurrency: number;
  /** Blobs this large or larger are restored as ranged GETs. @default 16 MiB */
  readonly rangedFrom: number;
  /** @default 8 MiB */
  readonly rangeSize: number;
}

/** Counters since the agent started: the function's requests and S3's, bytes each way. */
export interface AgentStats {
  lookups: number;
  reserves: number;
  commits: number;
  s3Requests: number;
  bytesUploaded: number;
  bytesDownloaded: number;
  hits: number;
  misses: number;
  saves: number;
  dedupedSaves: number;
  refusedSaves: number;
}

export function emptyStats(): AgentStats {
  return { lookups: 0, reserves: 0, commits: 0, s3Requests: 0, bytesUploaded: 0, bytesDownloaded: 0, hits: 0, misses: 0, saves: 0, dedupedSaves: 0, refusedSaves: 0 };
}

export interface CacheHit {
  readonly key: string;
  readonly version: string;
  readonly size: number;
  readonly digest: string;
  readonly url: string;
  /** Set when the entry is another branch's (the base or default branch). */
  readonly fromBranch?: string;
}

export type SaveResult = { readonly saved: true; readonly size: number; readonly digest: string; readonly uploaded: boolean } | { readonly saved: false; readonly reason: string };

/**
 * The protocol-independent half of the agent: find an entry, stream it out, save a body. Every protocol
 * module maps its requests onto these three calls.
 */
export class CacheStore {
  readonly stats = emptyStats();

  constructor(
    private readonly backend: CacheBackend,
    private readonly options: TransferOptions,
  ) {}

  /** `keys[0]` exact, the others prefixes (restore-keys), as the contract's lookup. */
  async find(protocol: BuildCacheProtocol, keys: readonly string[], version: string): Promise<CacheHit | undefined> {
    this.stats.lookups++;
    const answer = await this.backend.lookup({ protocol, keys, version });
    if (!answer.hit) {
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    return { key: answer.key, version: answer.version, size: answer.size, digest: answer.digest, url: answer.url, ...(answer.fromBranch === undefined ? {} : { fromBranch: answer.fromBranch }) };
  }

  /** Writes the blob of `hit` to `out` and ends it; `begin` runs once S3 has answered, before the first byte. */
  async stream(hit: CacheHit, out: Writable, begin?: () => void): Promise<void> {
    await downloadBlob(hit.url, hit.size, out, {
      ...(begin === undefined ? {} : { begin }),
      rangedFrom: this.options.rangedFrom,
      rangeSize: this.options.rangeSize,
      concurrency: this.options.downloadConcurrency,
      onRequest: () => this.stats.s3Requests++,
    });
    this.stats.bytesDownloaded += hit.size;
  }

  /** Spools `body` (a stream, or files to concatenate), then saves it. */
  async save(protocol: BuildCacheProtocol, key: string, version: string, body: Readable | readonly string[]): Promise<SaveResult> {
    const file = await spool(body, this.options.spoolDir);
    try {
      return await this.saveSpooled(protocol, key, version, file);
    } finally {
      await file.remove();
    }
  }

  /** reserve -> parallel part PUTs -> commit. */
  async saveSpooled(protocol: BuildCacheProtocol, key: string, version: string, file: Spool): Promise<SaveResult> {
    this.stats.reserves++;
    const reserved = await this.backend.reserve({ protocol, key, version, digest: file.digest, size: file.size });
    if ("refused" in reserved) {
      this.stats.refusedSaves++;
      return { saved: false, reason: reserved.refused };
    }
    const partETags = reserved.upload ? await uploadParts(file, reserved.partSize, reserved.partUrls, this.options.uploadConcurrency, () => this.stats.s3Requests++) : [];
    this.stats.commits++;
    const committed = await this.backend.commit({ uploadToken: reserved.uploadToken, partETags });
    if (!committed.committed) return { saved: false, reason: committed.reason ?? "the cache function did not commit the entry" };
    this.stats.saves++;
    if (reserved.upload) this.stats.bytesUploaded += file.size;
    else this.stats.dedupedSaves++;
    return { saved: true, size: file.size, digest: file.digest, uploaded: reserved.upload };
  }
}
