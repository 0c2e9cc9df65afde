import { join, resolve } from "node:path";
import { App, LocalBackend } from "./cdktf.js";
import { INPUT_GROUPS } from "./module/inputs.js";
import { emitModule, type EmitResult, type ModuleFile } from "./emit/index.js";
import { ModuleStack } from "./module-stack.js";

/** The emitted module's directory below the repository root. */
export const MODULE_DIR = join("modules-out", "terraform-aws-self-runners");

const DESCRIPTION = `Autoscaling, ephemeral, self-hosted GitHub Actions runners on AWS, emitted from the
[self-runners](../../README.md) CDKTF constructs.

A GitHub App sends \`workflow_job\` webhooks to a regional API Gateway REST API; the webhook function
checks the HMAC signature and routes each queued job by its labels to the FIFO queue of a runner pool;
the scale-up function creates one just-in-time runner configuration per job and launches runners with
EC2 CreateFleet (spot with on-demand fallback); each runner runs one job and terminates; a scheduled
reconciler removes orphans and never terminates a busy runner. See the repository README for the
architecture and the GitHub App set-up.`;

const USAGE = `module "runners" {
  source = "./modules-out/terraform-aws-self-runners"

  github_app_id     = "123456"
  vpc_id            = "vpc-0123456789abcdef0"
  runner_subnet_ids = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]

  pools = {
    linux = {
      labels         = ["linux", "x64"]
      instance_types = ["m7i.large", "m6i.large"]
      max_runners    = 20
    }
  }
}

output "webhook_url" {
  value = module.runners.webhook_url
}`;

/**
 * The module's files by concern, by construct path below the module stack (the longest matching
 * path wins). Anything unlisted (shared data sources, the Lambda layer) goes to main.tf.
 */
export const MODULE_FILES: readonly ModuleFile[] = [
  { file: "webhook.tf", constructs: ["runners/webhook", "runners/webhook-api"] },
  { file: "scale-up.tf", constructs: ["runners/scale-up", "runners/scale-up-trigger"] },
  { file: "reconcile.tf", constructs: ["runners/reconcile", "runners/reconcile-schedule"] },
  { file: "spot-interruption.tf", constructs: ["runners/spot-interruption", "runners/spot-interruption-rule"] },
  { file: "queues.tf", constructs: ["runners/job"] },
  { file: "ledger.tf", constructs: ["runners/jobs"] },
  { file: "runners.tf", constructs: ["runners/runner", "runners/runner-customization", "runners/runners", "runners/draining"] },
  { file: "runner-images.tf", constructs: ["runners/runner-images"] },
  {
    file: "runner-binaries.tf",
    constructs: ["runners/runner-binaries", ...["", "-schedule", "-target", "-invoke", "-first-sync"].map((suffix) => `runners/runner-binaries-syncer${suffix}`)],
  },
  { file: "waf.tf", constructs: ["runners/webhook-firewall"] },
  { file: "audit.tf", constructs: ["runners/audit"] },
  { file: "network.tf", constructs: ["runners/vpc-endpoints", "runners/nat", "runners/nat-failover"] },
  { file: "kms.tf", constructs: ["runners/encryption"] },
  { file: "secrets.tf", constructs: ["runners/github-app"] },
  { file: "operations.tf", constructs: ["runners/operations"] },
  { file: "build-cache.tf", constructs: ["runners/build-cache"] },
];

/** Options of {@link buildModule}. */
export interface BuildModuleOptions {
  /** Repository root (holds dist/ with the built zips). */
  readonly repoRoot: string;
  /**
   * Where to write the module.
   * @default - `<repoRoot>/modules-out/terraform-aws-self-runners`
   */
  readonly outDir?: string;
  /**
   * Where cdktf writes its synth output.
   * @default - `<repoRoot>/cdktf.out`
   */
  readonly synthDir?: string;
}

/** Synthesizes the module stack and emits it as a plain Terraform module. */
export function buildModule(options: BuildModuleOptions): EmitResult {
  const repoRoot = resolve(options.repoRoot);
  const app = new App({ outdir: options.synthDir ?? join(repoRoot, "cdktf.out") });
  const stack = new ModuleStack(app, "self-runners", { distDir: join(repoRoot, "dist") });
  // cdktf's default local backend is an absolute path below the working directory; a relative one
  // (from cdktf.out/stacks/self-runners back to the repository root) keeps the synth output portable.
  new LocalBackend(stack, { path: "../../../terraform.self-runners.tfstate" });
  return emitModule(stack, {
    outDir: options.outDir ?? join(repoRoot, MODULE_DIR),
    moduleName: "terraform-aws-self-runners",
    description: DESCRIPTION,
    usageExample: USAGE,
    files: MODULE_FILES,
    variableGroups: INPUT_GROUPS,
  });
}
