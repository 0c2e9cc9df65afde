/**
 * shellcheck for the boot scripts. It is a Debian package (`apt-get install -y shellcheck`; .ci/run
 * installs it); when it is missing the check fails with that instruction rather than skipping.
 */
import { spawnSync } from "node:child_process";

export interface ShellcheckResult {
  readonly status: number | null;
  /** shellcheck's findings (gcc format: `-:line:col: severity: message [SCxxxx]`). */
  readonly output: string;
}

/** Runs shellcheck on a bash script given as text. */
export function shellcheck(script: string): ShellcheckResult {
  const result = spawnSync("shellcheck", ["--shell=bash", "--format=gcc", "-"], { input: script, encoding: "utf8" });
  if (result.error) {
    throw new Error(
      `shellcheck could not run (${result.error.message}): install it with 'apt-get update && apt-get install -y shellcheck' (Debian/Ubuntu) or see https://github.com/koalaman/shellcheck#installing`,
    );
  }
  return { status: result.status, output: result.stdout + result.stderr };
}
