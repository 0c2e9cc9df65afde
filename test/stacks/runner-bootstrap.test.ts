import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderRunnerBootstrap } from "../../stacks/runner-bootstrap.js";
import { REPO_ROOT, scratchDir } from "../helpers/paths.js";
import { shellcheck } from "../helpers/shellcheck.js";

// Runs the real user-data script under bash with the machine-changing commands (shutdown, dnf, aws,
// curl to IMDS, sudo, ...) replaced by stubs on PATH that log their arguments, and the system paths
// (/opt, /var/log, /etc/sudoers.d, /usr/sbin/shutdown) moved into a scratch directory.

const OPTIONS = { tableName: "sr-runners", region: "eu-west-1", runnerVersion: "latest", architecture: "x64", idleTimeoutMinutes: 30, bootTimeoutSeconds: 600 };

interface Run {
  readonly status: number | null;
  readonly calls: string[];
  readonly output: string;
}

function stub(bin: string, name: string, body: string): void {
  writeFileSync(join(bin, name), `#!/bin/bash\necho "${name} $*" >> "$CALLS"\n${body}\n`);
  chmodSync(join(bin, name), 0o755);
}

function runBootstrap(options: { jitAfterPolls: number | null; bootTimeoutSeconds?: number; runnerPreinstalled: boolean }): Run {
  const dir = scratchDir("bootstrap");
  const bin = join(dir, "bin");
  const root = join(dir, "root");
  for (const d of [bin, join(root, "var", "log"), join(root, "etc", "sudoers.d"), join(root, "usr", "sbin")]) mkdirSync(d, { recursive: true });
  const runnerDir = join(root, "opt", "actions-runner");
  const calls = join(dir, "calls.log");
  writeFileSync(calls, "");
  const fakeRunner = `#!/bin/bash\necho "run.sh $* hook=$ACTIONS_RUNNER_HOOK_JOB_STARTED" >> "$CALLS"\n"$ACTIONS_RUNNER_HOOK_JOB_STARTED"\n`;
  if (options.runnerPreinstalled) {
    mkdirSync(runnerDir, { recursive: true });
    writeFileSync(join(runnerDir, "run.sh"), fakeRunner);
    chmodSync(join(runnerDir, "run.sh"), 0o755);
  }
  // The runner tarball the download stub serves: just run.sh.
  const tarSource = join(dir, "tarball");
  mkdirSync(tarSource);
  writeFileSync(join(tarSource, "run.sh"), fakeRunner);
  chmodSync(join(tarSource, "run.sh"), 0o755);
  spawnSync("tar", ["czf", join(dir, "runner.tar.gz"), "-C", tarSource, "run.sh"]);

  stub(bin, "curl", `case "$*" in
  *api/token*) echo TOKEN ;;
  *meta-data/instance-id*) echo i-0abc1234567890def ;;
  *meta-data/services/partition*) echo aws ;;
  *instance-identity/document*) echo '{"accountId": "123456789012", "region": "eu-west-1"}' ;;
  *releases/latest*) echo '{"tag_name": "v2.330.0"}' ;;
  *actions-runner-linux-*) cat "${join(dir, "runner.tar.gz")}" ;;
  *) exit 22 ;;
esac`);
  stub(bin, "aws", `if [ "$2" = get-item ]; then
  n=$(($(cat "$POLLS" 2>/dev/null || echo 0) + 1)); echo $n > "$POLLS"
  if [ -n "$JIT_AFTER" ] && [ "$n" -ge "$JIT_AFTER" ]; then echo ENCODED-JIT; else echo None; fi
fi`);
  for (const name of ["dnf", "systemctl", "useradd", "usermod", "chown", "sleep"]) stub(bin, name, "exit 0");
  stub(bin, "logger", "cat > /dev/null");
  stub(bin, "id", "exit 0");
  stub(bin, "sudo", `[ "$1" = -u ] && shift 2; exec "$@"`);
  stub(bin, "shutdown", "exit 0");
  stub(join(root, "usr", "sbin"), "shutdown", "exit 0");

  const script = renderRunnerBootstrap({ ...OPTIONS, bootTimeoutSeconds: options.bootTimeoutSeconds ?? OPTIONS.bootTimeoutSeconds })
    .replaceAll("/opt/actions-runner", runnerDir)
    .replaceAll("/var/log/", `${root}/var/log/`)
    .replaceAll("/etc/sudoers.d/", `${root}/etc/sudoers.d/`)
    .replaceAll("/usr/sbin/shutdown", join(root, "usr", "sbin", "shutdown"));
  writeFileSync(join(dir, "user-data.sh"), script);
  const result = spawnSync("bash", [join(dir, "user-data.sh")], {
    env: { PATH: `${bin}:/usr/bin:/bin`, CALLS: calls, POLLS: join(dir, "polls"), JIT_AFTER: options.jitAfterPolls === null ? "" : String(options.jitAfterPolls) },
    encoding: "utf8",
    timeout: 60_000,
  });
  // The script sends its own output to its log file (and syslog).
  const log = readFileSync(join(root, "var", "log", "self-runners-bootstrap.log"), "utf8");
  return { status: result.status, calls: readFileSync(calls, "utf8").trim().split("\n"), output: result.stdout + result.stderr + log };
}

