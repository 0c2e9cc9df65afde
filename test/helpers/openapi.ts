// GitHub fakes checked against GitHub's OpenAPI description (no HTTP interception here, so tests that
// run real clients against loopback servers can use it without nock in the process).
import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv } from "ajv";
import type { ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

// ajv-formats is CommonJS; its default export arrives wrapped depending on the loader.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (
  ajv: Ajv,
) => Ajv;

interface OpenApiOperation {
  responses?: Record<string, { $ref?: string; content?: Record<string, { schema?: unknown }> }>;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { responses: Record<string, { content?: Record<string, { schema?: unknown }> }>; examples: Record<string, { value: unknown }> };
}

const require = createRequire(import.meta.url);
const documentPath = require.resolve("@octokit/openapi/generated/api.github.com.json");
const openApi = JSON.parse(readFileSync(documentPath, "utf8")) as OpenApiDocument;

// OpenAPI 3.0 `nullable` allows null even with an `enum` (GitHub answers `"conclusion": null`) or
// without a `type` (`"suspended_by": null` next to a $ref). Ajv reads `nullable` only beside a type
// and still checks the enum, so such schemas are rewritten once into what they mean.
function allowNull(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(allowNull);
    return;
  }
  if (typeof node !== "object" || node === null) return;
  Object.values(node).forEach(allowNull);
  const schema = node as Record<string, unknown>;
  if (schema.nullable !== true) return;
  if (schema.type === undefined) {
    const { nullable: _nullable, ...rest } = schema;
    for (const key of Object.keys(schema)) delete schema[key];
    schema.anyOf = [rest, { type: "null" }];
  } else if (Array.isArray(schema.enum) && !schema.enum.includes(null)) {
    schema.enum.push(null);
  }
}
allowNull(openApi.components);
allowNull(openApi.paths);

/**
 * GitHub Enterprise Cloud's runner operations (runner_scope = "enterprise"). @octokit/openapi ships only
 * the api.github.com description, which lacks them; GHEC's description (github/rest-api-description,
 * descriptions/ghec) gives them the organization operations' query parameters (name, per_page, page),
 * request body (name, runner_group_id, labels, work_folder) and answers (`runner` pages,
 * `runner-jitconfig`, 204/404/422 on delete), so enterprise answers are checked against those. The
 * order matters: generate-jitconfig must be found before `{runner_id}` matches it.
 */
export const ENTERPRISE_RUNNER_OPERATIONS = {
  "/enterprises/{enterprise}/actions/runners": "/orgs/{org}/actions/runners",
  "/enterprises/{enterprise}/actions/runners/generate-jitconfig": "/orgs/{org}/actions/runners/generate-jitconfig",
  "/enterprises/{enterprise}/actions/runners/{runner_id}": "/orgs/{org}/actions/runners/{runner_id}",
} as const;
for (const [enterprise, org] of Object.entries(ENTERPRISE_RUNNER_OPERATIONS)) {
  const operations = openApi.paths[org];
  if (operations === undefined) throw new Error(`GitHub's description has no ${org}`);
  openApi.paths[enterprise] = operations;
}

// GitHub's description is OpenAPI 3.0: `nullable` is understood by Ajv; vendor keywords (x-github, example) are not errors.
const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
addFormats(ajv);
/**
 * Ajv understands OpenAPI's `nullable` only next to `type`; GitHub also writes it beside `anyOf` (e.g. an
 * installation's `account`). Such a node becomes "the schema, or null".
 */
function nullableWithoutType(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(nullableWithoutType);
  if (typeof node !== "object" || node === null) return node;
  const entries = Object.entries(node as Record<string, unknown>).map(([key, value]) => [key, nullableWithoutType(value)] as const);
  const object = Object.fromEntries(entries) as Record<string, unknown>;
  // GitHub answers null where a nullable field also has an enum (a queued job's `conclusion`).
  if (object.nullable === true && Array.isArray(object.enum) && !object.enum.includes(null)) object.enum = [...object.enum, null];
  if (object.nullable !== true || "type" in object) return object;
  const { nullable: _nullable, ...rest } = object;
  return { anyOf: [rest, { type: "null" }] };
}

