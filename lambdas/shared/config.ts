import type { EnvContract, EnvType, EnvValues, EnvVariable, JsonShape } from "../../contracts/env.js";
import { GITHUB_APP_ENV } from "../../contracts/common.js";
import type { RunnerScope } from "../../contracts/common.js";
import { ConfigError, InvalidEnvError, MissingEnvError } from "./errors.js";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads every variable of `contract` from `env`: a typed object keyed like the contract, or ONE error
 * naming the first variable that is missing (MissingEnvError) or malformed (InvalidEnvError).
 * With the config modules' `env = process.env` defaults, the only reader of process.env in lambdas/
 * (test/architecture.test.ts); Powertools reads its own POWERTOOLS_* variables.
 */
export function parseEnv<const C extends EnvContract>(contract: C, env: Env = process.env): EnvValues<C> {
  // Object.fromEntries loses the key types; the values are built by type from the same contract.
  return Object.fromEntries(Object.entries(contract).map(([key, variable]) => [key, parseVariable(variable, env[variable.name])])) as never;
}

function parseVariable(variable: EnvVariable, raw: string | undefined): unknown {
  if (raw === undefined || raw === "") {
    if (variable.required) throw new MissingEnvError(variable.name);
    return variable.default;
  }
  return parseValue(variable.name, variable.type, raw);
}

function parseValue(name: string, type: EnvType, raw: string): unknown {
  switch (type.kind) {
    case "string":
      return raw;
    case "url": {
      const trimmed = raw.replace(/\/+$/, "");
      try {
        new URL(trimmed);
      } catch (error) {
        throw new InvalidEnvError(name, `expected a URL, got "${trimmed}"`, { cause: error });
      }
      return trimmed;
    }
    case "integer": {
      // Zero only where the contract allows it (integer(0): "0 turns it off").
      if (!/^\d+$/.test(raw.trim()) || (Number(raw) <= 0 && type.min > 0)) throw new InvalidEnvError(name, `expected a ${type.min > 0 ? "positive" : "non-negative"} integer, got "${raw}"`);
      const value = Number(raw);
      if (value < type.min) throw new InvalidEnvError(name, `expected at least ${type.min}, got ${value}`);
      if (type.max !== undefined && value > type.max) throw new InvalidEnvError(name, `expected at most ${type.max}, got ${value}`);
      return value;
    }
    case "boolean":
    case "enum": {
      const allowed = type.kind === "boolean" ? ["true", "false"] : type.values;
      if (!allowed.includes(raw)) throw new InvalidEnvError(name, `expected one of ${allowed.join(", ")}, got "${raw}"`);
      return type.kind === "boolean" ? raw === "true" : raw;
    }
    case "json":
      return parseJson(name, type.shape, raw);
  }
}

/** Parses a JSON variable and checks it against `shape`; shape errors name the path inside the document. */
function parseJson(name: string, shape: JsonShape, raw: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new InvalidEnvError(name, "not valid JSON", { cause: error });
  }
  return new JsonReader(name, parsed, "$").shape(shape);
}

/** A cursor into a parsed JSON document whose errors name the variable and the path. */
export class JsonReader {
  constructor(
    private readonly variable: string,
    readonly value: unknown,
    readonly path: string,
  ) {}

  fail(reason: string): never {
    throw new InvalidEnvError(this.variable, `${this.path}: ${reason}`);
  }

  /** The entries of an object, as readers, in sorted key order. */
  entries(): Array<[string, JsonReader]> {
    const object = this.object();
    return Object.keys(object)
      .sort()
      .map((key) => [key, new JsonReader(this.variable, object[key], `${this.path}.${key}`)]);
  }

  field(key: string): JsonReader {
    return new JsonReader(this.variable, this.object()[key], `${this.path}.${key}`);
  }

  optionalField(key: string): JsonReader | undefined {
    const value = this.object()[key];
    return value === undefined || value === null ? undefined : this.field(key);
  }

  string(): string {
    if (typeof this.value !== "string" || this.value === "") this.fail("expected a non-empty string");
    return this.value;
  }

  boolean(): boolean {
    if (typeof this.value !== "boolean") this.fail("expected a boolean");
    return this.value;
  }

  integer(minimum = 0): number {
    if (typeof this.value !== "number" || !Number.isInteger(this.value) || this.value < minimum) {
      this.fail(`expected an integer >= ${minimum}`);
    }
    return this.value;
  }

