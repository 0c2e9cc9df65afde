import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { scratchDir } from "./paths.js";

// The pieces of a stubbed machine (test/helpers/runner-boot.ts) that do not depend on one boot's options.

/** Writes an executable file. */
export function executable(path: string, text: string): void {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

/**
 * A stub on PATH that logs its command line to $CALLS, then runs `body`. POSIX sh (dash where /bin/sh is
 * dash: about half of bash's start-up CPU); printf, not echo, logs (dash's echo reads backslashes as escapes).
 */
export function stub(bin: string, name: string, body: string): void {
  executable(join(bin, name), `#!/bin/sh\nprintf '%s\\n' "${name} $*" >> "$CALLS"\n${body}\n`);
}

const found = new Map<string, string>();

/** Where the host keeps a command (the one a script runs with the stubs off PATH); "" when it has none. */
export function hostCommand(name: string): string {
  let path = found.get(name);
  if (path === undefined) {
    path = spawnSync("bash", ["-c", `command -v ${name}`], { env: { PATH: "/usr/bin:/bin" }, encoding: "utf8" }).stdout.trim();
    found.set(name, path);
  }
  return path;
}

/**
 * The machine's clock: `sleep` returns at once but adds its seconds to the file $SLEPT, and `date +%s`
 * answers the host's time plus those seconds, so a loop that sleeps between polls until a deadline polls
 * as often as on an instance (the config poll: once per 3 s) instead of spinning through its whole
 * timeout. Every other `date` is the host's.
 */
export function installMachineClock(bin: string): void {
  const date = hostCommand("date");
  stub(bin, "sleep", `case "$1" in ""|*[!0-9]*) exit 0 ;; esac
slept=0; [ -f "$SLEPT" ] && read -r slept < "$SLEPT"; echo $((slept + $1)) > "$SLEPT"`);
  executable(join(bin, "date"), `#!/bin/sh
if [ "$*" = +%s ]; then slept=0; [ -f "$SLEPT" ] && read -r slept < "$SLEPT"; echo $(($("${date}" +%s) + slept)); else exec "${date}" "$@"; fi
`);
}

const FAKE_RUNNER = [
  "#!/bin/sh",
  'printf "%s\\n" "run.sh $* hook=$ACTIONS_RUNNER_HOOK_JOB_STARTED" >> "$CALLS"',
  'if [ "$REGISTERS" = 1 ]; then echo "√ Connected to GitHub"; echo "Listening for Jobs"; else echo "Runner registration failed"; exit 1; fi',
  '"$ACTIONS_RUNNER_HOOK_JOB_STARTED"',
  '"$ACTIONS_RUNNER_HOOK_JOB_COMPLETED"',
  "",
].join("\n");

/** A runner in `target`: run.sh, a Runner.Listener reporting `version`, installdependencies.sh and its Node. */
export function installFakeRunner(target: string, version: string): void {
  mkdirSync(join(target, "bin"), { recursive: true });
  executable(join(target, "run.sh"), FAKE_RUNNER);
  executable(join(target, "bin", "Runner.Listener"), `#!/bin/sh\n[ "$1" = --version ] && echo ${version}\n`);
  executable(join(target, "bin", "installdependencies.sh"), '#!/bin/sh\necho "installdependencies.sh" >> "$CALLS"\n');
  // The runner's own Node (the build cache agent runs on it): the test's Node, each call logged.
  mkdirSync(join(target, "externals", "node20", "bin"), { recursive: true });
  executable(join(target, "externals", "node20", "bin", "node"), `#!/bin/sh\nprintf '%s\\n' "node $*" >> "$CALLS"\nexec "${process.execPath}" "$@"\n`);
}

/** The version of the runner archive the bucket holds. */
export const ARCHIVE_VERSION = "2.331.0";
let archive: { readonly path: string; readonly sha256: string } | undefined;

/** The runner archive the bucket holds (the same for every machine: built once a process, never changed). */
export function runnerArchive(): { readonly path: string; readonly sha256: string } {
  if (archive !== undefined) return archive;
  const dir = scratchDir("runner-archive");
  const source = join(dir, "tarball");
  installFakeRunner(source, ARCHIVE_VERSION);
  const path = join(dir, "runner.tar.gz");
  const tar = spawnSync("tar", ["czf", path, "-C", source, "run.sh", "bin", "externals"]);
  if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
  archive = { path, sha256: createHash("sha256").update(readFileSync(path)).digest("hex") };
  return archive;
}
