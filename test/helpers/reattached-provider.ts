import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** One provider process that `terraform` processes reattach to instead of starting their own. */
export interface ReattachedProvider {
  /** `TF_REATTACH_PROVIDERS`, to pass to each terraform process. */
  readonly env: Readonly<Record<string, string>>;
  /** The provider's process id. */
  readonly pid: number;
  /** Ends the provider process and waits for it. */
  stop(): Promise<void>;
}

const AWS_PROVIDER_DIR = join(".terraform", "providers", "registry.terraform.io", "hashicorp", "aws");

/** The hashicorp/aws provider binary that `terraform init` installed in `workDir`. */
export function installedAwsProvider(workDir: string): string {
  const root = join(workDir, AWS_PROVIDER_DIR);
  const binaries = (existsSync(root) ? readdirSync(root) : []).flatMap((version) =>
    readdirSync(join(root, version)).flatMap((platform) =>
      readdirSync(join(root, version, platform))
        .filter((file) => file.startsWith("terraform-provider-aws"))
        .map((file) => join(root, version, platform, file)),
    ),
  );
  if (binaries.length !== 1) throw new Error(`expected one hashicorp/aws provider under ${root} (run terraform init there first), found ${binaries.length}`);
  return binaries[0];
}

/**
 * Starts the aws provider that `terraform init` installed in `workDir` in its debug mode (`-debug`),
 * where it serves until stopped and prints the `TF_REATTACH_PROVIDERS` value that lets terraform
 * processes use it instead of launching their own. Under `mock_provider` a `terraform test` run still
 * launches the 700 MB provider twice (validate, plan) only to read its schema and validate
 * configuration; one shared process saves those launches. The provider serves several terraform
 * processes at once (gRPC), and mocks never configure it, so runs share no state through it.
 * Terraform has no option for this other than reattaching, hence this helper.
 */
export async function startReattachedProvider(workDir: string, { env = {}, timeoutMs = 120_000 }: { env?: Readonly<Record<string, string>>; timeoutMs?: number } = {}): Promise<ReattachedProvider> {
  const binary = installedAwsProvider(workDir);
  const child = spawn(binary, ["-debug"], { cwd: workDir, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  // A provider left behind by a worker that exits without stopping it would serve nobody until reboot.
  const killOnExit = (): void => void child.kill("SIGKILL");
  process.once("exit", killOnExit);
  let output = "";
  const reattach = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(`did not print TF_REATTACH_PROVIDERS within ${timeoutMs} ms`), timeoutMs);
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`the aws provider ${binary} -debug ${why}:\n${output}`));
    };
    const read = (chunk: string): void => {
      output += chunk;
      const match = /TF_REATTACH_PROVIDERS='([^']+)'/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.setEncoding("utf8").on("data", read);
    child.stderr.setEncoding("utf8").on("data", read);
    child.on("error", (error) => fail(`could not start: ${error.message}`));
    child.on("exit", (code, signal) => fail(`exited (${signal ?? code}) before serving`));
  });
  // Keep draining its output, so that a full pipe never blocks it.
  child.stdout.removeAllListeners("data").resume();
  child.stderr.removeAllListeners("data").resume();
  child.removeAllListeners("exit");
  return { env: { TF_REATTACH_PROVIDERS: reattach }, pid: child.pid as number, stop: () => stopProcess(child, killOnExit) };
}

function stopProcess(child: ChildProcess, killOnExit: () => void): Promise<void> {
  process.removeListener("exit", killOnExit);
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}
