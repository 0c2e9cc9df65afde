import { AwsCliDownloadError } from "../errors.js";
import { writeHashedFile } from "./hashed-file.js";

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
      const { sha256, bytes } = await writeHashedFile(answer.body, file);
      const answeredEtag = answer.headers.get("etag");
      return { kind: "downloaded", sha256, bytes, ...(answeredEtag === null ? {} : { etag: answeredEtag }) };
    },

    async signature(name) {
      const answer = await fetchImpl(`${baseUrl}/${name}.sig`);
      if (!answer.ok) throw new AwsCliDownloadError(`${name}.sig`, answer.status);
      return new Uint8Array(await answer.arrayBuffer());
    },
  };
}
