import { readFileSync } from "node:fs";
import type { Construct } from "constructs";
import { Token } from "./cdktf.js";
import { renderTemplate, templateFile, templatePath } from "./templates/template-file.js";

/** The runner's user data, a template rendered by Terraform's templatefile(). */
export const RUNNER_BOOTSTRAP_TEMPLATE = "runner-bootstrap.sh.tftpl";

/** Inputs of the runner bootstrap script; values may be Terraform expressions. */
export interface RunnerBootstrapOptions {
  /** Runners table name. */
  readonly tableName: string;
  /** Region of the table. */
  readonly region: string;
  /** Bucket the runner binaries syncer fills (stacks/runner-binaries.ts). */
  readonly binariesBucket: string;
  /** Key prefix of the archives and of `resolved-version.json` in that bucket. */
  readonly binariesPrefix: string;
  /** A runner baked into the AMI older than this is replaced from the bucket. */
  readonly minimumRunnerVersion: string;
  /** `x64` or `arm64`. */
  readonly architecture: string;
  /** Minutes after boot at which an instance that has not started a job shuts down. */
  readonly idleTimeoutMinutes: string | number;
  /** Seconds to wait for the just-in-time configuration. */
  readonly bootTimeoutSeconds: string | number;
  /** Pool key: the `pool` field of the marks (and the `Pool` dimension of their metrics). */
  readonly pool: string;
  /** Log group the CloudWatch agent ships to; empty: no agent (runner logs off). */
  readonly logGroupName: string;
  /** Key of the pool's customization document in the binaries bucket (contracts/pool-customization.ts). */
  readonly customizationKey: string;
}

/**
 * User data for a runner (docs/contracts.md, "Runner bootstrap"): templates/runner-bootstrap.sh.tftpl
 * through templatefile(). It is the same for every instance of a pool and carries no secret.
 */
export function runnerBootstrapScript(scope: Construct, o: RunnerBootstrapOptions): string {
  return templateFile(scope, "bootstrap-template", RUNNER_BOOTSTRAP_TEMPLATE, templateVars(o));
}

/** The same script with plain values, as an instance would receive it (for tests and reviews). */
export function renderRunnerBootstrap(o: RunnerBootstrapOptions): string {
  return renderTemplate(readFileSync(templatePath(RUNNER_BOOTSTRAP_TEMPLATE), "utf8"), templateVars(o));
}

function templateVars(o: RunnerBootstrapOptions): Record<string, string> {
  return {
    table_name: o.tableName,
    region: o.region,
    binaries_bucket: o.binariesBucket,
    binaries_prefix: o.binariesPrefix,
    minimum_runner_version: o.minimumRunnerVersion,
    architecture: o.architecture,
    idle_timeout_minutes: text(o.idleTimeoutMinutes),
    boot_timeout_seconds: text(o.bootTimeoutSeconds),
    pool: o.pool,
    log_group: o.logGroupName,
    customization_key: o.customizationKey,
  };
}

/** A number as script text: literal digits when known now, a Terraform expression otherwise. */
function text(value: string | number): string {
  return typeof value === "number" && !Token.isUnresolved(value) ? String(value) : Token.asString(value);
}
