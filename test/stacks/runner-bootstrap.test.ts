import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LINUX_DISTRIBUTIONS } from "../../stacks/pools-os.js";
import { renderRunnerBootstrap } from "../../stacks/runner-bootstrap.js";
import { BOOT_OPTIONS as OPTIONS, LOG_GROUP, USER_DATA_LIMIT_BYTES, runBootstrap as boot, type BootOptions } from "../helpers/runner-boot.js";
import { REPO_ROOT } from "../helpers/paths.js";
import { shellcheck } from "../helpers/shellcheck.js";

// One contract, every Linux bootstrap: the same steps, marks and failures for Amazon Linux 2023 and
// Ubuntu 22.04/24.04, run under bash with stubbed system commands (test/helpers/runner-boot.ts).
// What differs (apt, the AWS CLI when the AMI has none) is in runner-bootstrap-ubuntu.test.ts.

/** The reviewed script of each bootstrap (Ubuntu 22.04 and 24.04 share one). */
const FIXTURES = { al2023: "runner-bootstrap.sh", ubuntu: "runner-bootstrap-ubuntu.sh" } as const;

describe.each([LINUX_DISTRIBUTIONS[0], LINUX_DISTRIBUTIONS[2]])("runner bootstrap (user data) on %s", (host) => {
  const runBootstrap = (options: BootOptions) => boot({ ...options, host });
  const render = () => renderRunnerBootstrap(OPTIONS, host);
  it("is valid bash", () => {
    const result = spawnSync("bash", ["-n"], { input: render(), encoding: "utf8" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("passes shellcheck", () => {
    expect(shellcheck(render())).toEqual({ status: 0, output: "" });
  });

  it("is the reviewed script, byte for byte", () => {
    // Any change to what instances receive shows up as a diff of the fixture.
    expect(render()).toBe(readFileSync(join(REPO_ROOT, "test", "fixtures", "boot", FIXTURES[host === "al2023" ? "al2023" : "ubuntu"]), "utf8"));
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
    expect(calls.filter((c) => c.startsWith("aws s3 cp"))).toEqual([
      `aws s3 cp --region eu-west-1 --only-show-errors s3://${OPTIONS.binariesBucket}/runner/resolved-version.json -`,
      expect.stringMatching(new RegExp(`^aws s3 cp --region eu-west-1 --only-show-errors s3://${OPTIONS.binariesBucket}/runner/v2\\.331\\.0/actions-runner-linux-x64-2\\.331\\.0\\.tar\\.gz `)),
    ]);
    expect(calls.filter((c) => c.startsWith("curl") && c.includes("github"))).toEqual([]);
    expect(calls.some((c) => c.startsWith("run.sh --jitconfig ENCODED-JIT"))).toBe(true);
  });

  it("keeps a runner baked into the AMI at or above the minimum version: nothing downloaded", () => {
    const { status, calls } = runBootstrap({ jitAfterPolls: 1, runnerPreinstalled: true, bakedVersion: "2.329.0" });
    expect(status).toBe(0);
    expect(calls.some((c) => c.startsWith("aws s3"))).toBe(false);
    expect(calls.some((c) => c.startsWith("run.sh --jitconfig ENCODED-JIT"))).toBe(true);
  });

  it("replaces a baked runner older than GitHub's minimum with the synced one", () => {
    const { status, calls } = runBootstrap({ jitAfterPolls: 1, runnerPreinstalled: true, bakedVersion: "2.328.9" });
    expect(status).toBe(0);
    expect(calls.filter((c) => c.startsWith("aws s3 cp"))).toHaveLength(2);
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
    expect(Buffer.byteLength(render())).toBeLessThan(USER_DATA_LIMIT_BYTES);
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
