/** S3 answers these for throttling and transient faults (SlowDown, InternalError); worth another try. */
export function isRetryableStatus(status: number | undefined): boolean {
  return status === undefined || status === 429 || status >= 500;
}

/** A failed transfer request, with the HTTP status when there was an answer. */
export class TransferError extends Error {
  override name = "TransferError";
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/**
 * Runs `attempt` up to `attempts` times, backing off 200 ms, 400 ms, ... between tries, while it fails with a
 * retryable status (or none: a reset connection). Hand-written: the SDK's retry strategies wrap SDK
 * commands, and these are plain presigned-URL requests.
 */
export async function withRetries<T>(attempt: () => Promise<T>, attempts = 4, baseDelayMs = 200): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      const status = error instanceof TransferError ? error.status : undefined;
      if (i >= attempts || !isRetryableStatus(status)) throw error;
      await new Promise((resolve) => setTimeout(resolve, baseDelayMs * 2 ** (i - 1)));
    }
  }
}
