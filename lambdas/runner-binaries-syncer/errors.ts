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

/** AWS's download host refused an AWS CLI installer or its signature. */
export class AwsCliDownloadError extends RunnerBinariesSyncError {
  constructor(
    readonly installer: string,
    readonly status: number,
  ) {
    super(`${installer}: the AWS CLI download answered ${status}`);
  }
}

/** An AWS CLI installer's signature is not AWS's: nothing is written, the bucket keeps the last good one. */
export class AwsCliSignatureError extends RunnerBinariesSyncError {
  constructor(
    readonly installer: string,
    readonly reason: string,
  ) {
    super(`${installer}: signature refused (${reason})`);
  }
}