ajv.addSchema({ $id: "github-openapi.json", components: nullableWithoutType(openApi.components) });
const validators = new Map<string, ValidateFunction>();

function validatorFor(pointer: string, schema: unknown): ValidateFunction {
  let validate = validators.get(pointer);
  if (validate === undefined) {
    // Local refs ("#/components/...") must resolve against the registered document.
    const rebased = nullableWithoutType(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"github-openapi.json#/components/')));
    validate = ajv.compile(rebased as object);
    validators.set(pointer, validate);
  }
  return validate;
}

/** Each path template with its pattern, in the description's order (compiled once: the fault world checks every answer). */
let templatePatterns: Array<readonly [string, RegExp]> | undefined;
/** The template of each concrete path met so far. */
const templateOfPath = new Map<string, string>();

function templateFor(path: string): string {
  if (openApi.paths[path] !== undefined) return path;
  const concrete = path.split("?")[0] ?? path;
  const known = templateOfPath.get(concrete);
  if (known !== undefined) return known;
  templatePatterns ??= Object.keys(openApi.paths).map((template) => [template, new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}$`)] as const);
  const match = templatePatterns.find(([, pattern]) => pattern.test(concrete))?.[0];
  if (match === undefined) throw new Error(`no GitHub REST operation matches ${path}`);
  templateOfPath.set(concrete, match);
  return match;
}

/**
 * Throws unless `body` is what GitHub's OpenAPI description says `method path` answers with `status`.
 * `path` may be the template (`/orgs/{org}/actions/runners`) or a concrete path.
 */
export function assertMatchesOpenApi(method: string, path: string, status: number, body: unknown): void {
  const template = templateFor(path);
  const operation = openApi.paths[template]?.[method.toLowerCase()];
  if (operation === undefined) throw new Error(`GitHub has no ${method.toUpperCase()} ${template}`);
  let response = operation.responses?.[String(status)];
  if (response === undefined) throw new Error(`${method.toUpperCase()} ${template} does not answer ${status}`);
  if (response.$ref !== undefined) {
    const name = response.$ref.replace("#/components/responses/", "");
    response = openApi.components.responses[name];
  }
  const schema = response?.content?.["application/json"]?.schema;
  if (schema === undefined) {
    if (body !== undefined && body !== "") throw new Error(`${method.toUpperCase()} ${template} ${status} has no body`);
    return;
  }
  const validate = validatorFor(`${method} ${template} ${status}`, schema);
  if (!validate(body)) {
    throw new Error(`${method.toUpperCase()} ${template} ${status} body does not match GitHub's schema: ${ajv.errorsText(validate.errors)}`);
  }
}

/** Throws unless `payload` matches a webhook schema such as `webhook-workflow-job-queued`. */
export function assertMatchesWebhookSchema(schemaName: string, payload: unknown): void {
  const validate = validatorFor(schemaName, { $ref: `#/components/schemas/${schemaName}` });
  if (!validate(payload)) throw new Error(`payload does not match ${schemaName}: ${ajv.errorsText(validate.errors)}`);
}

/** The queued workflow_job delivery under test/fixtures/github. */
export function workflowJobQueuedFixture(): Record<string, any> {
  return JSON.parse(readFileSync(new URL("../fixtures/github/workflow_job.queued.json", import.meta.url), "utf8"));
}

/**
 * The queued fixture moved on to `action` (waiting, in_progress, completed) as GitHub sends it, checked
 * against that action's webhook schema. `runnerName` names the runner that took the job.
 */
export function workflowJobFixture(
  action: "queued" | "waiting" | "in_progress" | "completed",
  options: { runnerName?: string; conclusion?: string; jobId?: number; runAttempt?: number; createdAt?: Date } = {},
): Record<string, any> {
  const payload = workflowJobQueuedFixture();
  payload.action = action;
  const job = payload.workflow_job;
  // The fixture is dated 2024 and the webhook refuses `queued` deliveries older than its replay bound:
  // a queued or waiting job is created at `createdAt`, by default the (possibly faked) current time.
  // Later actions keep the fixture's times, so their started_at - created_at stays what GitHub sent.
  if (action === "queued" || action === "waiting") job.created_at = githubTime(options.createdAt ?? new Date());
  if (options.jobId !== undefined) job.id = options.jobId;
  if (options.runAttempt !== undefined) job.run_attempt = options.runAttempt;
  job.status = action;
  if (action === "in_progress" || action === "completed") {
    Object.assign(job, {
      runner_id: 23,
      runner_name: options.runnerName ?? "sr-i-0aaaaaaaaaaaaaaa1",
      runner_group_id: 1,
      runner_group_name: "Default",
      started_at: "2024-06-11T14:03:10Z",
      steps: [{ name: "Set up job", status: action === "completed" ? "completed" : "in_progress", conclusion: action === "completed" ? "success" : null, number: 1, started_at: "2024-06-11T14:03:10Z", completed_at: action === "completed" ? "2024-06-11T14:03:12Z" : null }],
    });
  }
  if (action === "completed") Object.assign(job, { conclusion: options.conclusion ?? "success", completed_at: "2024-06-11T14:05:40Z" });
  const schema = { queued: "webhook-workflow-job-queued", waiting: "webhook-workflow-job-waiting", in_progress: "webhook-workflow-job-in-progress", completed: "webhook-workflow-job-completed" }[action];
  assertMatchesWebhookSchema(schema, payload);
  return payload;
}

/** A time as GitHub writes it in payloads: ISO 8601 without milliseconds. */
export function githubTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A throwaway GitHub App key, in the PKCS#1 PEM form GitHub hands out. */
export function generateAppPrivateKey(): string {
  return generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  }).privateKey;
}

