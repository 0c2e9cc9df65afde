/**
 * The per-pool customization document (issue 12, item 4): what a pool's scripts, hooks, packages and job
 * environment are, stored as one JSON object in the runner binaries bucket and read by every bootstrap
 * (Amazon Linux and Ubuntu; Windows pools may not set it yet: stacks/pools-os.ts). Not in the user data:
 * EC2 caps it at 16 KB and a pool's scripts would eat that; not in SSM: a standard parameter holds 4 KB
 * and the runner role would need ssm:GetParameter. The document carries no secret (docs/runner-customization.md
 * says how a job pulls secrets at run time). stacks/runner-customization.ts writes it, the bootstraps read it.
 */

/** Key prefix of the documents in the runner binaries bucket; the runner role reads below it. */
export const POOL_CUSTOMIZATION_PREFIX = "pools/";

/** The document's key, `%s` standing for the pool (Terraform's format() renders it in the module). */
export const POOL_CUSTOMIZATION_KEY_FORMAT = `${POOL_CUSTOMIZATION_PREFIX}%s/customization.json`;

/** The document's key for a pool. */
export function poolCustomizationKey(pool: string): string {
  return POOL_CUSTOMIZATION_KEY_FORMAT.replace("%s", pool);
}

/** The document, field by field (snake_case: the pool attributes of the same name). */
export interface PoolCustomizationDocument {
  /** Run as root before the package step ("" for none); a failure ends the instance. */
  readonly pre_install_script: string;
  /** Run as root after the runner is installed, before it registers ("" for none); a failure ends the instance. */
  readonly post_install_script: string;
  /** Run as the runner user when a job starts, after the kit's own job-started hook ("" for none). */
  readonly job_started_hook: string;
  /** Run as the runner user when a job ends, after the kit's own job-completed hook ("" for none). */
  readonly job_completed_hook: string;
  /** Packages installed with the OS package manager after the kit's own. */
  readonly extra_packages: readonly string[];
  /** Written to the runner's `.env`: every job's step sees them. */
  readonly job_environment: Readonly<Record<string, string>>;
  /** Put the NVMe instance store under the runner's work directory and Docker's data root. */
  readonly use_instance_store: boolean;
}

/** The fields in document order (the stack's jsonencode and the docs list them from here). */
export const POOL_CUSTOMIZATION_FIELDS: ReadonlyArray<keyof PoolCustomizationDocument> = [
  "pre_install_script",
  "post_install_script",
  "job_started_hook",
  "job_completed_hook",
  "extra_packages",
  "job_environment",
  "use_instance_store",
];