  /** The value, checked against a contract's shape (contracts/env.ts). */
  shape(shape: JsonShape): unknown {
    switch (shape.kind) {
      case "string":
        return this.string();
      case "text":
        if (typeof this.value !== "string") this.fail("expected a string");
        return this.value;
      case "integer":
        return this.integer(shape.min);
      case "boolean":
        return this.boolean();
      case "strings":
        return this.strings();
      case "list":
        return this.items().map((item) => item.shape(shape.item));
      case "map":
        return Object.fromEntries(this.entries().map(([key, value]) => [key, value.shape(shape.value)]));
      case "object":
        return Object.fromEntries(
          Object.entries(shape.fields).map(([key, field]) => {
            if (!field.optional) return [key, this.field(key).shape(field.shape)];
            const value = this.optionalField(key);
            return [key, value === undefined ? field.default : value.shape(field.shape)];
          }),
        );
    }
  }

  /** The items of an array (possibly empty), as readers. */
  items(): JsonReader[] {
    if (!Array.isArray(this.value)) this.fail("expected an array");
    return (this.value as unknown[]).map((_, index) => this.item(index));
  }

  /** A non-empty array of non-empty strings. */
  strings(): string[] {
    if (!Array.isArray(this.value) || this.value.length === 0) this.fail("expected a non-empty array of strings");
    return this.value.map((_, index) => this.item(index).string());
  }

  private item(index: number): JsonReader {
    return new JsonReader(this.variable, (this.value as unknown[])[index], `${this.path}[${index}]`);
  }

  private object(): Record<string, unknown> {
    if (typeof this.value !== "object" || this.value === null || Array.isArray(this.value)) {
      this.fail("expected an object");
    }
    return this.value as Record<string, unknown>;
  }
}

export type { RunnerScope };
export { RUNNER_SCOPES } from "../../contracts/common.js";

/** One more GitHub App installed on the same owners, to raise the API ceiling (round robin). */
export interface AdditionalGitHubApp {
  readonly appId: number;
  /** SSM SecureString holding its PEM private key. */
  readonly privateKeyParameter: string;
}

/** The GitHub App the scale-up and reconcile functions act as. */
export interface GitHubAppConfig {
  readonly appId: number;
  /** SSM SecureString holding the PEM private key. */
  readonly privateKeyParameter: string;
  readonly apiUrl: string;
  /** ADDITIONAL_GITHUB_APPS: more Apps for JIT configs; the primary App still receives the webhooks. */
  readonly additionalApps: readonly AdditionalGitHubApp[];
  /** Enterprise scope only: the enterprise and the token that manages its runners. */
  readonly enterprise?: EnterpriseRunnerAccess;
}

/** An enterprise's runner endpoints and the classic token (`manage_runners:enterprise`) they take. */
export interface EnterpriseRunnerAccess {
  readonly slug: string;
  /** SSM SecureString holding the token. */
  readonly tokenParameter: string;
}

export function gitHubAppConfigFromEnv(env: Env = process.env): GitHubAppConfig {
  const app = parseEnv(GITHUB_APP_ENV, env);
  return {
    appId: app.githubAppId,
    privateKeyParameter: app.githubAppPrivateKeySsmParameterName,
    apiUrl: app.githubApiUrl,
    additionalApps: app.additionalGithubApps ?? [],
    ...(app.enterpriseSlug === undefined || app.enterpriseTokenSsmParameterName === undefined
      ? {}
      : { enterprise: { slug: app.enterpriseSlug, tokenParameter: app.enterpriseTokenSsmParameterName } }),
  };
}

/**
 * The enterprise access a function in `scope` needs: required in enterprise scope (the plan refuses
 * enterprise scope without enterprise_slug and its token, so a miss here is a hand-built environment).
 */
export function enterpriseAccessFor(scope: RunnerScope, app: GitHubAppConfig): EnterpriseRunnerAccess | undefined {
  if (scope !== "enterprise") return undefined;
  if (app.enterprise === undefined) {
    throw new ConfigError("RUNNER_SCOPE=enterprise needs ENTERPRISE_SLUG and ENTERPRISE_TOKEN_SSM_PARAMETER_NAME");
  }
  return app.enterprise;
}
