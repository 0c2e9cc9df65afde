import { readFileSync } from "node:fs";
import type { Construct } from "constructs";
import { Fn, Op, Token } from "./cdktf.js";
import type { RunnerHost } from "./pools-os.js";
import { BAZELRC_LINE, CACHE_AGENT_URL, GRADLE_INIT_SCRIPT, NO_BUILD_CACHE, type CacheBootstrapSettings } from "./build-cache/cache-clients.js";
import { CACHE_AGENT_ENV } from "../contracts/build-cache.js";
import { renderTemplate, templateAsset, templatePath } from "./templates/template-file.js";

/** The Amazon Linux runner's user data, a template rendered by Terraform's templatefile(). */
export const RUNNER_BOOTSTRAP_TEMPLATE = "runner-bootstrap.sh.tftpl";

/**
 * One bootstrap per host family, one contract (docs/contracts.md, "Runner bootstrap"): Amazon Linux,
 * Ubuntu (apt, the AWS CLI when the AMI has none) and Windows Server (PowerShell, the AWS Tools).
 */
export const RUNNER_BOOTSTRAP_TEMPLATES = {
  al2023: RUNNER_BOOTSTRAP_TEMPLATE,
  ubuntu: "runner-bootstrap-ubuntu.sh.tftpl",
  windows: "runner-bootstrap-windows.ps1.tftpl",
} as const;
export type BootstrapFamily = keyof typeof RUNNER_BOOTSTRAP_TEMPLATES;

/** The bootstrap a host boots with. */
export function bootstrapFamily(host: RunnerHost): BootstrapFamily {
  return host === "windows" ? "windows" : host.startsWith("ubuntu") ? "ubuntu" : "al2023";
}

/** EC2Launch v2 runs user data between these tags as PowerShell. */
const POWERSHELL_USER_DATA = { open: "<powershell>\n", close: "</powershell>\n" } as const;

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
  /**
   * Ubuntu: when the bucket has no AWS CLI for the architecture, download AWS's installer from the internet.
   * @default false
   */
  readonly awsCliInternetFallback?: boolean | string;
  /**
   * The build cache agent and its clients (stacks/build-cache/cache-clients.ts).
   * @default - no build cache (NO_BUILD_CACHE)
   */
  readonly buildCache?: CacheBootstrapSettings;
}

/**
 * User data for a runner (docs/contracts.md, "Runner bootstrap"): templates/runner-bootstrap*.tftpl
 * through templatefile(), the one of the pool's host: `os` and `linuxDistribution` are the pool's
 * (Terraform expressions for a `for_each` over pools). The same for every instance of a pool; no secret.
 */
export function runnerBootstrapScript(scope: Construct, o: RunnerBootstrapOptions & { readonly os: string; readonly linuxDistribution: string }): string {
  const paths = {
    al2023: templateAsset(scope, "bootstrap-template", RUNNER_BOOTSTRAP_TEMPLATES.al2023),
    ubuntu: templateAsset(scope, "bootstrap-template-ubuntu", RUNNER_BOOTSTRAP_TEMPLATES.ubuntu),
    windows: templateAsset(scope, "bootstrap-template-windows", RUNNER_BOOTSTRAP_TEMPLATES.windows),
  } satisfies Record<BootstrapFamily, string>;
  const windows = Op.eq(o.os, "windows");
  const family = Fn.conditional(windows, "windows", Fn.conditional(Fn.startswith(o.linuxDistribution, "ubuntu"), "ubuntu", "al2023"));
  const script = Fn.templatefile(Token.asString(Fn.lookup(paths, family)), templateVars(o));
  return Token.asString(Fn.format(Token.asString(Fn.conditional(windows, `${POWERSHELL_USER_DATA.open}%s${POWERSHELL_USER_DATA.close}`, "%s")), [script]));
}

/** The same script with plain values, as an instance of `host` would receive it (for tests and reviews). */
export function renderRunnerBootstrap(o: RunnerBootstrapOptions, host: RunnerHost = "al2023"): string {
  const family = bootstrapFamily(host);
  const script = renderTemplate(readFileSync(templatePath(RUNNER_BOOTSTRAP_TEMPLATES[family]), "utf8"), templateVars(o));
  return family === "windows" ? `${POWERSHELL_USER_DATA.open}${script}${POWERSHELL_USER_DATA.close}` : script;
}

/** The variables every runner bootstrap template reads (exported for the templatefile() parity test). */
export function templateVars(o: RunnerBootstrapOptions): Record<string, string> {
  const cache = o.buildCache ?? NO_BUILD_CACHE;
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
    aws_cli_internet_fallback: text(o.awsCliInternetFallback ?? false),
    cache_agent_key: cache.agentKey,
    cache_redirect_key: cache.redirectKey,
    github_api_url: cache.githubApiUrl,
    cache_agent_env: cache.agentEnvironment,
    cache_protocols: cache.protocols,
    cache_gradle_init: GRADLE_INIT_SCRIPT,
    cache_bazelrc: BAZELRC_LINE,
    cache_agent_url: CACHE_AGENT_URL,
    // The agent reads its default path; the job-started hook writes there.
    cache_job_file: CACHE_AGENT_ENV.jobFile.default,
  };
}

/** A number as script text: literal digits when known now, a Terraform expression otherwise. */
function text(value: string | number | boolean): string {
  return typeof value !== "string" && !Token.isUnresolved(value) ? String(value) : Token.asString(value);
}
