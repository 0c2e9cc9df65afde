import { InvalidEnvError, MissingEnvError } from "./errors.js";

type Env = Readonly<Record<string, string | undefined>>;

/** The value of `name`; throws MissingEnvError when it is unset or empty. */
export function requireEnv(name: string, env: Env = process.env): string {
  const value = env[name];
  if (value === undefined || value === "") throw new MissingEnvError(name);
  return value;
}

/** The value of `name`, or `fallback` when it is unset or empty. */
export function optionalEnv(name: string, fallback: string, env: Env = process.env): string {
  const value = env[name];
  return value === undefined || value === "" ? fallback : value;
}

/** A positive integer from `name`, or `fallback` when unset. */
export function positiveIntEnv(name: string, fallback: number, env: Env = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) <= 0) {
    throw new InvalidEnvError(name, `expected a positive integer, got "${raw}"`);
  }
  return Number(raw);
}

/** One of `allowed` from `name`. */
export function enumEnv<T extends string>(name: string, allowed: readonly T[], env: Env = process.env): T {
  const value = requireEnv(name, env);
  if (!(allowed as readonly string[]).includes(value)) {
    throw new InvalidEnvError(name, `expected one of ${allowed.join(", ")}, got "${value}"`);
  }
  return value as T;
}

/**
 * Parses the JSON in `name` and hands it to `read`, which checks its shape with a {@link JsonReader}.
 * Every error names the variable and, for shape errors, the path inside the document.
 */
export function jsonEnv<T>(name: string, read: (reader: JsonReader) => T, env: Env = process.env): T {
  const raw = requireEnv(name, env);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new InvalidEnvError(name, "not valid JSON", { cause: error });
  }
  return read(new JsonReader(name, parsed, "$"));
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

/** `repo` or `org`: where runners are registered (docs/contracts.md, RUNNER_SCOPE). */
export type RunnerScope = "repo" | "org";
export const RUNNER_SCOPES: readonly RunnerScope[] = ["repo", "org"];

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
  /** GITHUB_ADDITIONAL_APPS: more Apps for JIT configs; the primary App still receives the webhooks. */
  readonly additionalApps: readonly AdditionalGitHubApp[];
}

export const DEFAULT_GITHUB_API_URL = "https://api.github.com";

export function gitHubAppConfigFromEnv(env: Env = process.env): GitHubAppConfig {
  const rawAppId = requireEnv("GITHUB_APP_ID", env);
  if (!/^\d+$/.test(rawAppId)) throw new InvalidEnvError("GITHUB_APP_ID", `expected a numeric app id, got "${rawAppId}"`);
  const apiUrl = gitHubApiUrlFromEnv(env);
  return {
    appId: Number(rawAppId),
    privateKeyParameter: requireEnv("GITHUB_APP_KEY_PARAMETER", env),
    apiUrl,
    additionalApps:
      env.GITHUB_ADDITIONAL_APPS === undefined || env.GITHUB_ADDITIONAL_APPS === ""
        ? []
        : jsonEnv(
            "GITHUB_ADDITIONAL_APPS",
            (reader) =>
              reader.items().map((app) => ({
                appId: app.field("appId").integer(1),
                privateKeyParameter: app.field("privateKeyParameter").string(),
              })),
            env,
          ),
  };
}

/** GITHUB_API_URL without trailing slashes, or api.github.com when unset. */
export function gitHubApiUrlFromEnv(env: Env = process.env): string {
  const apiUrl = optionalEnv("GITHUB_API_URL", DEFAULT_GITHUB_API_URL, env).replace(/\/+$/, "");
  try {
    new URL(apiUrl);
  } catch (error) {
    throw new InvalidEnvError("GITHUB_API_URL", `expected a URL, got "${apiUrl}"`, { cause: error });
  }
  return apiUrl;
}
