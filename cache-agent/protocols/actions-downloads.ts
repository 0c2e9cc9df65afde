import { randomUUID } from "node:crypto";
import type { CacheHit } from "../store.js";

export const DOWNLOAD_PREFIX = "/_actions/download/";
/** How long a handed-out download URL stays valid: the function's presigned GET is valid 900 s. */
const DOWNLOAD_TTL_MS = 10 * 60_000;

/** Download URLs handed to the toolkit (v1 `archiveLocation`, v2 `signed_download_url`), each naming one hit. */
export class ActionsDownloads {
  private readonly hits = new Map<string, { readonly hit: CacheHit; readonly until: number }>();

  url(base: string, hit: CacheHit): string {
    const now = Date.now();
    for (const [id, entry] of this.hits) if (entry.until < now) this.hits.delete(id);
    const id = randomUUID();
    this.hits.set(id, { hit, until: now + DOWNLOAD_TTL_MS });
    return `${base}${DOWNLOAD_PREFIX}${id}`;
  }

  /** The hit of a download URL (it stays valid for a retried download until it expires). */
  take(id: string): CacheHit | undefined {
    const entry = this.hits.get(id);
    return entry === undefined || entry.until < Date.now() ? undefined : entry.hit;
  }
}

