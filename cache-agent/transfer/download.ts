import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { readBuffer, readText, send } from "../http.js";
import { TransferError, withRetries } from "./retry.js";

export interface DownloadOptions {
  /** Blobs at least this large are read as parallel ranged GETs. */
  readonly rangedFrom: number;
  readonly rangeSize: number;
  readonly concurrency: number;
  readonly onRequest?: () => void;
  /** Called once S3 has answered, before the first byte is written: where the caller sends its headers. */
  readonly begin?: () => void;
}


/**
 * Streams the blob behind a presigned GET into `out` (a client's response). A small blob is one GET piped
 * through; a large one is read as ranges, `concurrency` in flight, written in order, so at most
 * concurrency x rangeSize bytes are held in memory. Until S3 has answered (`begin`) a failure leaves `out`
 * untouched, so the caller can still answer an error status.
 */
export async function downloadBlob(url: string, size: number, out: Writable, options: DownloadOptions): Promise<void> {
  if (size < options.rangedFrom) {
    // Retried until the first byte only: after that the client has part of the body.
    const response = await withRetries(async () => {
      options.onRequest?.();
      const answer = await send(url, { method: "GET", timeoutMs: 300_000 });
      if (answer.statusCode !== 200) throw new TransferError(`blob GET answered ${answer.statusCode}: ${(await readText(answer)).slice(0, 200)}`, answer.statusCode);
      return answer;
    });
    options.begin?.();
    await pipeline(response, out);
    return;
  }
  const ranges = Math.ceil(size / options.rangeSize);
  const fetchRange = (index: number): Promise<Buffer> =>
    withRetries(async () => {
      const start = index * options.rangeSize;
      const end = Math.min(size, start + options.rangeSize) - 1;
      options.onRequest?.();
      const response = await send(url, { method: "GET", headers: { range: `bytes=${start}-${end}` }, timeoutMs: 300_000 });
      if (response.statusCode !== 206) throw new TransferError(`ranged GET ${start}-${end} answered ${response.statusCode}: ${(await readText(response)).slice(0, 200)}`, response.statusCode);
      const bytes = await readBuffer(response);
      // A short read (connection cut) has no status: retried.
      if (bytes.length !== end - start + 1) throw new TransferError(`ranged GET ${start}-${end} returned ${bytes.length} bytes`);
      return bytes;
    });
  // A sliding window of range requests; each is written as soon as every earlier one has been.
  const inFlight: Promise<Buffer>[] = [];
  let next = 0;
  const refill = () => {
    while (next < ranges && inFlight.length < options.concurrency) {
      const pending = fetchRange(next++);
      pending.catch(() => {}); // awaited in order below; this only keeps a later failure from being unhandled
      inFlight.push(pending);
    }
  };
  refill();
  let begun = false;
  while (inFlight.length > 0) {
    const bytes = await inFlight.shift()!;
    if (!begun) {
      options.begin?.();
      begun = true;
    }
    refill();
    if (!out.write(bytes)) await drained(out);
  }
  await new Promise<void>((resolve, reject) => {
    out.once("error", reject);
    out.end(resolve);
  });
}

/** Waits for `out` to take more bytes; rejects if it fails or closes first (the client went away). */
function drained(out: Writable): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const settle = (error?: Error) => {
      out.off("drain", onDrain);
      out.off("error", onError);
      out.off("close", onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => settle();
    const onError = (error: Error) => settle(error);
    const onClose = () => settle(new TransferError("the client closed the connection", 499));
    out.once("drain", onDrain);
    out.once("error", onError);
    out.once("close", onClose);
  });
}
