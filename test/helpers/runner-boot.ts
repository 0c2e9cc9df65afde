import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { JIT_ENCRYPTION_CONTEXT_KEY } from "../../contracts/scale-up.js";
import { poolCustomizationKey, type PoolCustomizationDocument } from "../../contracts/pool-customization.js";
import type { LinuxDistribution } from "../../stacks/pools-os.js";
import { bootstrapFamily, renderRunnerBootstrap } from "../../stacks/runner-bootstrap.js";
import { CACHE_AGENT_BUNDLE, CACHE_AGENT_OBJECT_KEY } from "../../contracts/build-cache.js";
import { awsCliObjectKey } from "../../contracts/aws-cli.js";
import { ACTIONS_REDIRECT_OBJECT_KEY, type CacheBootstrapSettings } from "../../stacks/build-cache/cache-clients.js";
import { templatePath } from "../../stacks/templates/template-file.js";
import { REPO_ROOT, scratchDir } from "./paths.js";
import { ARCHIVE_VERSION, executable, installFakeRunner, installMachineClock, runnerArchive, stub } from "./boot-stubs.js";
import { installRememberedJq } from "./remembered-jq.js";

// Runs a real Linux user-data script under bash with the machine-changing commands (shutdown, dnf,
// apt-get, aws, curl to IMDS, sudo, ...) replaced by stubs on PATH that log their arguments, and the
// system paths (/opt, /var/log, /etc/sudoers.d, /usr/sbin/shutdown, /tmp/awscli) moved into a scratch
// directory. Every curl to a GitHub host is logged apart and answered as GitHub answers anonymous
// callers behind one NAT address: 60 a rolling hour, then 403. The host's jq answers through a
// remembering jq (remembered-jq.ts) and `sleep` moves a machine clock (boot-stubs.ts): they cut CPU,
// not what a boot does.

