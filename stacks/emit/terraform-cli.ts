/**
 * The one way self-runners runs the Terraform CLI (the emitter's `terraform fmt`, the tests'
 * init/validate/test): a CLI configuration we write ourselves, so providers come only from a local
 * filesystem mirror and Terraform never reaches the internet, never prompts and never colours.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Oldest Terraform the emitted module (and its tests) supports. */
export const MINIMUM_TERRAFORM_VERSION = "1.7.0";
/** Where the provider mirror is unless SELF_RUNNERS_TF_MIRROR says otherwise. */
export const DEFAULT_PROVIDER_MIRROR = "/opt/tf-plugins";
const AWS_PROVIDER = "registry.terraform.io/hashicorp/aws";

/** Raised when the Terraform CLI or the provider mirror is missing; the message says how to get them. */
export class TerraformSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TerraformSetupError";
  }
}

export interface TerraformResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunTerraformOptions {
  /**
   * Whether the command may install providers (init, validate, test, plan). Commands that need
   * none (fmt, version) can run without a provider mirror.
   * @default true
   */
  readonly providers?: boolean;
  /**
   * Extra environment variables.
   * @default {}
   */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Kill the command after this long.
   * @default 600_000
   */
  readonly timeoutMs?: number;
}

// Subcommands that accept -input=false / -no-color (others reject unknown flags).
const INPUT_FLAG = new Set(["init", "plan", "apply", "destroy", "import", "refresh"]);
const NO_COLOR_FLAG = new Set(["init", "validate", "plan", "apply", "destroy", "fmt", "test", "output", "show", "refresh", "import", "console", "graph", "state"]);

const checkedBinaries = new Map<string, string>();

/**
 * The Terraform CLI: $TERRAFORM if set, else `terraform` on PATH; it must be at least
 * {@link MINIMUM_TERRAFORM_VERSION}.
 */
export function terraformBinary(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.TERRAFORM;
  const candidates = explicit
    ? [explicit]
    : (env.PATH ?? "")
        .split(path.delimiter)
        .filter(Boolean)
        .map((dir) => path.join(dir, process.platform === "win32" ? "terraform.exe" : "terraform"));
  const binary = candidates.find(isExecutableFile);
  if (!binary) {
    throw new TerraformSetupError(
      explicit
        ? `TERRAFORM=${explicit} is not an executable file: point it at a terraform >= ${short(MINIMUM_TERRAFORM_VERSION)} binary, or unset it to use terraform from PATH`
        : `terraform >= ${short(MINIMUM_TERRAFORM_VERSION)} not found on PATH: install it (the Terraform CLI from HashiCorp, https://developer.hashicorp.com/terraform/install) or set TERRAFORM=/path/to/terraform`,
    );
  }
  if (!checkedBinaries.has(binary)) checkedBinaries.set(binary, checkVersion(binary));
  return binary;
}

/**
 * The provider mirror: $SELF_RUNNERS_TF_MIRROR or {@link DEFAULT_PROVIDER_MIRROR}. It must hold
 * hashicorp/aws for this machine's platform, unpacked or as `terraform providers mirror` writes it.
 */
export function providerMirror(env: NodeJS.ProcessEnv = process.env): string {
  const mirror = path.resolve(env.SELF_RUNNERS_TF_MIRROR || DEFAULT_PROVIDER_MIRROR);
  const platform = terraformPlatform();
  const providerDir = path.join(mirror, AWS_PROVIDER);
  const entries = safeReaddir(providerDir);
  const unpacked = entries.some((version) => safeReaddir(path.join(providerDir, version, platform)).some((f) => f.startsWith("terraform-provider-aws")));
  const packed = entries.some((f) => f.startsWith("terraform-provider-aws_") && f.endsWith(`_${platform}.zip`));
  if (!unpacked && !packed) {
    throw new TerraformSetupError(
      [
        `the hashicorp/aws provider for ${platform} is not in the Terraform provider mirror ${mirror} (set SELF_RUNNERS_TF_MIRROR=/path/to/mirror to use another directory).`,
        "Fill the mirror on a machine with internet access, in a directory whose configuration requires hashicorp/aws (e.g. the emitted module):",
        `  terraform providers mirror -platform=${platform} ${mirror}`,
        "then copy the directory here. Either layout works:",
        `  ${mirror}/${AWS_PROVIDER}/terraform-provider-aws_<version>_${platform}.zip   (as written by terraform providers mirror)`,
        `  ${mirror}/${AWS_PROVIDER}/<version>/${platform}/terraform-provider-aws_v<version>_x5   (unpacked)`,
      ].join("\n"),
    );
  }
  return mirror;
}

/**
 * A CLI configuration that installs providers only from `mirror` (nothing at all when `mirror` is
 * null) and never checks for updates.
 */
export function cliConfig(mirror: string | null): string {
  const installation =
    mirror === null
      ? ["  direct {", '    exclude = ["*/*/*"]', "  }"]
      : ["  filesystem_mirror {", `    path    = ${JSON.stringify(mirror)}`, `    include = [${JSON.stringify(AWS_PROVIDER)}]`, "  }"];
  return [
    "# Written by self-runners: providers come only from the local mirror, nothing is downloaded.",
    "disable_checkpoint = true",
    "",
    "provider_installation {",
    ...installation,
    "}",
    "",
  ].join("\n");
}

/** Writes {@link cliConfig} to `<dir>/terraform.rc` and returns its path. */
export function writeCliConfig(dir: string, mirror: string | null = providerMirror()): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "terraform.rc");
  fs.writeFileSync(file, cliConfig(mirror));
  return file;
}