// ---- response factories, each checked against GitHub's schema before a fake may return it ----

export function installationToken(token = "ghs_16C7e42F292c6912E7710c838347Ae178B4a"): Record<string, unknown> {
  const body = {
    token,
    expires_at: new Date(Date.now() + 60 * 60 * 1000).toISOString(),
    permissions: { administration: "write", organization_self_hosted_runners: "write" },
    repository_selection: "all",
  };
  assertMatchesOpenApi("POST", "/app/installations/{installation_id}/access_tokens", 201, body);
  return body;
}

/** GET /repos/{owner}/{repo}/pulls/{pull_number}: GitHub's own example with the refs and repository of the test. */
export function pullRequest(options: { number: number; repository: string; headRef: string; baseRef: string }): Record<string, unknown> {
  const example = structuredClone(openApi.components.examples["pull-request"]?.value) as Record<string, any>;
  example.number = options.number;
  example.head.ref = options.headRef;
  example.base.ref = options.baseRef;
  example.base.repo.full_name = options.repository;
  example.head.repo.full_name = options.repository;
  // GitHub's example predates the teams' required `type`; no reviewers requested keeps it a valid answer.
  example.requested_teams = [];
  assertMatchesOpenApi("GET", "/repos/{owner}/{repo}/pulls/{pull_number}", 200, example);
  return example;
}

