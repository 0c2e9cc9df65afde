import { SelfRunnersError } from "../shared/index.js";

/** Root of the runner binaries syncer's errors: each fails the invocation, so the schedule and the apply see it. */
export class RunnerBinariesSyncError extends SelfRunnersError {}

/** The requested version or the release GitHub answered must not be synced (too old, incomplete, no checksum). */
export class RunnerReleaseRefusedError extends RunnerBinariesSyncError {
  constructor(readonly reason: string) {
    super(`runner release refused: ${reason}`);
  }
}

/** A downloaded archive does not hash to what GitHub publishes; nothing of the release is written. */
export class RunnerChecksumMismatchError extends RunnerBinariesSyncError {
  constructor(
    readonly asset: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${asset}: SHA-256 ${actual} differs from the published ${expected}`);
  }
}
