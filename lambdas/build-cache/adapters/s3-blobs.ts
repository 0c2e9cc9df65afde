/** The blob store on S3: staged multipart uploads, verification by streaming, server-side copy. */
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import type { BlobStore } from "../ports.js";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";

/** S3's answers to a completion with wrong parts: the agent's fault, not ours. */
const REFUSED_PARTS = new Set(["InvalidPart", "InvalidPartOrder", "EntityTooSmall", "NoSuchUpload"]);

export function s3BlobStore(client: S3Client, bucket: string): BlobStore {
  return {
    async startUpload(key) {
      const answer = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      if (answer.UploadId === undefined) throw new Error("S3 returned no upload id");
      return answer.UploadId;
    },
    async partUrls(key, uploadId, count, ttlSeconds) {
      const urls: string[] = [];
      for (let part = 1; part <= count; part += 1) {
        urls.push(await getSignedUrl(client, new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: part }), { expiresIn: ttlSeconds }));
      }
      return urls;
    },
    async completeUpload(key, uploadId, partETags) {
      try {
        await client.send(
          new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: partETags.map((ETag, index) => ({ ETag, PartNumber: index + 1 })) } }),
        );
        return true;
      } catch (error) {
        if (error instanceof S3ServiceException && REFUSED_PARTS.has(error.name)) return false;
        throw error;
      }
    },
    async abortUpload(key, uploadId) {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
    },
    async digestOf(key) {
      let answer;
      try {
        answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      } catch (error) {
        if (error instanceof S3ServiceException && error.name === "NoSuchKey") return undefined;
        throw error;
      }
      const hash = createHash("sha256");
      let size = 0;
      for await (const chunk of answer.Body as Readable) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
      return { sha256: hash.digest("hex"), size };
    },
    async copy(from, to) {
      await client.send(new CopyObjectCommand({ Bucket: bucket, Key: to, CopySource: `${bucket}/${from}` }));
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    async downloadUrl(key, ttlSeconds) {
      return getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: ttlSeconds });
    },
  };
}

/** The client the store needs: checksums only where S3 requires them, so presigned URLs sign no checksum header. */
export function blobStoreClient(): S3Client {
  return new S3Client({ requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED" });
}