/** Go's garbage collector target for terraform and its providers, unless $GOGC says otherwise. */
export const TERRAFORM_GOGC = "400";

/** The environment for every terraform run: our CLI config, no prompts, no update checks, no plugin cache. */
export function terraformEnv(cliConfigFile: string, extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    // TF_CLI_ARGS* would add flags we did not choose; a plugin cache or data dir would leak state between runs.
    if (name.startsWith("TF_CLI_ARGS") || name === "TF_PLUGIN_CACHE_DIR" || name === "TF_DATA_DIR") delete env[name];
  }
  return {
    // Terraform and its providers are Go programs holding the aws provider's whole schema; Go's default
    // (GOGC=100) collects every time the heap doubles and spent a third of a `terraform test` run's CPU
    // collecting. Four times the headroom costs about 300 MB more per process.
    GOGC: TERRAFORM_GOGC,
    ...env,
    TF_CLI_CONFIG_FILE: cliConfigFile,
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    CHECKPOINT_DISABLE: "1",
    ...extra,
  };
}

/** Adds -input=false and -no-color where the subcommand takes them. */
export function terraformArgs(args: readonly string[]): string[] {
  const [command, ...rest] = args;
  if (command === undefined) return [];
  const flags: string[] = [];
  if (INPUT_FLAG.has(command) && !rest.some((a) => a.startsWith("-input"))) flags.push("-input=false");
  if (NO_COLOR_FLAG.has(command) && !rest.includes("-no-color")) flags.push("-no-color");
  return [command, ...flags, ...rest];
}

/** Runs terraform and waits for it (for build scripts such as the emitter's fmt step). */
export function runTerraformSync(args: readonly string[], cwd: string, options: RunTerraformOptions = {}): TerraformResult {
  checkDirectory(cwd);
  const result = spawnSync(terraformBinary(), terraformArgs(args), {
    cwd,
    env: terraformEnv(configFile(options.providers ?? true), options.env),
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
    timeout: options.timeoutMs ?? 600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { code: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

/** Runs terraform without blocking the event loop (for tests). */
export function runTerraform(args: readonly string[], cwd: string, options: RunTerraformOptions = {}): Promise<TerraformResult> {
  checkDirectory(cwd);
  const binary = terraformBinary();
  const env = terraformEnv(configFile(options.providers ?? true), options.env);
  return new Promise((resolve, reject) => {
    const child = spawn(binary, terraformArgs(args), { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 600_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr: signal ? `${stderr}\nterraform killed by ${signal}` : stderr });
    });
  });
}

/** Formats every .tf file in `dir` in place; throws with terraform's message when one does not parse. */
export function terraformFmt(dir: string): void {
  const result = runTerraformSync(["fmt", "-list=false", "."], dir, { providers: false });
  if (result.code !== 0) throw new Error(`terraform fmt failed in ${dir}:\n${result.stderr || result.stdout}`);
}

// One CLI config per content, at a fixed place named by its hash: reused across runs instead of a
// temporary directory per process (test workers are killed, so they could not clean up).
const configFiles = new Map<string, string>();
function configFile(providers: boolean): string {
  const content = cliConfig(providers ? providerMirror() : null);
  let file = configFiles.get(content);
  if (!file || !fs.existsSync(file)) {
    const hash = createHash("sha256").update(content).digest("hex").slice(0, 12);
    const dir = path.join(os.tmpdir(), `self-runners-terraform-${hash}`);
    fs.mkdirSync(dir, { recursive: true });
    file = path.join(dir, "terraform.rc");
    // Write then rename, so that parallel runs never read a half-written file.
    const partial = `${file}.${process.pid}`;
    fs.writeFileSync(partial, content);
    fs.renameSync(partial, file);
    configFiles.set(content, file);
  }
  return file;
}

function checkVersion(binary: string): string {
  const result = spawnSync(binary, ["version", "-json"], {
    encoding: "utf8",
    env: { ...process.env, CHECKPOINT_DISABLE: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 60_000,
  });
  let version: string | undefined;
  try {
    version = (JSON.parse(result.stdout) as { terraform_version?: string }).terraform_version;
  } catch {
    version = undefined;
  }
  if (!version) {
    throw new TerraformSetupError(`${binary} did not report a version (is it the Terraform CLI?): ${result.stderr || result.stdout || result.error?.message}`);
  }
  if (compareVersions(version, MINIMUM_TERRAFORM_VERSION) < 0) {
    throw new TerraformSetupError(
      `terraform ${version} at ${binary} is too old: install terraform >= ${short(MINIMUM_TERRAFORM_VERSION)} (https://developer.hashicorp.com/terraform/install) or set TERRAFORM=/path/to/terraform`,
    );
  }
  return version;
}

/** Compares dotted versions numerically (pre-release suffixes ignored). */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => v.split(/[-+]/)[0].split(".").map((n) => Number.parseInt(n, 10) || 0);
  const [x, y] = [parse(a), parse(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i += 1) {
    const diff = (x[i] ?? 0) - (y[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}

function terraformPlatform(): string {
  const system = process.platform === "win32" ? "windows" : process.platform;
  const arch = ({ x64: "amd64", arm64: "arm64", ia32: "386", arm: "arm" } as Record<string, string>)[process.arch] ?? process.arch;
  return `${system}_${arch}`;
}

// spawn reports a missing working directory as a missing binary (ENOENT), which misleads.
function checkDirectory(dir: string): void {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`cannot run terraform in ${dir}: not a directory`);
}

function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function short(version: string): string {
  return version.replace(/\.0$/, "");
}
