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
  components: { responses: Record<string, { content?: Record<string, { schema?: unknown }> }> };
}

const require = createRequire(import.meta.url);
const documentPath = require.resolve("@octokit/openapi/generated/api.github.com.json");
const openApi = JSON.parse(readFileSync(documentPath, "utf8")) as OpenApiDocument;

// GitHub's description is OpenAPI 3.0: `nullable` is understood by Ajv; vendor keywords (x-github, example) are not errors.
const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
addFormats(ajv);
ajv.addSchema({ $id: "github-openapi.json", components: openApi.components });
const validators = new Map<string, ValidateFunction>();

function validatorFor(pointer: string, schema: unknown): ValidateFunction {
  let validate = validators.get(pointer);
  if (validate === undefined) {
    // Local refs ("#/components/...") must resolve against the registered document.
    const rebased = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"github-openapi.json#/components/'));
    validate = ajv.compile(rebased);
    validators.set(pointer, validate);
  }
  return validate;
}

function templateFor(path: string): string {
  if (openApi.paths[path] !== undefined) return path;
  const concrete = path.split("?")[0] ?? path;
  const match = Object.keys(openApi.paths).find((template) => {
    const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}$`);
    return pattern.test(concrete);
  });
  if (match === undefined) throw new Error(`no GitHub REST operation matches ${path}`);
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
