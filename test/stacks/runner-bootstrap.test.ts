import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BUILD_CACHE_PROTOCOLS, CACHE_AGENT_OBJECT_KEY } from "../../contracts/build-cache.js";
import { ACTIONS_REDIRECT_OBJECT_KEY, BAZELRC_LINE, GRADLE_INIT_SCRIPT, cacheBootstrapSettings } from "../../stacks/build-cache/cache-clients.js";
import { LINUX_DISTRIBUTIONS } from "../../stacks/pools-os.js";
import { renderRunnerBootstrap } from "../../stacks/runner-bootstrap.js";
import { BOOT_OPTIONS as OPTIONS, LOG_GROUP, USER_DATA_LIMIT_BYTES, isRunnerDownload, runBootstrap as boot, type BootOptions, type Run } from "../helpers/runner-boot.js";
import { REPO_ROOT } from "../helpers/paths.js";
import { shellcheck } from "../helpers/shellcheck.js";

// One contract, every Linux bootstrap: the same steps, marks and failures for Amazon Linux 2023 and
// Ubuntu 22.04/24.04, run under bash with stubbed system commands (test/helpers/runner-boot.ts).
// What differs (apt, the AWS CLI when the AMI has none) is in runner-bootstrap-ubuntu.test.ts.

/** The reviewed script of each bootstrap (Ubuntu 22.04 and 24.04 share one). */
const FIXTURES = { al2023: "runner-bootstrap.sh", ubuntu: "runner-bootstrap-ubuntu.sh" } as const;
/** How each bootstrap's package manager installs (the stubs log the command line). */
const INSTALL = { al2023: "dnf install -y -q", ubuntu: "apt-get -q -y -o DPkg::Lock::Timeout=300 install" } as const;
/** The first of the kit's own packages in its package step. */
const KIT_PACKAGE = { al2023: "libicu", ubuntu: "docker.io" } as const;