describe("runner bootstrap (user data)", () => {
  it("is valid bash", () => {
    const result = spawnSync("bash", ["-n"], { input: renderRunnerBootstrap(OPTIONS), encoding: "utf8" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("passes shellcheck", () => {
    expect(shellcheck(renderRunnerBootstrap(OPTIONS))).toEqual({ status: 0, output: "" });
  });

  it("is the script instances received before it became a template file, byte for byte", () => {
    // Recorded from the TypeScript template literal it replaced: the move changes no instance's user data.
    expect(renderRunnerBootstrap(OPTIONS)).toBe(readFileSync(join(REPO_ROOT, "test", "fixtures", "boot", "runner-bootstrap.sh"), "utf8"));
  });

  it("arms the watchdog, waits for its own config, clears it, runs one job, cancels the watchdog on job start, then shuts down", () => {
    const { status, calls } = runBootstrap({ jitAfterPolls: 3, runnerPreinstalled: true });
    expect(status).toBe(0);
    const key = '{"pk":{"S":"arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc1234567890def"}}';
    const steps = calls.filter((c) => /^(shutdown|aws|run\.sh)/.test(c));
    expect(steps[0]).toBe('shutdown -h +30 self-runners: no job started');
    expect(steps.filter((c) => c.startsWith("aws dynamodb get-item"))).toHaveLength(3);
    expect(steps.find((c) => c.startsWith("aws dynamodb get-item"))).toContain(`--table-name sr-runners --consistent-read --key ${key}`);
    const update = steps.findIndex((c) => c.startsWith("aws dynamodb update-item"));
    const run = steps.findIndex((c) => c.startsWith("run.sh"));
    expect(steps[update]).toContain(`--key ${key} --update-expression REMOVE jitConfig`);
    expect(update).toBeLessThan(run);
    expect(steps[run]).toMatch(/^run\.sh --jitconfig ENCODED-JIT hook=.*job-started\.sh$/);
    expect(steps[run + 1]).toBe("shutdown -c");
    expect(steps.at(-1)).toBe("shutdown -h now");
  });

  it("installs the latest runner release when the AMI has none", () => {
    const { status, calls } = runBootstrap({ jitAfterPolls: 1, runnerPreinstalled: false });
    expect(status).toBe(0);
    expect(calls.some((c) => c.includes("releases/latest"))).toBe(true);
    expect(calls.some((c) => c.includes("download/v2.330.0/actions-runner-linux-x64-2.330.0.tar.gz"))).toBe(true);
    expect(calls.some((c) => c.startsWith("run.sh --jitconfig ENCODED-JIT"))).toBe(true);
  });

  it("fails when no configuration arrives within the boot timeout: no runner starts and the instance shuts down", () => {
    const { status, calls, output } = runBootstrap({ jitAfterPolls: null, bootTimeoutSeconds: 1, runnerPreinstalled: true });
    expect(status).toBe(1);
    expect(output).toContain("no runner configuration after 1 s");
    expect(calls.some((c) => c.startsWith("run.sh"))).toBe(false);
    expect(calls.some((c) => c.startsWith("aws dynamodb update-item"))).toBe(false);
    expect(calls.at(-1)).toBe("shutdown -h now");
  });
});
