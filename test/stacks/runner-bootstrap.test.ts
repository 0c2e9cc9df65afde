import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { JIT_ENCRYPTION_CONTEXT_KEY } from "../../contracts/scale-up.js";
import { poolCustomizationKey, type PoolCustomizationDocument } from "../../contracts/pool-customization.js";
import { renderRunnerBootstrap } from "../../stacks/runner-bootstrap.js";
import { REPO_ROOT, scratchDir } from "../helpers/paths.js";
import { shellcheck } from "../helpers/shellcheck.js";

// Runs the real user-data script under bash with the machine-changing commands (shutdown, dnf, aws,
// curl to IMDS, sudo, ...) replaced by stubs on PATH that log their arguments, and the system paths
// (/opt, /var/log, /etc/sudoers.d, /usr/sbin/shutdown) moved into a scratch directory.

const LOG_GROUP = "/self-runners/sr/runners";
const OPTIONS = {
  tableName: "sr-runners",
  region: "eu-west-1",
  binariesBucket: "sr-runner-binaries-123456789012-eu-west-1",
  binariesPrefix: "runner/",
  minimumRunnerVersion: "2.329.0",
  architecture: "x64",
  idleTimeoutMinutes: 30,
  bootTimeoutSeconds: 600,
  pool: "default",
  logGroupName: LOG_GROUP,
  customizationKey: poolCustomizationKey("default"),
};
/** The document of a pool without customization (what the stack writes from the defaults). */
const NO_CUSTOMIZATION: PoolCustomizationDocument = {
  pre_install_script: "",
  post_install_script: "",
  job_started_hook: "",
  job_completed_hook: "",
  extra_packages: [],
  job_environment: {},
  use_instance_store: false,
};
// EC2's limit on user data (before base64).
const USER_DATA_LIMIT_BYTES = 16 * 1024;

interface Run {
  readonly status: number | null;
  readonly calls: string[];
  readonly output: string;
  /** The JSON lines of the marks file. */
  readonly marks: Array<Record<string, unknown>>;
  /** The CloudWatch agent configurations the script wrote, by name. */
  readonly agentConfigs: Record<string, unknown>;
  /** Where the runner was installed (the scratch copy of /opt/actions-runner). */
  readonly runnerDir: string;
}

interface BootOptions {
  readonly jitAfterPolls: number | null;
  readonly bootTimeoutSeconds?: number;
  readonly runnerPreinstalled: boolean;
  /** Whether `dnf install amazon-cloudwatch-agent` works (default true). */
  readonly agentPackage?: boolean;
  /** Log group name; "" turns runner logs off (default LOG_GROUP). */
  readonly logGroupName?: string;
  /** Whether the runner prints its "Listening for Jobs" line (default true). */
  readonly registers?: boolean;
  /**
   * The item holds the configuration sealed with KMS (`kms:<base64 ciphertext>`); the `aws kms decrypt`
   * stub opens it only with this instance's ARN as encryption context, unless `opens` is false.
   */
  readonly sealed?: { readonly opens: boolean };
  /** Version the baked runner's Runner.Listener reports (default 2.330.0). */
  readonly bakedVersion?: string;
  /** SHA-256 the resolved-version document announces (default: the served archive's). */
  readonly announcedSha256?: string;
  /** The pool's customization document (default: none); null: the bucket has none. */
  readonly customization?: Partial<PoolCustomizationDocument> | null;
}

/** An `aws s3 cp` of the runner (resolved version or archive), not of the pool's customization document. */
function isRunnerDownload(call: string): boolean {
  return call.startsWith("aws s3 cp") && !call.includes(OPTIONS.customizationKey);
}

function stub(bin: string, name: string, body: string): void {
  writeFileSync(join(bin, name), `#!/bin/bash\necho "${name} $*" >> "$CALLS"\n${body}\n`);
  chmodSync(join(bin, name), 0o755);
}

