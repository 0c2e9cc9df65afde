import { createReadStream } from "node:fs";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { S3Client } from "@aws-sdk/client-s3";
import type { ResolvedRunnerRelease } from "../../../contracts/runner-binaries.js";

export interface BinaryStore {
  /** The resolved-version document of the last sync, or undefined before the first. */
  readResolved(): Promise<ResolvedRunnerRelease | undefined>;
  /** True when `key` already holds an archive with this SHA-256 (it is not copied again). */
  holds(key: string, sha256: string): Promise<boolean>;
  putArchive(key: string, file: string, sha256: string, bytes: number): Promise<void>;
  writeResolved(document: ResolvedRunnerRelease): Promise<void>;
}

export interface S3BinaryStoreOptions {
  readonly bucket: string;
  /** Key of the resolved-version document. */
  readonly resolvedKey: string;
}

function isMissing(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return name === "NoSuchKey" || name === "NotFound" || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404;
}

/** The bucket's default encryption (the kit's KMS key when set, else SSE-S3) applies to every object written. */
export function s3BinaryStore(client: S3Client, options: S3BinaryStoreOptions): BinaryStore {
  return {
    async readResolved() {
      try {
        const answer = await client.send(new GetObjectCommand({ Bucket: options.bucket, Key: options.resolvedKey }));
        return JSON.parse((await answer.Body?.transformToString()) ?? "") as ResolvedRunnerRelease;
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },

    async holds(key, sha256) {
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket: options.bucket, Key: key }));
        return head.Metadata?.sha256 === sha256;
      } catch (error) {
        if (isMissing(error)) return false;
        throw error;
      }
    },

    async putArchive(key, file, sha256, bytes) {
      await client.send(
        new PutObjectCommand({
          Bucket: options.bucket,
          Key: key,
          Body: createReadStream(file),
          ContentLength: bytes,
          // S3 recomputes the SHA-256 and refuses the object if it differs: the copy is checked end to end.
          ChecksumSHA256: Buffer.from(sha256, "hex").toString("base64"),
          Metadata: { sha256 },
        }),
      );
    },

    async writeResolved(document) {
      await client.send(
        new PutObjectCommand({
          Bucket: options.bucket,
          Key: options.resolvedKey,
          Body: `${JSON.stringify(document, null, 2)}\n`,
          ContentType: "application/json",
          // Instances read it at boot; a cached copy would pin an old release.
          CacheControl: "no-cache",
        }),
      );
    },
  };
}