/** GET /orgs/{org}/installation (or the repository form): the App's installation on an account. */
export function appInstallation(options: { id: number; appId: number; org: string; path?: string }): Record<string, unknown> {
  const { id, appId, org } = options;
  const body = {
    id,
    account: {
      login: org,
      id: 6811672,
      node_id: "MDEyOk9yZ2FuaXphdGlvbjE=",
      avatar_url: "https://avatars.githubusercontent.com/u/6811672?v=4",
      gravatar_id: "",
      url: `https://api.github.com/users/${org}`,
      html_url: `https://github.com/${org}`,
      followers_url: `https://api.github.com/users/${org}/followers`,
      following_url: `https://api.github.com/users/${org}/following{/other_user}`,
      gists_url: `https://api.github.com/users/${org}/gists{/gist_id}`,
      starred_url: `https://api.github.com/users/${org}/starred{/owner}{/repo}`,
      subscriptions_url: `https://api.github.com/users/${org}/subscriptions`,
      organizations_url: `https://api.github.com/users/${org}/orgs`,
      repos_url: `https://api.github.com/users/${org}/repos`,
      events_url: `https://api.github.com/users/${org}/events{/privacy}`,
      received_events_url: `https://api.github.com/users/${org}/received_events`,
      type: "Organization",
      site_admin: false,
    },
    repository_selection: "all",
    access_tokens_url: `https://api.github.com/app/installations/${id}/access_tokens`,
    repositories_url: "https://api.github.com/installation/repositories",
    html_url: `https://github.com/organizations/${org}/settings/installations/${id}`,
    app_id: appId,
    target_id: 6811672,
    target_type: "Organization",
    permissions: { organization_self_hosted_runners: "write", administration: "write" },
    events: ["workflow_job"],
    created_at: "2024-06-01T10:00:00Z",
    updated_at: "2024-06-01T10:00:00Z",
    single_file_name: null,
    app_slug: `self-runners-${appId}`,
    suspended_by: null,
    suspended_at: null,
  };
  assertMatchesOpenApi("GET", options.path ?? "/orgs/{org}/installation", 200, body);
  return body;
}

export interface FakeRunner {
  readonly id: number;
  readonly name: string;
  readonly status?: "online" | "offline";
  readonly busy?: boolean;
  readonly labels?: readonly string[];
}

function runnerBody(runner: FakeRunner): Record<string, unknown> {
  return {
    id: runner.id,
    runner_group_id: 1,
    name: runner.name,
    os: "linux",
    status: runner.status ?? "offline",
    busy: runner.busy ?? false,
    ephemeral: true,
    labels: (runner.labels ?? ["self-hosted"]).map((name, index) => ({
      id: index + 1,
      name,
      type: name === "self-hosted" ? "read-only" : "custom",
    })),
  };
}

export function jitConfigResponse(runner: FakeRunner, path = "/orgs/{org}/actions/runners/generate-jitconfig"): Record<string, unknown> {
  const body = { runner: runnerBody(runner), encoded_jit_config: Buffer.from(`jit-config-of-${runner.name}`).toString("base64") };
  assertMatchesOpenApi("POST", path, 201, body);
  return body;
}

export function runnersPage(
  runners: readonly FakeRunner[],
  totalCount: number,
  path = "/orgs/{org}/actions/runners",
): Record<string, unknown> {
  const body = { total_count: totalCount, runners: runners.map(runnerBody) };
  assertMatchesOpenApi("GET", path, 200, body);
  return body;
}

export function validationFailed(message: string, path: string, method = "DELETE"): Record<string, unknown> {
  const body = { message, documentation_url: "https://docs.github.com/rest/actions/self-hosted-runners", errors: [] };
  assertMatchesOpenApi(method, path, 422, body);
  return body;
}

/** A `GET /meta` answer with these webhook source ranges, checked against GitHub's schema. */
export function metaResponse(hooks: readonly unknown[]): Record<string, unknown> {
  const body = {
    verifiable_password_authentication: false,
    ssh_key_fingerprints: { SHA256_ED25519: "+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU" },
    hooks,
    web: ["192.30.252.0/22", "185.199.108.0/22"],
    api: ["192.30.252.0/22", "185.199.108.0/22"],
    git: ["192.30.252.0/22"],
  };
  assertMatchesOpenApi("GET", "/meta", 200, body);
  return body;
}

/** GitHub.com's webhook source ranges as `GET /meta` listed them (IPv4 and IPv6). */
export const GITHUB_HOOKS = ["192.30.252.0/22", "185.199.108.0/22", "140.82.112.0/20", "143.55.64.0/20", "2a0a:a440::/29", "2606:50c0::/32"] as const;
