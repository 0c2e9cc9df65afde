import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { AwsCliDownloadError } from "../errors.js";

export type InstallerDownload =
  | { readonly kind: "not modified" }
  | { readonly kind: "downloaded"; readonly sha256: string; readonly bytes: number; readonly etag?: string };

/** AWS's AWS CLI v2 installers: `<name>` and its detached signature `<name>.sig`. */
export interface AwsCliSource {
  /** Streams the installer to `file`, hashing it; with `etag` the request is conditional (304: not modified). */
  installer(name: string, etag: string | undefined, file: string): Promise<InstallerDownload>;
  /** The installer's detached PGP signature, as published (armored or binary). */
  signature(name: string): Promise<Uint8Array>;
}

/** The installers at `baseUrl` (https://awscli.amazonaws.com), with fetch. */
export function awsCliDownloads(baseUrl: string, fetchImpl: typeof globalThis.fetch = globalThis.fetch): AwsCliSource {
  return {
    async installer(name, etag, file) {
      const answer = await fetchImpl(`${baseUrl}/${name}`, { headers: etag === undefined ? {} : { "if-none-match": etag } });
      if (answer.status === 304) return { kind: "not modified" };
      if (!answer.ok || answer.body === null) throw new AwsCliDownloadError(name, answer.status);
      const hash = createHash("sha256");
      let bytes = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          bytes += chunk.length;
          done(null, chunk);
        },
      });
      await pipeline(Readable.fromWeb(answer.body as WebReadableStream<Uint8Array>), counter, createWriteStream(file));
      const answeredEtag = answer.headers.get("etag");
      return { kind: "downloaded", sha256: hash.digest("hex"), bytes, ...(answeredEtag === null ? {} : { etag: answeredEtag }) };
    },

    async signature(name) {
      const answer = await fetchImpl(`${baseUrl}/${name}.sig`);
      if (!answer.ok) throw new AwsCliDownloadError(`${name}.sig`, answer.status);
      return new Uint8Array(await answer.arrayBuffer());
    },
  };
}
