/** Exit codes: 0 done, 1 the deployment or AWS refused (message printed), 2 the command line is wrong. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A failure the operator can act on (unreadable outputs, AWS error); exits 1 with its message. */
export class CliError extends Error {
  override readonly name: string = "CliError";
}

/** The command line is wrong (unknown command or option, bad value); exits 2 with the usage text. */
export class UsageError extends CliError {
  override readonly name = "UsageError";
}