function runBootstrap(options: BootOptions): Run {
  const dir = scratchDir("bootstrap");
  const bin = join(dir, "bin");
  const root = join(dir, "root");
  for (const d of [bin, join(root, "var", "log"), join(root, "etc", "sudoers.d"), join(root, "usr", "sbin")]) mkdirSync(d, { recursive: true });
  const runnerDir = join(root, "opt", "actions-runner");
  const calls = join(dir, "calls.log");
  writeFileSync(calls, "");
  const fakeRunner = [
    "#!/bin/bash",
    'echo "run.sh $* hook=$ACTIONS_RUNNER_HOOK_JOB_STARTED" >> "$CALLS"',
    'if [ "$REGISTERS" = 1 ]; then echo "√ Connected to GitHub"; echo "Listening for Jobs"; else echo "Runner registration failed"; exit 1; fi',
    '"$ACTIONS_RUNNER_HOOK_JOB_STARTED"',
    '"$ACTIONS_RUNNER_HOOK_JOB_COMPLETED"',
    "",
  ].join("\n");
  const listener = (version: string) => `#!/bin/bash\n[ "$1" = --version ] && echo ${version}\n`;
  if (options.runnerPreinstalled) {
    mkdirSync(join(runnerDir, "bin"), { recursive: true });
    writeFileSync(join(runnerDir, "run.sh"), fakeRunner);
    writeFileSync(join(runnerDir, "bin", "Runner.Listener"), listener(options.bakedVersion ?? "2.330.0"));
    chmodSync(join(runnerDir, "run.sh"), 0o755);
    chmodSync(join(runnerDir, "bin", "Runner.Listener"), 0o755);
  }
  // The runner archive the bucket holds: run.sh and the listener, announced with its SHA-256.
  const tarSource = join(dir, "tarball");
  mkdirSync(join(tarSource, "bin"), { recursive: true });
  writeFileSync(join(tarSource, "run.sh"), fakeRunner);
  writeFileSync(join(tarSource, "bin", "Runner.Listener"), listener("2.331.0"));
  chmodSync(join(tarSource, "run.sh"), 0o755);
  chmodSync(join(tarSource, "bin", "Runner.Listener"), 0o755);
  spawnSync("tar", ["czf", join(dir, "runner.tar.gz"), "-C", tarSource, "run.sh", "bin"]);
  const archiveKey = "runner/v2.331.0/actions-runner-linux-x64-2.331.0.tar.gz";
  const sha = options.announcedSha256 ?? createHash("sha256").update(readFileSync(join(dir, "runner.tar.gz"))).digest("hex");
  writeFileSync(join(dir, "resolved-version.json"), JSON.stringify({ version: "2.331.0", assets: { "linux-x64": { key: archiveKey, sha256: sha, size: 1 } } }));

  stub(bin, "curl", `case "$*" in
  *api/token*) echo TOKEN ;;
  *meta-data/instance-id*) echo i-0abc1234567890def ;;
  *meta-data/services/partition*) echo aws ;;
  *instance-identity/document*) echo '{"accountId": "123456789012", "region": "eu-west-1"}' ;;
  *) exit 22 ;;
esac`);
  if (options.customization !== null) writeFileSync(join(dir, "customization.json"), JSON.stringify({ ...NO_CUSTOMIZATION, ...options.customization }));

  stub(bin, "aws", `if [ "$1 $2" = "s3 cp" ] && [ "$6" = s3://${OPTIONS.binariesBucket}/runner/resolved-version.json ]; then cat "${join(dir, "resolved-version.json")}"
elif [ "$1 $2" = "s3 cp" ] && [ "$6" = s3://${OPTIONS.binariesBucket}/${OPTIONS.customizationKey} ] && [ -f "${join(dir, "customization.json")}" ]; then cat "${join(dir, "customization.json")}"
elif [ "$1 $2" = "s3 cp" ] && [ "$6" = s3://${OPTIONS.binariesBucket}/${archiveKey} ]; then cp "${join(dir, "runner.tar.gz")}" "$7"
elif [ "$1 $2" = "s3 cp" ]; then exit 1
elif [ "$2" = get-item ] && [[ "$*" == *"Item.jobKey.S"* ]]; then echo "job#4242#1"
elif [ "$2" = get-item ]; then
  n=$(($(cat "$POLLS" 2>/dev/null || echo 0) + 1)); echo $n > "$POLLS"
  if [ -n "$JIT_AFTER" ] && [ "$n" -ge "$JIT_AFTER" ]; then echo "$STORED_JIT"; else echo None; fi
elif [ "$1" = kms ] && [ "$2" = decrypt ]; then
  blob=$(echo "$*" | sed -n 's|.*fileb://||p' | cut -d' ' -f1)
  if [ "$KMS_OPENS" = 1 ] && [ "$(cat "$blob")" = CIPHERTEXT ] && [[ "$*" == *"--encryption-context $KMS_CONTEXT "* ]]; then echo ENCODED-JIT
  else echo "An error occurred (AccessDeniedException) when calling the Decrypt operation" >&2; exit 254; fi
fi`);
  stub(bin, "dnf", `if [[ "$*" == *amazon-cloudwatch-agent* ]] && [ "$AGENT_PACKAGE" != 1 ]; then echo "No match for argument: amazon-cloudwatch-agent"; exit 1; fi
if [[ "$*" == *no-such-package* ]]; then echo "No match for argument: no-such-package"; exit 1; fi`);
  // What the agent package installs: its control script (logged like the other stubs).
  const agentDir = join(root, "opt", "aws", "amazon-cloudwatch-agent");
  mkdirSync(join(agentDir, "bin"), { recursive: true });
  if (options.agentPackage ?? true) stub(join(agentDir, "bin"), "amazon-cloudwatch-agent-ctl", "exit 0");
  for (const name of ["systemctl", "useradd", "usermod", "chown", "sleep"]) stub(bin, name, "exit 0");
  stub(bin, "logger", "cat > /dev/null");
  stub(bin, "id", "exit 0");
  stub(bin, "sudo", `[ "$1" = -u ] && shift 2; exec "$@"`);
  stub(bin, "shutdown", "exit 0");
  stub(join(root, "usr", "sbin"), "shutdown", "exit 0");

  const script = renderRunnerBootstrap({
    ...OPTIONS,
    bootTimeoutSeconds: options.bootTimeoutSeconds ?? OPTIONS.bootTimeoutSeconds,
    logGroupName: options.logGroupName ?? LOG_GROUP,
  })
    .replaceAll("/opt/actions-runner", runnerDir)
    .replaceAll("/opt/aws/", `${root}/opt/aws/`)
    .replaceAll("/var/log/", `${root}/var/log/`)
    .replaceAll("/etc/sudoers.d/", `${root}/etc/sudoers.d/`)
    .replaceAll("/usr/sbin/shutdown", join(root, "usr", "sbin", "shutdown"));
  writeFileSync(join(dir, "user-data.sh"), script);
  const result = spawnSync("bash", [join(dir, "user-data.sh")], {
    env: {
      PATH: `${bin}:/usr/bin:/bin`,
      CALLS: calls,
      POLLS: join(dir, "polls"),
      JIT_AFTER: options.jitAfterPolls === null ? "" : String(options.jitAfterPolls),
      AGENT_PACKAGE: options.agentPackage ?? true ? "1" : "0",
      REGISTERS: options.registers ?? true ? "1" : "0",
      STORED_JIT: options.sealed === undefined ? "ENCODED-JIT" : `kms:${Buffer.from("CIPHERTEXT").toString("base64")}`,
      KMS_OPENS: options.sealed?.opens === true ? "1" : "0",
      KMS_CONTEXT: JSON.stringify({ [JIT_ENCRYPTION_CONTEXT_KEY]: "arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc1234567890def" }),
    },
    encoding: "utf8",
    timeout: 60_000,
  });
  // The script sends its own output to its log file (and syslog).
  const log = readFileSync(join(root, "var", "log", "self-runners-bootstrap.log"), "utf8");
  const marksFile = join(root, "var", "log", "self-runners-marks.log");
  const marks = existsSync(marksFile)
    ? readFileSync(marksFile, "utf8")
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as Record<string, unknown>)
    : [];
  const agentConfigs: Record<string, unknown> = {};
  for (const name of ["boot", "diag"]) {
    const file = join(agentDir, "etc", `${name}.json`);
    if (existsSync(file)) agentConfigs[name] = JSON.parse(readFileSync(file, "utf8"));
  }
  return { status: result.status, calls: readFileSync(calls, "utf8").trim().split("\n"), output: result.stdout + result.stderr + log, marks, agentConfigs, runnerDir };
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

  it("is the reviewed script, byte for byte", () => {
    // Any change to what instances receive shows up as a diff of the fixture.
    expect(renderRunnerBootstrap(OPTIONS)).toBe(readFileSync(join(REPO_ROOT, "test", "fixtures", "boot", "runner-bootstrap.sh"), "utf8"));
  });

  it("arms the watchdog, waits for its own config, clears it, runs one job, cancels the watchdog on job start, then shuts down", () => {
    const { status, calls } = runBootstrap({ jitAfterPolls: 3, runnerPreinstalled: true });
    expect(status).toBe(0);
    const key = '{"pk":{"S":"arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc1234567890def"}}';
    const steps = calls.filter((c) => /^(shutdown|aws|run\.sh)/.test(c));
    expect(steps[0]).toBe('shutdown -h +30 self-runners: no job started');
    expect(steps.filter((c) => c.startsWith("aws dynamodb get-item") && c.includes("Item.jitConfig.S"))).toHaveLength(3);
    expect(steps.find((c) => c.startsWith("aws dynamodb get-item"))).toContain(`--table-name sr-runners --consistent-read --key ${key}`);
    const update = steps.findIndex((c) => c.startsWith("aws dynamodb update-item"));
    const run = steps.findIndex((c) => c.startsWith("run.sh"));
    expect(steps[update]).toContain(`--key ${key} --update-expression REMOVE jitConfig`);
    expect(update).toBeLessThan(run);
    expect(steps[run]).toMatch(/^run\.sh --jitconfig ENCODED-JIT hook=.*job-started\.sh$/);
    expect(steps[run + 1]).toBe("shutdown -c");
    expect(steps.at(-1)).toBe("shutdown -h now");
  });

  it("decrypts a sealed configuration with KMS under its own instance ARN, after clearing it, and runs the job with the plaintext", () => {
    const { status, calls } = runBootstrap({ jitAfterPolls: 1, runnerPreinstalled: true, sealed: { opens: true } });
    expect(status).toBe(0);
    const steps = calls.filter((c) => /^(aws|run\.sh)/.test(c));
    const update = steps.findIndex((c) => c.startsWith("aws dynamodb update-item"));
    const decrypt = steps.findIndex((c) => c.startsWith("aws kms decrypt"));
    expect(steps[decrypt]).toContain('--encryption-context {"instance-arn":"arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc1234567890def"} --query Plaintext --output text');
    expect(update).toBeLessThan(decrypt);
    expect(steps.find((c) => c.startsWith("run.sh"))).toMatch(/^run\.sh --jitconfig ENCODED-JIT hook=/);
  });

  it("starts no runner when KMS refuses to decrypt the sealed configuration, and marks the registration failed", () => {
    const { status, calls, output, marks } = runBootstrap({ jitAfterPolls: 1, runnerPreinstalled: true, sealed: { opens: false } });
    expect(status).toBe(1);
    expect(output).toContain("the runner configuration could not be decrypted");
    expect(marks).toContainEqual(expect.objectContaining({ event: "registration_failed", reason: "runner configuration not decrypted" }));
    expect(calls.some((c) => c.startsWith("run.sh"))).toBe(false);
    expect(calls.at(-1)).toBe("shutdown -h now");
  });

  it("installs the synced runner from the bucket when the AMI has none, checked against its SHA-256, without calling GitHub", () => {
    const { status, calls } = runBootstrap({ jitAfterPolls: 1, runnerPreinstalled: false });
    expect(status).toBe(0);
    expect(calls.filter((c) => isRunnerDownload(c))).toEqual([
      `aws s3 cp --region eu-west-1 --only-show-errors s3://${OPTIONS.binariesBucket}/runner/resolved-version.json -`,
      expect.stringMatching(new RegExp(`^aws s3 cp --region eu-west-1 --only-show-errors s3://${OPTIONS.binariesBucket}/runner/v2\\.331\\.0/actions-runner-linux-x64-2\\.331\\.0\\.tar\\.gz `)),
    ]);
    expect(calls.filter((c) => c.startsWith("curl") && c.includes("github"))).toEqual([]);
    expect(calls.some((c) => c.startsWith("run.sh --jitconfig ENCODED-JIT"))).toBe(true);
  });

  it("keeps a runner baked into the AMI at or above the minimum version: nothing downloaded", () => {
    const { status, calls } = runBootstrap({ jitAfterPolls: 1, runnerPreinstalled: true, bakedVersion: "2.329.0" });
    expect(status).toBe(0);
    expect(calls.some((c) => isRunnerDownload(c))).toBe(false);
    expect(calls.some((c) => c.startsWith("run.sh --jitconfig ENCODED-JIT"))).toBe(true);
  });

  it("replaces a baked runner older than GitHub's minimum with the synced one", () => {
    const { status, calls } = runBootstrap({ jitAfterPolls: 1, runnerPreinstalled: true, bakedVersion: "2.328.9" });
    expect(status).toBe(0);
    expect(calls.filter((c) => isRunnerDownload(c))).toHaveLength(2);
    expect(calls.some((c) => c.startsWith("run.sh --jitconfig ENCODED-JIT"))).toBe(true);
  });

  it("fails when the archive does not match its SHA-256: no runner starts, no configuration is consumed, the instance shuts down", () => {
    const { status, calls, output, marks } = runBootstrap({ jitAfterPolls: 1, runnerPreinstalled: false, announcedSha256: "0".repeat(64) });
    expect(status).toBe(1);
    expect(output).toContain(`does not match its SHA-256 ${"0".repeat(64)}`);
    expect(calls.some((c) => c.startsWith("run.sh"))).toBe(false);
    expect(calls.some((c) => c.startsWith("aws dynamodb"))).toBe(false);
    expect(marks).toEqual([{ service: "runner", pool: "default", event: "registration_failed", reason: "runner archive checksum mismatch", instance_id: "i-0abc1234567890def" }]);
    expect(calls.at(-1)).toBe("shutdown -h now");
  });

  it("fails when no configuration arrives within the boot timeout: no runner starts and the instance shuts down", () => {
    const { status, calls, output } = runBootstrap({ jitAfterPolls: null, bootTimeoutSeconds: 1, runnerPreinstalled: true });
    expect(status).toBe(1);
    expect(output).toContain("no runner configuration after 1 s");
    expect(calls.some((c) => c.startsWith("run.sh"))).toBe(false);
    expect(calls.some((c) => c.startsWith("aws dynamodb update-item"))).toBe(false);
    expect(calls.at(-1)).toBe("shutdown -h now");
  });

  it("fits EC2's 16 KB user data limit", () => {
    expect(Buffer.byteLength(renderRunnerBootstrap(OPTIONS))).toBeLessThan(USER_DATA_LIMIT_BYTES);
  });

  it("starts the CloudWatch agent before the runner: bootstrap log and marks at once, the job's _diag logs once the job is known", () => {
    const { status, calls, agentConfigs } = runBootstrap({ jitAfterPolls: 1, runnerPreinstalled: true });
    expect(status).toBe(0);
    const agent = calls.filter((c) => c.startsWith("amazon-cloudwatch-agent-ctl"));
    expect(agent.map((c) => c.split(" ").slice(1, 6).join(" "))).toEqual(["-a fetch-config -m ec2 -s", "-a append-config -m ec2 -s"]);
    expect(calls.findIndex((c) => c.startsWith("amazon-cloudwatch-agent-ctl -a append-config"))).toBeLessThan(calls.findIndex((c) => c.startsWith("run.sh")));
    const streams = (name: string): unknown =>
      (agentConfigs[name] as { logs: { logs_collected: { files: { collect_list: Array<Record<string, string>> } } } }).logs.logs_collected.files.collect_list.map(
        (entry) => [entry.file_path?.replace(/^.*\/(var\/log|actions-runner)\//, ""), entry.log_group_name, entry.log_stream_name],
      );
    expect(streams("boot")).toEqual([
      ["self-runners-bootstrap.log", LOG_GROUP, "{instance_id}/bootstrap.log"],
      ["self-runners-marks.log", LOG_GROUP, "{instance_id}/marks"],
    ]);
    expect(streams("diag")).toEqual([["_diag/*.log", LOG_GROUP, "{instance_id}/job-4242/runner-diag"]]);
  });

  it("writes the marks the metric filters read: registered (with boot seconds), job started, job completed", () => {
    const { status, marks } = runBootstrap({ jitAfterPolls: 1, runnerPreinstalled: true });
    expect(status).toBe(0);
    // "registered" is written by the watcher of the runner's output, concurrently with the job hooks: its place varies.
    expect(marks.map((m) => m.event).sort()).toEqual(["job_completed", "job_started", "registered"]);
    expect(marks.filter((m) => m.event !== "registered").map((m) => m.event)).toEqual(["job_started", "job_completed"]);
    for (const mark of marks) expect(mark).toMatchObject({ service: "runner", pool: "default", instance_id: "i-0abc1234567890def", job_id: "4242" });
    expect(marks.find((m) => m.event === "registered")?.boot_seconds).toEqual(expect.any(Number));
  });

  it("still starts the runner when the agent's package is missing, and says so", () => {
    const { status, calls, output, marks } = runBootstrap({ jitAfterPolls: 1, runnerPreinstalled: true, agentPackage: false });
    expect(status).toBe(0);
    expect(output).toContain("runner logs: CloudWatch agent not started, the runner goes on without it");
    expect(calls.some((c) => c.startsWith("amazon-cloudwatch-agent-ctl"))).toBe(false);
    expect(calls.some((c) => c.startsWith("run.sh --jitconfig ENCODED-JIT"))).toBe(true);
    // "registered" is written by the watcher of the runner's output, concurrently with the job hooks: its place varies.
    expect(marks.map((m) => m.event).sort()).toEqual(["job_completed", "job_started", "registered"]);
    expect(marks.filter((m) => m.event !== "registered").map((m) => m.event)).toEqual(["job_started", "job_completed"]);
  });

  it("installs no agent when runner logs are off", () => {
    const { status, calls } = runBootstrap({ jitAfterPolls: 1, runnerPreinstalled: true, logGroupName: "" });
    expect(status).toBe(0);
    expect(calls.some((c) => c.includes("amazon-cloudwatch-agent"))).toBe(false);
    expect(calls.some((c) => c.startsWith("run.sh --jitconfig ENCODED-JIT"))).toBe(true);
  });

  it("marks a registration failure when no configuration arrives, and when the runner exits unregistered", () => {
    const timedOut = runBootstrap({ jitAfterPolls: null, bootTimeoutSeconds: 1, runnerPreinstalled: true });
    expect(timedOut.marks).toEqual([{ service: "runner", pool: "default", event: "registration_failed", reason: "no runner configuration", instance_id: "i-0abc1234567890def" }]);
    const refused = runBootstrap({ jitAfterPolls: 1, runnerPreinstalled: true, registers: false });
    expect(refused.marks).toEqual([
      { service: "runner", pool: "default", event: "registration_failed", reason: "runner exited unregistered", instance_id: "i-0abc1234567890def", job_id: "4242" },
    ]);
    expect(refused.calls.at(-1)).toBe("shutdown -h now");
  });
});