describe.each([LINUX_DISTRIBUTIONS[0], LINUX_DISTRIBUTIONS[2]])("runner bootstrap (user data) on %s", (host) => {
  // Tests that boot with the same options read the same boot (its machine and log, never changed by a test).
  const boots = new Map<string, Run>();
  const runBootstrap = (options: BootOptions): Run => {
    const key = JSON.stringify(options);
    const known = boots.get(key);
    if (known !== undefined) return known;
    const run = boot({ ...options, host });
    boots.set(key, run);
    return run;
  };
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
    // One poll, then 3 s of sleep (on the machine's clock) pass the 1-s deadline.
    expect(calls.filter((c) => c.startsWith("aws dynamodb get-item") && c.includes("Item.jitConfig.S"))).toHaveLength(1);
    expect(calls.filter((c) => c.startsWith("sleep"))).toEqual(["sleep 3"]);
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

  describe("the build cache (docs/build-cache.md)", () => {
    const FUNCTION_URL = "https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/";
    const cache = (protocols: readonly string[]) => cacheBootstrapSettings(FUNCTION_URL, "eu-west-1", JSON.stringify(protocols), "https://api.github.com");
    const read = (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : "");

    it("with the cache on, is valid bash, passes shellcheck and fits the 16 KB user data", () => {
      const script = renderRunnerBootstrap({ ...OPTIONS, buildCache: cache(BUILD_CACHE_PROTOCOLS) }, host);
      expect(spawnSync("bash", ["-n"], { input: script, encoding: "utf8" }).status).toBe(0);
      expect(shellcheck(script)).toEqual({ status: 0, output: "" });
      expect(Buffer.byteLength(script)).toBeLessThan(USER_DATA_LIMIT_BYTES);
    });

    it("starts the agent from the bucket with the runner's Node as the runner user before the runner, and writes the clients' settings", () => {
      // Act
      const { status, calls, runnerDir } = runBootstrap({ jitAfterPolls: 1, runnerPreinstalled: true, buildCache: cache(["turborepo", "nx", "gradle"]) });

      // Assert
      expect(status).toBe(0);
      const root = join(runnerDir, "..", "..");
      const download = calls.findIndex((c) => c === `aws s3 cp --region eu-west-1 --only-show-errors s3://${OPTIONS.binariesBucket}/${CACHE_AGENT_OBJECT_KEY} ${root}/opt/self-runners/cache-agent.cjs`);
      const start = calls.indexOf("systemctl start self-runners-cache-agent");
      expect(download).toBeGreaterThanOrEqual(0);
      expect(start).toBeGreaterThan(download);
      expect(start).toBeLessThan(calls.findIndex((c) => c.startsWith("run.sh")));
      const unit = read(join(root, "etc", "systemd", "system", "self-runners-cache-agent.service"));
      expect(unit).toContain("User=runner\n");
      expect(unit).toContain(`ExecStart=${runnerDir}/externals/node20/bin/node ${root}/opt/self-runners/cache-agent.cjs\n`);
      expect(read(join(root, "opt", "self-runners", "cache-agent.env"))).toBe(
        `SELF_RUNNERS_CACHE_FUNCTION_URL='${FUNCTION_URL}'\nAWS_REGION='eu-west-1'\nSELF_RUNNERS_CACHE_PORT='41230'\nSELF_RUNNERS_CACHE_PROTOCOLS='["turborepo","nx","gradle"]'\n`,
      );
      // The real agent bundle printed the clients' environment from that file.
      const env = read(join(runnerDir, ".env"));
      expect(env).toContain("TURBO_API=http://127.0.0.1:41230\n");
      expect(env).toMatch(/^TURBO_TOKEN=\S+$/m);
      expect(env).toMatch(/^TURBO_TEAM=\S+$/m);
      expect(env).toContain("NX_SELF_HOSTED_REMOTE_CACHE_SERVER=http://127.0.0.1:41230\n");
      expect(env).not.toContain("ACTIONS_RESULTS_URL");
      expect(read(join(root, "home", "runner", ".gradle", "init.d", "self-runners-cache.gradle"))).toBe(`${GRADLE_INIT_SCRIPT}\n`);
      expect(read(join(root, "home", "runner", ".bazelrc"))).toBe("");
    });

    it("writes Bazel's --remote_cache when bazel is served, and no Gradle init script when gradle is not", () => {
      const { status, runnerDir } = runBootstrap({ jitAfterPolls: 1, runnerPreinstalled: true, buildCache: cache(["bazel"]) });
      expect(status).toBe(0);
      const root = join(runnerDir, "..", "..");
      expect(read(join(root, "home", "runner", ".bazelrc"))).toBe(`${BAZELRC_LINE}\n`);
      expect(existsSync(join(root, "home", "runner", ".gradle"))).toBe(false);
      expect(read(join(runnerDir, ".env"))).not.toContain("TURBO_API");
    });

    it("redirects actions/cache to the agent when actions is served and the runner's worker is one the redirect knows", () => {
      // A .NET user-string heap entry: length byte, UTF-16LE characters, flag byte (test/stacks/actions-cache-redirect.test.ts).
      const literal = (text: string) => Buffer.concat([Buffer.from([text.length * 2 + 1]), Buffer.from(text, "utf16le"), Buffer.from([0])]);
      const worker = Buffer.concat([Buffer.alloc(512, 7), literal("ACTIONS_RESULTS_URL"), Buffer.alloc(64, 9)]);

      const known = runBootstrap({ jitAfterPolls: 1, runnerPreinstalled: true, buildCache: cache(["actions"]), runnerWorkerAssembly: worker });
      const unknown = runBootstrap({ jitAfterPolls: 1, runnerPreinstalled: true, buildCache: cache(["actions"]) });

      expect(known.status).toBe(0);
      expect(known.calls).toContain(`aws s3 cp --region eu-west-1 --only-show-errors s3://${OPTIONS.binariesBucket}/${ACTIONS_REDIRECT_OBJECT_KEY} ${join(known.runnerDir, "..", "..", "opt", "self-runners", "actions-cache-redirect.sh")}`);
      expect(read(join(known.runnerDir, ".env"))).toMatch(/^ACTIONS_RESULTS_URL=http:\/\/127\.0\.0\.1:41230\/$/m);
      expect(known.output).toContain("actions cache redirect: node actions use http://127.0.0.1:41230/");
      // No worker to patch: GitHub's cache, and no .env line claiming otherwise.
      expect(unknown.status).toBe(0);
      expect(read(join(unknown.runnerDir, ".env"))).not.toContain("ACTIONS_RESULTS_URL");
      expect(unknown.calls.some((c) => c.startsWith("run.sh --jitconfig ENCODED-JIT"))).toBe(true);
    });

    it("still runs the job, without the cache, when the agent cannot be downloaded, and says so", () => {
      const { status, calls, output, runnerDir } = runBootstrap({ jitAfterPolls: 1, runnerPreinstalled: true, buildCache: cache(["turborepo"]), cacheAgentObject: false });
      expect(status).toBe(0);
      expect(output).toContain("build cache: agent not started, jobs run without the cache");
      expect(calls).not.toContain("systemctl start self-runners-cache-agent");
      expect(read(join(runnerDir, ".env"))).toBe("");
      expect(calls.some((c) => c.startsWith("run.sh --jitconfig ENCODED-JIT"))).toBe(true);
    });

    it("does nothing for the cache when it is off: no download, no agent, no client settings", () => {
      const { status, calls, runnerDir } = runBootstrap({ jitAfterPolls: 1, runnerPreinstalled: true });
      expect(status).toBe(0);
      expect(calls.some((c) => c.includes(CACHE_AGENT_OBJECT_KEY) || c.includes("self-runners-cache-agent") || c.startsWith("node "))).toBe(false);
      expect(read(join(runnerDir, ".env"))).toBe("");
    });
  });

  describe("the pool's customization (docs/runner-customization.md)", () => {
    const family = host === "al2023" ? "al2023" : "ubuntu";
    const install = (packages: string) => `${INSTALL[family]} ${packages}`;

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
      const kit = install(KIT_PACKAGE[family]);
      const order = calls.filter((c) => c === "pre-install" || c === "post-install" || c.startsWith(kit) || c.startsWith(install("git-lfs")) || c.startsWith("aws dynamodb get-item"));
      expect(order.slice(0, 4).map((c) => (c.startsWith(kit) ? kit : c))).toEqual(["pre-install", kit, install("git-lfs python3.12"), "post-install"]);
      expect(order[4]).toMatch(/^aws dynamodb get-item/);
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
});

describe("runner bootstrap: the customization hook points", () => {
  it("are the same bash in the Amazon Linux and Ubuntu templates (only pkg_install differs)", () => {
    const block = (template: string) => {
      const text = readFileSync(join(REPO_ROOT, "stacks", "templates", template), "utf8");
      const start = text.indexOf("# --- customization (docs/runner-customization.md");
      return { pre: text.slice(start, text.indexOf("# --- end of the pre-install hook points ---")), hooks: text.slice(text.indexOf("# --- customization: the pool's job hooks"), text.indexOf("chown -R runner:runner")) };
    };
    const al2023 = block("runner-bootstrap.sh.tftpl");
    expect(al2023.pre).toContain("run_custom_script pre_install_script");
    expect(block("runner-bootstrap-ubuntu.sh.tftpl")).toEqual(al2023);
  });
});
