import { createReadStream } from "node:fs";
import { drain, readText, send } from "../http.js";
import { mapBounded } from "./pool.js";
import { TransferError, withRetries } from "./retry.js";
import type { Spool } from "./spool.js";

/**
 * PUTs each part of the spooled file to its presigned URL, `concurrency` at a time, each part streamed from
 * its file range (and streamed again on a retry). Returns the parts' ETags in order (what `commit`
 * completes the multipart upload with).
 */
export async function uploadParts(file: Spool, partSize: number, partUrls: readonly string[], concurrency: number, onRequest: () => void = () => {}): Promise<string[]> {
  const expectedParts = Math.ceil(file.size / partSize);
  // An empty blob may come as one empty part or none.
  if (partUrls.length !== expectedParts && !(file.size === 0 && partUrls.length === 1)) throw new TransferError(`the function handed out ${partUrls.length} part URLs for ${expectedParts} parts of ${partSize} bytes`);
  return mapBounded(partUrls.length, concurrency, (index) =>
    withRetries(async () => {
      const start = index * partSize;
      const length = Math.max(0, Math.min(partSize, file.size - start));
      onRequest();
      const body = length === 0 ? Buffer.alloc(0) : createReadStream(file.path, { start, end: start + length - 1 });
      const response = await send(partUrls[index]!, { method: "PUT", headers: { "content-length": length }, body, timeoutMs: 300_000 });
      if (response.statusCode !== 200) throw new TransferError(`part ${index + 1} answered ${response.statusCode}: ${(await readText(response)).slice(0, 200)}`, response.statusCode);
      await drain(response);
      const etag = response.headers.etag;
      if (etag === undefined) throw new TransferError(`part ${index + 1} answered no ETag`, response.statusCode);
      return etag;
    }),
  );
}