export const LOG_GROUP = "/self-runners/sr/runners";
export const BOOT_OPTIONS = {
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
export const NO_CUSTOMIZATION: PoolCustomizationDocument = {
  pre_install_script: "",
  post_install_script: "",
  job_started_hook: "",
  job_completed_hook: "",
  extra_packages: [],
  job_environment: {},
  use_instance_store: false,
};
// EC2's limit on user data (before base64).
export const USER_DATA_LIMIT_BYTES = 16 * 1024;

export interface Run {
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

export interface BootOptions {
  /** The Linux distribution whose bootstrap runs (default al2023). */
  readonly host?: LinuxDistribution;
  readonly jitAfterPolls: number | null;
  readonly bootTimeoutSeconds?: number;
  readonly runnerPreinstalled: boolean;
  /** Whether the agent's package installs (dnf) or downloads (Ubuntu's .deb); default true. */
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
  /**
   * Whether the AMI has the AWS CLI (default true). Without it, Ubuntu installs the copy the bucket holds
   * (`cliInBucket`, default true; announced with `cliAnnouncedSha256`, default its own), read by the signed
   * GET in python3 (stubbed here, run for real in runner-bootstrap-ubuntu.test.ts); AWS's download
   * (`cliDownload`, default true) is tried only when the script is rendered with `awsCliInternetFallback`.
   */
  readonly awsCli?: boolean;
  readonly cliInBucket?: boolean;
  readonly cliAnnouncedSha256?: string;
  readonly cliDownload?: boolean;
  readonly awsCliInternetFallback?: boolean;
  /** The pool's customization document (default: none); null: the bucket has none. */
  readonly customization?: Partial<PoolCustomizationDocument> | null;
  /** The build cache settings the script is rendered with (default: none, the cache off). */
  readonly buildCache?: CacheBootstrapSettings;
  /**
   * Whether the bucket holds the agent bundle (default true): the real one, dist/cache-agent/cache-agent.js
   * (`npm run build:lambdas`), run by the runner's "node" (the test's Node behind a logging wrapper).
   */
  readonly cacheAgentObject?: boolean;
  /** Runner.Worker.dll of the baked runner (default: none), for the Actions cache redirect. */
  readonly runnerWorkerAssembly?: Buffer;
}

/** An `aws s3 cp` of the runner (resolved version or archive), not of the pool's customization document nor the cache agent. */
export function isRunnerDownload(call: string): boolean {
  return call.startsWith("aws s3 cp") && !call.includes(BOOT_OPTIONS.customizationKey) && !call.includes(CACHE_AGENT_OBJECT_KEY) && !call.includes(ACTIONS_REDIRECT_OBJECT_KEY);
}

/** The built agent bundle the bucket serves (the test fails, saying so, when it is not built). */
export function cacheAgentBundle(): string {
  const bundle = join(REPO_ROOT, CACHE_AGENT_BUNDLE);
  if (!existsSync(bundle)) throw new Error(`${CACHE_AGENT_BUNDLE} is missing: build it with npm run build:lambdas`);
  return bundle;
}

/** A prepared machine: stubs, archive, bucket documents and the rendered script; `boot()` runs it once. */
export interface BootMachine {
  readonly dir: string;
  boot(): Run;
  /** Runs the script `count` times in one bash loop (a fresh runner directory and item each time); returns successes. */
  bootMany(count: number): { readonly succeeded: number; readonly gitHubCalls: number; readonly calls: string[] };
  /** Runs a shell command on the stubbed machine (same PATH and stubs); returns its exit status and output. */
  shell(command: string): { readonly status: number | null; readonly stdout: string };
}

export function prepareBoot(options: BootOptions): BootMachine {
  if (options.buildCache !== undefined && (options.cacheAgentObject ?? true)) cacheAgentBundle();
  const dir = scratchDir("bootstrap");
  const bin = join(dir, "bin");
  const root = join(dir, "root");
  for (const d of [bin, join(root, "var", "log"), join(root, "etc", "sudoers.d"), join(root, "etc", "systemd", "system"), join(root, "home", "runner"), join(root, "usr", "sbin")]) mkdirSync(d, { recursive: true });
  const runnerDir = join(root, "opt", "actions-runner");
  const calls = join(dir, "calls.log");
  const gitHubCalls = join(dir, "github-calls.log");
  writeFileSync(calls, "");
  writeFileSync(gitHubCalls, "");
  if (options.runnerPreinstalled) installFakeRunner(runnerDir, options.bakedVersion ?? "2.330.0");
  if (options.runnerPreinstalled && options.runnerWorkerAssembly !== undefined) writeFileSync(join(runnerDir, "bin", "Runner.Worker.dll"), options.runnerWorkerAssembly);
  // The runner archive the bucket holds: run.sh and the listener, announced with its SHA-256.
  const archive = runnerArchive();
  const archiveKey = `runner/v${ARCHIVE_VERSION}/actions-runner-linux-x64-${ARCHIVE_VERSION}.tar.gz`;
  const sha = options.announcedSha256 ?? archive.sha256;
  // The AWS CLI installer the syncer copied (contracts/aws-cli.ts), announced with its SHA-256.
  const cliZip = Buffer.from("PK\u0003\u0004 awscli x86_64");
  writeFileSync(join(dir, "awscli.zip"), cliZip);
  const cliSha = createHash("sha256").update(cliZip).digest("hex");
  const awsCli = (options.cliInBucket ?? true) ? { awsCli: { "linux-x64": { key: awsCliObjectKey(BOOT_OPTIONS.binariesPrefix, "linux-x64", cliSha), sha256: options.cliAnnouncedSha256 ?? cliSha, size: cliZip.length } } } : {};
  writeFileSync(join(dir, "resolved-version.json"), JSON.stringify({ version: ARCHIVE_VERSION, assets: { "linux-x64": { key: archiveKey, sha256: sha, size: 1 } }, ...awsCli }));
  // The signed S3 GET of the Ubuntu bootstrap (python3 -c <signer> <endpoint> <region> <key> <file>, the
  // role's credentials on stdin): logged as "s3-get <endpoint> <region> <key>", answered from the bucket.
  executable(join(bin, "python3"), `#!/bin/bash
IFS= read -r -d '' creds
[[ "$creds" == *'"Token":"ROLE-SESSION-TOKEN"'* ]] || exit 1
echo "s3-get $3 $4 $5" >> "$CALLS"
case "$5" in
  ${BOOT_OPTIONS.binariesPrefix}resolved-version.json) cp "${join(dir, "resolved-version.json")}" "$6" ;;
  ${awsCliObjectKey(BOOT_OPTIONS.binariesPrefix, "linux-x64", cliSha)}) cp "${join(dir, "awscli.zip")}" "$6" ;;
  *) exit 1 ;;
esac
`);

  installRememberedJq(bin);
  stub(bin, "curl", `case "$*" in
  *github.com*|*githubusercontent.com*)
    echo "$*" >> "$GITHUB_CALLS"
    # One NAT address: GitHub answers 60 anonymous calls an hour, then 403 (curl -f exits 22).
    [ "$(wc -l < "$GITHUB_CALLS")" -le 60 ] || exit 22 ;;
  *api/token*) echo TOKEN ;;
  *meta-data/instance-id*) echo i-0abc1234567890def ;;
  *meta-data/services/partition*) echo aws ;;
  *instance-identity/document*) echo '{"accountId": "123456789012", "region": "eu-west-1"}' ;;
  *iam/security-credentials/sr-runner*) echo '{"Code":"Success","AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"secret","Token":"ROLE-SESSION-TOKEN"}' ;;
  *iam/security-credentials/*) echo sr-runner ;;
  *amazoncloudwatch-agent-eu-west-1.s3.eu-west-1.amazonaws.com/ubuntu/amd64/latest/amazon-cloudwatch-agent.deb*) [ "$AGENT_PACKAGE" = 1 ] || exit 22 ;;
  *awscli.amazonaws.com/awscli-exe-linux-x86_64.zip*) [ "$CLI_DOWNLOAD" = 1 ] || exit 22 ;;
  *) exit 22 ;;
esac`);
  if (options.customization !== null) writeFileSync(join(dir, "customization.json"), JSON.stringify({ ...NO_CUSTOMIZATION, ...options.customization }));
  const aws = `if [ "$1 $2" = "s3 cp" ] && [ "$6" = s3://${BOOT_OPTIONS.binariesBucket}/runner/resolved-version.json ]; then cat "${join(dir, "resolved-version.json")}"
elif [ "$1 $2" = "s3 cp" ] && [ "$6" = s3://${BOOT_OPTIONS.binariesBucket}/${BOOT_OPTIONS.customizationKey} ] && [ -f "${join(dir, "customization.json")}" ]; then cat "${join(dir, "customization.json")}"
elif [ "$1 $2" = "s3 cp" ] && [ "$6" = s3://${BOOT_OPTIONS.binariesBucket}/${archiveKey} ]; then cp "${archive.path}" "$7"
elif [ "$1 $2" = "s3 cp" ] && [ "$6" = s3://${BOOT_OPTIONS.binariesBucket}/${CACHE_AGENT_OBJECT_KEY} ] && [ "$CACHE_AGENT_OBJECT" = 1 ]; then cp "${join(REPO_ROOT, CACHE_AGENT_BUNDLE)}" "$7"
elif [ "$1 $2" = "s3 cp" ] && [ "$6" = s3://${BOOT_OPTIONS.binariesBucket}/${ACTIONS_REDIRECT_OBJECT_KEY} ]; then cp "${templatePath("actions-cache-redirect.sh")}" "$7"
elif [ "$1 $2" = "s3 cp" ]; then exit 1
elif [ "$2" = get-item ] && case "$*" in *Item.jobKey.S*) true ;; *) false ;; esac; then echo "job#4242#1"
elif [ "$2" = get-item ]; then
  n=0; [ -f "$POLLS" ] && read -r n < "$POLLS"; n=$((n + 1)); echo $n > "$POLLS"
  if [ -n "$JIT_AFTER" ] && [ "$n" -ge "$JIT_AFTER" ]; then echo "$STORED_JIT"; else echo None; fi
elif [ "$1" = kms ] && [ "$2" = decrypt ]; then
  blob=$(echo "$*" | sed -n 's|.*fileb://||p' | cut -d' ' -f1)
  if [ "$KMS_OPENS" = 1 ] && [ "$(cat "$blob")" = CIPHERTEXT ] && case "$*" in *"--encryption-context $KMS_CONTEXT "*) true ;; *) false ;; esac; then echo ENCODED-JIT
  else echo "An error occurred (AccessDeniedException) when calling the Decrypt operation" >&2; exit 254; fi
fi`;
  // The AWS CLI on the AMI, or installed by AWS's installer from the zip (unzip lays the installer out).
  const cliStubs = join(dir, "cli");
  mkdirSync(cliStubs);
  stub(cliStubs, "aws", aws);
  if (options.awsCli ?? true) stub(bin, "aws", aws);
  stub(bin, "unzip", `d=$(echo "$*" | sed -n 's/.* -d //p'); mkdir -p "$d/aws"; printf '#!/bin/bash\\necho "aws-cli-install $*" >> "$CALLS"\\ncp "${join(cliStubs, "aws")}" "${bin}/aws"\\n' > "$d/aws/install"; chmod 755 "$d/aws/install"`);
  stub(bin, "dnf", `case "$*" in *amazon-cloudwatch-agent*) [ "$AGENT_PACKAGE" = 1 ] || { echo "No match for argument: amazon-cloudwatch-agent"; exit 1; } ;; esac
case "$*" in *no-such-package*) echo "No match for argument: no-such-package"; exit 1 ;; esac`);
  stub(bin, "apt-get", `case "$*" in *no-such-package*) echo "E: Unable to locate package no-such-package"; exit 100 ;; esac`);
  for (const name of ["dpkg", "systemctl", "useradd", "usermod", "chown"]) stub(bin, name, "exit 0");
  installMachineClock(bin);
  // What the agent package installs: its control script (logged like the other stubs).
  const agentDir = join(root, "opt", "aws", "amazon-cloudwatch-agent");
  mkdirSync(join(agentDir, "bin"), { recursive: true });
  if (options.agentPackage ?? true) stub(join(agentDir, "bin"), "amazon-cloudwatch-agent-ctl", "exit 0");
  stub(bin, "logger", "cat > /dev/null");
  stub(bin, "id", "exit 0");
  stub(bin, "sudo", `[ "$1" = -u ] && shift 2; exec "$@"`);
  stub(bin, "shutdown", "exit 0");
  stub(join(root, "usr", "sbin"), "shutdown", "exit 0");

  const script = renderRunnerBootstrap(
    { ...BOOT_OPTIONS, bootTimeoutSeconds: options.bootTimeoutSeconds ?? BOOT_OPTIONS.bootTimeoutSeconds, logGroupName: options.logGroupName ?? LOG_GROUP, buildCache: options.buildCache, awsCliInternetFallback: options.awsCliInternetFallback ?? false },
    options.host ?? "al2023",
  )
    .replaceAll("/opt/actions-runner", runnerDir)
    .replaceAll("/opt/aws/", `${root}/opt/aws/`)
    .replaceAll("/var/log/", `${root}/var/log/`)
    .replaceAll("/etc/sudoers.d/", `${root}/etc/sudoers.d/`)
    .replaceAll("/etc/systemd/system/", `${root}/etc/systemd/system/`)
    .replaceAll("/opt/self-runners", `${root}/opt/self-runners`)
    .replaceAll("/home/runner", `${root}/home/runner`)
    .replaceAll("/usr/sbin/shutdown", join(root, "usr", "sbin", "shutdown"))
    .replaceAll("/tmp/awscli", join(dir, "awscli"));
  writeFileSync(join(dir, "user-data.sh"), script);
  const env = {
    PATH: `${bin}:/usr/bin:/bin`,
    CALLS: calls,
    GITHUB_CALLS: gitHubCalls,
    POLLS: join(dir, "polls"),
    SLEPT: join(dir, "slept"),
    JIT_AFTER: options.jitAfterPolls === null ? "" : String(options.jitAfterPolls),
    AGENT_PACKAGE: options.agentPackage ?? true ? "1" : "0",
    CLI_DOWNLOAD: options.cliDownload ?? true ? "1" : "0",
    REGISTERS: options.registers ?? true ? "1" : "0",
    STORED_JIT: options.sealed === undefined ? "ENCODED-JIT" : `kms:${Buffer.from("CIPHERTEXT").toString("base64")}`,
    KMS_OPENS: options.sealed?.opens === true ? "1" : "0",
    CACHE_AGENT_OBJECT: options.cacheAgentObject ?? true ? "1" : "0",
    KMS_CONTEXT: JSON.stringify({ [JIT_ENCRYPTION_CONTEXT_KEY]: "arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc1234567890def" }),
  };
  const callLines = (): string[] => readFileSync(calls, "utf8").trim().split("\n");
  const log = join(root, "var", "log", "self-runners-bootstrap.log");

  return {
    dir,
    boot() {
      rmSync(env.SLEPT, { force: true });
      const result = spawnSync("bash", [join(dir, "user-data.sh")], { env, encoding: "utf8", timeout: 60_000 });
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
      // The script sends its own output to its log file (and syslog).
      return { status: result.status, calls: callLines(), output: result.stdout + result.stderr + readFileSync(log, "utf8"), marks, agentConfigs, runnerDir };
    },
    bootMany(count) {
      const preinstalled = options.runnerPreinstalled ? `cp -a "${join(dir, "baked")}" "${runnerDir}"` : ":";
      if (options.runnerPreinstalled) spawnSync("cp", ["-a", runnerDir, join(dir, "baked")]);
      const marksLog = join(root, "var", "log", "self-runners-marks.log");
      // Builtins between boots (one rm a boot): the loop's own processes would be a tenth of a boot's.
      const driver = `ok=0
for _ in $(seq ${count}); do
  rm -rf "${runnerDir}" "$POLLS" "$SLEPT" "${marksLog}"; ${preinstalled}
  if bash "${join(dir, "user-data.sh")}"; then
    marks=""; IFS= read -r -d '' marks < "${marksLog}"
    [[ "$marks" == *'"event":"registered"'* ]] && ok=$((ok + 1))
  fi
done
echo "$ok"`;
      const result = spawnSync("bash", ["-c", driver], { env, encoding: "utf8", timeout: 1_500_000, maxBuffer: 64 * 1024 * 1024 });
      const gitHub = readFileSync(gitHubCalls, "utf8").trim();
      return { succeeded: Number(result.stdout.trim()), gitHubCalls: gitHub === "" ? 0 : gitHub.split("\n").length, calls: callLines() };
    },
    shell(command) {
      const result = spawnSync("bash", ["-c", command], { env, encoding: "utf8", timeout: 60_000 });
      return { status: result.status, stdout: result.stdout };
    },
  };
}

/** Prepares a machine and boots it once. */
export function runBootstrap(options: BootOptions): Run {
  return prepareBoot(options).boot();
}

/** Whether a host's bootstrap is the Ubuntu one. */
export function isUbuntu(host: LinuxDistribution): boolean {
  return bootstrapFamily(host) === "ubuntu";
}
