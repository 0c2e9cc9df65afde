import { createHash, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Sha256 } from "@smithy/core/checksum";
import { HttpRequest } from "@smithy/core/transport";
import { SignatureV4 } from "@smithy/signature-v4";
import S3rver from "s3rver";
import type { CacheBackend } from "../../cache-agent/index.js";
import { PRESIGNED_URL_TTL_SECONDS, type BuildCacheProtocol, type LookupResponse, type ReserveResponse } from "../../contracts/build-cache.js";

/** A loopback S3 (s3rver) with one bucket; s3rver checks signatures made with its fixed credentials. */
export interface LoopbackS3 {
  readonly endpoint: string;
  readonly bucket: string;
  readonly client: S3Client;
  close(): Promise<void>;
}

export const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

export async function startLoopbackS3(bucket = "sr-build-cache"): Promise<LoopbackS3> {
  const directory = mkdtempSync(join(tmpdir(), "s3rver-cache-"));
  const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] });
  const { port } = (await server.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({ region: "eu-west-1", endpoint, forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
  return {
    endpoint,
    bucket,
    client,
    close: async () => {
      client.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

interface Entry {
  readonly protocol: BuildCacheProtocol;
  readonly key: string;
  readonly version: string;
  readonly digest: string;
  readonly size: number;
  readonly created: number;
}

interface Reservation extends Omit<Entry, "created"> {
  readonly uploadId?: string;
}

export interface FakeCacheFunctionOptions {
  /** @default 8 MiB (S3's minimum is 5 MiB but for the last part) */
  readonly partSize?: number;
  /** When set, every reserve is refused with this reason (a read-only branch). */
  readonly refuseWrites?: string;
}

/** The fake function's state, for assertions. */
export interface FakeCacheFunction extends CacheBackend {
  readonly entries: readonly Entry[];
  readonly calls: { lookup: number; reserve: number; commit: number };
}

/**
 * A stand-in for lambdas/build-cache with the contract's behaviour for one scope and branch: an in-memory
 * index, blobs content-addressed in the s3rver bucket, presigned part PUTs and GETs, the digest verified
 * from S3 before the entry is written. Scope and branch rules are the real function's (helper F's tests).
 */
export function fakeCacheFunction(s3: LoopbackS3, options: FakeCacheFunctionOptions = {}): FakeCacheFunction {
  const partSize = options.partSize ?? 8 * 1024 * 1024;
  const entries: Entry[] = [];
  const reservations = new Map<string, Reservation>();
  const calls = { lookup: 0, reserve: 0, commit: 0 };
  let clock = 0;
  const presigner = new SignatureV4({ service: "s3", region: "eu-west-1", credentials: S3RVER_CREDENTIALS, sha256: Sha256, uriEscapePath: false, applyChecksum: false });
  const endpoint = new URL(s3.endpoint);
  const blobKey = (digest: string) => `blobs/scope-a/${digest}`;

  async function presign(method: "GET" | "PUT", key: string, query: Record<string, string> = {}): Promise<string> {
    const request = new HttpRequest({ method, protocol: "http:", hostname: endpoint.hostname, port: Number(endpoint.port), path: `/${s3.bucket}/${key}`, query, headers: { host: endpoint.host, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
    const signed = await presigner.presign(request, { expiresIn: PRESIGNED_URL_TTL_SECONDS });
    const search = new URLSearchParams(signed.query as Record<string, string>).toString();
    return `${s3.endpoint}${signed.path}?${search}`;
  }

  async function exists(key: string): Promise<boolean> {
    try {
      await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
      return true;
    } catch {
      return false;
    }
  }

  async function digestOf(key: string): Promise<string> {
    const object = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    const hash = createHash("sha256");
    for await (const chunk of object.Body as Readable) hash.update(chunk as Buffer);
    return hash.digest("hex");
  }

  return {
    entries,
    calls,
    async lookup({ protocol, keys, version }): Promise<LookupResponse> {
      calls.lookup++;
      const candidates = entries.filter((e) => e.protocol === protocol && e.version === version).sort((a, b) => b.created - a.created);
      const exact = candidates.find((e) => e.key === keys[0]);
      const found = exact ?? keys.slice(1).map((prefix) => candidates.find((e) => e.key.startsWith(prefix))).find((e) => e !== undefined);
      if (found === undefined) return { hit: false };
      return { hit: true, key: found.key, version: found.version, size: found.size, digest: found.digest, url: await presign("GET", blobKey(found.digest)) };
    },
    async reserve({ protocol, key, version, digest, size }): Promise<ReserveResponse> {
      calls.reserve++;
      if (options.refuseWrites !== undefined) return { upload: false, refused: options.refuseWrites };
      const uploadToken = randomUUID();
      if (await exists(blobKey(digest))) {
        reservations.set(uploadToken, { protocol, key, version, digest, size });
        return { upload: false, uploadToken };
      }
      // Uploaded straight to the blob's key, deleted again if the bytes do not hash to the digest.
      const created = await s3.client.send(new CreateMultipartUploadCommand({ Bucket: s3.bucket, Key: blobKey(digest) }));
      const uploadId = created.UploadId!;
      reservations.set(uploadToken, { protocol, key, version, digest, size, uploadId });
      const parts = Math.max(1, Math.ceil(size / partSize));
      const partUrls = await Promise.all(Array.from({ length: parts }, (_, i) => presign("PUT", blobKey(digest), { partNumber: String(i + 1), uploadId })));
      return { upload: true, uploadToken, partSize, partUrls };
    },
    async commit({ uploadToken, partETags }) {
      calls.commit++;
      const reservation = reservations.get(uploadToken);
      if (reservation === undefined) return { committed: false, reason: "unknown upload token" };
      reservations.delete(uploadToken);
      if (reservation.uploadId !== undefined) {
        const key = blobKey(reservation.digest);
        await s3.client.send(
          new CompleteMultipartUploadCommand({ Bucket: s3.bucket, Key: key, UploadId: reservation.uploadId, MultipartUpload: { Parts: partETags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }),
        );
        // The function recomputes the digest from S3 before any entry names it.
        if ((await digestOf(key)) !== reservation.digest) {
          await s3.client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: key }));
          return { committed: false, reason: "uploaded bytes do not match the digest" };
        }
      }
      const { uploadId: _, ...entry } = reservation;
      entries.push({ ...entry, created: ++clock });
      return { committed: true };
    },
  };
}
