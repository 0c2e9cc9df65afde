import { boolean, integer, json, oneOf, optional, required, string, tunable, url } from "./env.js";

/** Read by Powertools itself (logger, metrics); the stack sets them on every function. */
export const POWERTOOLS_ENV = {
  powertoolsServiceName: tunable("POWERTOOLS_SERVICE_NAME", string, "service_undefined", "the function's short name, in every log line and metric"),
  powertoolsMetricsNamespace: tunable("POWERTOOLS_METRICS_NAMESPACE", string, "SelfRunners", "CloudWatch namespace of the metrics"),
  powertoolsLogLevel: tunable("POWERTOOLS_LOG_LEVEL", string, "INFO", "log level"),
  powertoolsTraceEnabled: tunable("POWERTOOLS_TRACE_ENABLED", boolean, false, "`true`: the AWS SDK clients are traced with X-Ray (the `enable_tracing` input, which also turns on active tracing)"),
} as const;

/**
 * Where runners are registered: one repository, an organization, or an enterprise (GitHub Enterprise
 * Cloud; its runner endpoints take a classic token with `manage_runners:enterprise`, not an App).
 */
export const RUNNER_SCOPES = ["repo", "org", "enterprise"] as const;
export type RunnerScope = (typeof RUNNER_SCOPES)[number];

/** The GitHub App the scale-up, reconcile and spot-interruption functions act as. */
export const GITHUB_APP_ENV = {
  githubAppId: required("GITHUB_APP_ID", integer(1), "the GitHub App's id", "123456"),
  githubAppPrivateKeySsmParameterName: required(
    "GITHUB_APP_PRIVATE_KEY_SSM_PARAMETER_NAME",
    string,
    "SSM SecureString holding the App's PEM private key",
    "/sr/github-app-key",
  ),
  githubApiUrl: required("GITHUB_API_URL", url, "GitHub REST API root (GitHub Enterprise Server: `https://<host>/api/v3`)", "https://api.github.com"),
  additionalGithubApps: optional(
    "ADDITIONAL_GITHUB_APPS",
    json({ kind: "list", item: { kind: "object", fields: { appId: { shape: { kind: "integer", min: 1 }, doc: "App id" }, privateKeyParameter: { shape: { kind: "string" }, doc: "SSM name of its PEM key" } } } }),
    "more Apps installed on the same owners; JIT configs alternate between all Apps (round robin per batch); unset or empty: none",
    '[{"appId":654321,"privateKeyParameter":"/sr/app-2-key"}]',
  ),
  enterpriseSlug: optional("ENTERPRISE_SLUG", string, "enterprise scope: the enterprise's slug in `/enterprises/{enterprise}/actions/runners`; unset in repo and org scope", "octo-enterprise"),
  enterpriseTokenSsmParameterName: optional(
    "ENTERPRISE_TOKEN_SSM_PARAMETER_NAME",
    string,
    "enterprise scope: SSM SecureString holding the classic token (scope `manage_runners:enterprise`) that lists, registers and deletes enterprise runners; GitHub App installation tokens cannot call those endpoints",
    "/sr/enterprise-token",
  ),
} as const;

/** What every runner-managing function shares: its name prefix, scope and tables. */
export const RUNNER_STATE_ENV = {
  prefix: required("PREFIX", string, "the kit's name prefix: the `self-runners:prefix` tag value and the runner name prefix", "sr"),
  runnerScope: required("RUNNER_SCOPE", oneOf(RUNNER_SCOPES), "where runners are registered", "org"),
  runnersTable: required("RUNNERS_TABLE", string, "the runners table (DynamoDB)", "sr-runners"),
  jobsTable: required("JOBS_TABLE", string, "the job ledger table (claims, limit counters, GitHub budgets)", "sr-jobs"),
} as const;

/**
 * The runner's boot timeout, read by the reconciler (orphans) and scale-up (a kept instance is reused
 * only while young enough to pick up its configuration before it ends itself).
 */
export const RUNNER_BOOT_TIMEOUT_ENV = {
  runnerBootTimeoutSeconds: required("RUNNER_BOOT_TIMEOUT_SECONDS", integer(1), "an instance with no registration after this long is an orphan (and ends itself)", "600"),
} as const;

/** SSM String parameter; `true` pauses launches. Cached 30 s. */
export const DRAINING_ENV = {
  drainingParameter: required("DRAINING_PARAMETER", string, "SSM String parameter of the draining switch: `true` pauses launches, anything else launches; cached 30 s", "/sr/draining"),
} as const;