describe("runner bootstrap: the pool's customization (docs/runner-customization.md)", () => {
  it("runs the pre-install script before the kit's packages, the extra packages after them, and the post-install script before the config poll", () => {
    // Act
    const { status, calls } = runBootstrap({
      jitAfterPolls: 1,
      runnerPreinstalled: true,
      customization: {
        pre_install_script: 'echo "pre-install" >> "$CALLS"',
        post_install_script: 'echo "post-install" >> "$CALLS"',
        extra_packages: ["git-lfs", "python3.12"],
      },
    });

    // Assert
    expect(status).toBe(0);
    const order = calls.filter((c) => /^(pre-install|post-install|dnf install -y -q (libicu|git-lfs)|aws dynamodb get-item)/.test(c)).map((c) => c.split(" ").slice(0, 5).join(" "));
    expect(order.slice(0, 4)).toEqual(["pre-install", "dnf install -y -q libicu", "dnf install -y -q git-lfs", "post-install"]);
    expect(order[4]).toMatch(/^aws dynamodb get-item/);
    expect(calls).toContain("dnf install -y -q git-lfs python3.12");
  });

  it("hands the kit's job hooks over to the pool's, after the kit's marks, and writes the job environment to the runner's .env", () => {
    // Act
    const { status, calls, marks, runnerDir } = runBootstrap({
      jitAfterPolls: 1,
      runnerPreinstalled: true,
      customization: {
        job_started_hook: 'echo "pool-started $SR_MARKS" >> "$CALLS"',
        job_completed_hook: 'echo "pool-completed" >> "$CALLS"',
        job_environment: { PIP_INDEX_URL: "https://pypi.internal/simple", TZ: "UTC" },
      },
    });

    // Assert
    expect(status).toBe(0);
    expect(calls.filter((c) => c.startsWith("pool-"))).toEqual([expect.stringMatching(/^pool-started \S+self-runners-marks\.log$/), "pool-completed"]);
    // The fake runner runs both hooks at once, so the registered mark may come before or after them.
    expect(marks.map((m) => m.event).sort()).toEqual(["job_completed", "job_started", "registered"]);
    expect(readFileSync(join(runnerDir, ".env"), "utf8")).toBe("PIP_INDEX_URL=https://pypi.internal/simple\nTZ=UTC\n");
  });

  it("fails when the pre-install script fails: no runner starts, the registration failure is marked, the instance shuts down", () => {
    const { status, calls, marks } = runBootstrap({ jitAfterPolls: 1, runnerPreinstalled: true, customization: { pre_install_script: "exit 3" } });
    expect(status).not.toBe(0);
    expect(calls.some((c) => c.startsWith("run.sh"))).toBe(false);
    expect(marks).toEqual([expect.objectContaining({ event: "registration_failed", reason: "pre_install_script failed" })]);
    expect(calls.at(-1)).toBe("shutdown -h now");
  });

  it("fails when an extra package cannot be installed, and when the pool's document is missing", () => {
    const missing = runBootstrap({ jitAfterPolls: 1, runnerPreinstalled: true, customization: null });
    expect(missing.marks).toEqual([expect.objectContaining({ event: "registration_failed", reason: "pool customization not readable" })]);
    const noPackage = runBootstrap({ jitAfterPolls: 1, runnerPreinstalled: true, customization: { extra_packages: ["no-such-package"] } });
    expect(noPackage.marks).toEqual([expect.objectContaining({ event: "registration_failed", reason: "extra_packages not installed" })]);
    expect(noPackage.calls.some((c) => c.startsWith("run.sh"))).toBe(false);
  });

  it("runs no customization step for a pool without customization: no pool hooks, an empty .env", () => {
    const { status, runnerDir } = runBootstrap({ jitAfterPolls: 1, runnerPreinstalled: true });
    expect(status).toBe(0);
    expect(readFileSync(join(runnerDir, "pool-job-started.sh"), "utf8")).toBe("");
    expect(readFileSync(join(runnerDir, ".env"), "utf8")).toBe("");
  });
});
