import { createHash } from "node:crypto";
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/core";
import type { OctokitOptions } from "@octokit/core";
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { enterpriseAccessFor } from "../config.js";
import type { GitHubAppConfig, RunnerScope } from "../config.js";
import { childLogger } from "../logger.js";
import { getSecureString } from "../params.js";
import { observeBudget } from "./observed-budgets.js";
import { observeWriteBlock } from "./write-blocks.js";

const log = childLogger("github");

/** How many times a request hitting the primary or secondary rate limit is retried before failing. */
export const RATE_LIMIT_RETRIES = 2;

/**
 * The longest rate-limit wait worth spending inside an invocation. GitHub asks for 60 s after a
 * secondary limit and up to an hour until a primary reset: waiting that long runs the function past
 * its timeout (scale-up: 30 s), which leaves launched instances behind and holds the batch until its
 * visibility timeout. Beyond this the request fails at once and the job waits on the queue instead
 * (scale-up defers it until the recorded budget resets, or backs off).
 */
export const MAX_RATE_LIMIT_WAIT_SECONDS = 5;

/**
 * GitHub ends a REST request it has processed for this long and answers a 5xx "Server Error" (GitHub
 * Docs, "Troubleshooting the REST API", Timeouts); it may change the window without notice.
 */
export const GITHUB_SERVER_TIMEOUT_SECONDS = 10;

/**
 * Every Octokit default of the kit, in one checked object.
 * - retry: 5xx and network errors are retried 3 times with the plugin's quadratic back-off; 4xx are
 *   answers, never retried (422 on delete means "runner busy" and must reach the caller). 429 is a
 *   rate limit: only the throttling plugin may retry it, after `retry-after`, never the retry plugin
 *   a second later (GitHub may ban integrations that keep calling while limited).
 * - throttle: rate-limited requests wait for `retry-after` and retry up to RATE_LIMIT_RETRIES times,
 *   only when the wait is at most MAX_RATE_LIMIT_WAIT_SECONDS; longer waits fail the request at once.
 *   The plugin also starts mutating calls 1 s apart per execution environment, as GitHub asks in its
 *   best practices to avoid secondary rate limits; scale-up's JIT POSTs are paced by the shared write
 *   governor instead, across every environment (`writesGoverned`).
 */
export const OCTOKIT_DEFAULTS = {
  userAgent: "self-runners",
  retry: {
    retries: 3,
    doNotRetry: [400, 401, 403, 404, 409, 410, 422, 429, 451],
  },
  throttle: {
    onRateLimit: (retryAfter, options, _octokit, retryCount) => {
      log.warn("rate limit hit", { method: options.method, url: options.url, retryAfter, retryCount });
      return retryCount < RATE_LIMIT_RETRIES && retryAfter <= MAX_RATE_LIMIT_WAIT_SECONDS;
    },
    onSecondaryRateLimit: (retryAfter, options, _octokit, retryCount) => {
      log.warn("secondary rate limit hit", { method: options.method, url: options.url, retryAfter, retryCount });
      return retryCount < RATE_LIMIT_RETRIES && retryAfter <= MAX_RATE_LIMIT_WAIT_SECONDS;
    },
  },
  // Per attempt: beyond GitHub's own processing timeout, so that a slow answer, or GitHub's timeout
  // answer (a 5xx, retried), comes before our abort (at exactly 10 s, a GitHub answering in 10-15 s lost
  // every call: docs/reliability.md, "A slow GitHub"); a call that hangs still ends.
  requestTimeoutMs: (GITHUB_SERVER_TIMEOUT_SECONDS + 5) * 1000,
} as const satisfies {
  userAgent: string;
  retry: NonNullable<OctokitOptions["retry"]>;
  throttle: NonNullable<OctokitOptions["throttle"]>;
  requestTimeoutMs: number;
};

const SelfRunnersOctokit = Octokit.plugin(throttling, retry);
export type GitHubClient = InstanceType<typeof SelfRunnersOctokit>;

export interface InstallationOctokitOptions {
  readonly appId: number;
  /** PEM private key of the GitHub App. */
  readonly privateKey: string;
  readonly installationId: number;
  /** REST API root, e.g. `https://api.github.com` or `https://ghes.example.com/api/v3`. */
  readonly baseUrl: string;
  /** Transport override; tests may script requests through it. Defaults to the global fetch. */
  readonly fetch?: typeof globalThis.fetch;
  /**
   * The caller paces its writes with the shared GitHub write governor (scale-up's JIT POSTs,
   * lambdas/libs/governor), so the throttling plugin must not also space them a second apart per
   * execution environment. Its Retry-After and secondary-limit handling stays, and so does its bound of
   * 10 requests in flight per environment.
   * @default false
   */
  readonly writesGoverned?: boolean;
}

/**
 * Stands in for the throttling plugin's write group (one write at a time, 1 s apart, per environment)
 * in clients whose writes the shared governor paces across every environment. The plugin takes a
 * client's own write group (its `write` option, a Bottleneck group) but has no switch to turn the
 * pacing off alone; this group schedules each write at once, and is all it needs of one.
 */
const UNPACED_WRITES = {
  key: () => ({ schedule: <T>(_options: unknown, task: () => Promise<T>): Promise<T> => task() }),
} as unknown as NonNullable<ThrottlingWrite>;
type ThrottlingWrite = Extract<NonNullable<OctokitOptions["throttle"]>, { onRateLimit: unknown }>["write"];

// One client per installation for the life of the execution environment: auth-app caches the
// installation token inside the instance and renews it shortly before it expires, so warm invocations
// reuse the token instead of minting one per call.
const clients = new Map<string, GitHubClient>();

/** The Octokit for one installation of the app, built once and cached at module scope. */
export function installationOctokit(options: InstallationOctokitOptions): GitHubClient {
  // The key fingerprints the private key so a rotated key gets a fresh client.
  const keyFingerprint = createHash("sha256").update(options.privateKey).digest("hex").slice(0, 16);
  const governed = options.writesGoverned === true;
  const cacheKey = [options.baseUrl, options.appId, options.installationId, keyFingerprint, governed ? "governed" : "paced"].join("|");
  let client = clients.get(cacheKey);
  if (client === undefined) {
    const defaults = defaultOptions(options.baseUrl, options.fetch);
    client = new SelfRunnersOctokit({
      ...defaults,
      ...(governed ? { throttle: { ...OCTOKIT_DEFAULTS.throttle, write: UNPACED_WRITES } } : {}),
      authStrategy: createAppAuth,
      auth: {
        appId: options.appId,
        privateKey: options.privateKey,
        installationId: options.installationId,
      },
    });
    const { appId, installationId } = options;
    // Every answer carries the installation's remaining budget; scale-up slows down on it.
    client.hook.after("request", (response) => observeBudget(appId, installationId, response.headers));
    client.hook.error("request", (error) => {
      const headers = (error as { response?: { headers?: Record<string, unknown> } }).response?.headers;
      if (headers !== undefined) observeBudget(appId, installationId, headers);
      observeWriteBlock(appId, error);
      throw error;
    });
    clients.set(cacheKey, client);
  }
  return client;
}

const appClients = new Map<string, GitHubClient>();

/** The Octokit acting as the App itself (JWT), for installation lookups; cached like the others. */
export function appOctokit(options: Omit<InstallationOctokitOptions, "installationId">): GitHubClient {
  const keyFingerprint = createHash("sha256").update(options.privateKey).digest("hex").slice(0, 16);
  const cacheKey = [options.baseUrl, options.appId, keyFingerprint].join("|");
  let client = appClients.get(cacheKey);
  if (client === undefined) {
    client = new SelfRunnersOctokit({
      baseUrl: options.baseUrl,
      userAgent: OCTOKIT_DEFAULTS.userAgent,
      retry: { ...OCTOKIT_DEFAULTS.retry, doNotRetry: [...OCTOKIT_DEFAULTS.retry.doNotRetry] },
      throttle: { ...OCTOKIT_DEFAULTS.throttle },
      request: { fetch: withTimeout(options.fetch ?? globalThis.fetch, OCTOKIT_DEFAULTS.requestTimeoutMs) },
      authStrategy: createAppAuth,
      auth: { appId: options.appId, privateKey: options.privateKey },
    });
    appClients.set(cacheKey, client);
  }
  return client;
}

const tokenClients = new Map<string, GitHubClient>();

/**
 * The Octokit acting with a token (enterprise scope: a classic token with `manage_runners:enterprise`),
 * with the kit's defaults; cached per API root and token fingerprint, so a rotated token gets a new client.
 */
export function tokenOctokit(options: { readonly token: string; readonly baseUrl: string; readonly fetch?: typeof globalThis.fetch }): GitHubClient {
  const cacheKey = [options.baseUrl, createHash("sha256").update(options.token).digest("hex").slice(0, 16)].join("|");
  let client = tokenClients.get(cacheKey);
  if (client === undefined) {
    // Octokit's default strategy (@octokit/auth-token) sends a plain string as the bearer token.
    client = new SelfRunnersOctokit({ ...defaultOptions(options.baseUrl, options.fetch), auth: options.token });
    tokenClients.set(cacheKey, client);
  }
  return client;
}

/**
 * The client for runner registrations (list, JIT config, delete) in `scope`: the App installation's in
 * repo and org scope; in enterprise scope the enterprise token's (read from SSM, cached), whatever the
 * installation, because GitHub refuses installation tokens on the enterprise runner endpoints.
 */
export function runnerClientProvider(
  app: GitHubAppConfig,
  scope: RunnerScope,
  installations: InstallationClientProvider,
  fetchImpl?: typeof globalThis.fetch,
): InstallationClientProvider {
  const enterprise = enterpriseAccessFor(scope, app);
  if (enterprise === undefined) return installations;
  return async () =>
    tokenOctokit({ token: await getSecureString(enterprise.tokenParameter), baseUrl: app.apiUrl, ...(fetchImpl === undefined ? {} : { fetch: fetchImpl }) });
}

export interface UnauthenticatedOctokitOptions {
  /** REST API root, e.g. `https://api.github.com` or `https://ghes.example.com/api/v3`. */
  readonly baseUrl: string;
  /** Transport override; tests may script requests through it. Defaults to the global fetch. */
  readonly fetch?: typeof globalThis.fetch;
}

/**
 * An Octokit without credentials, for the few endpoints GitHub answers anonymously (`GET /meta`),
 * with the same retry, throttling and timeout defaults as the App's clients. Anonymous calls count
 * against the caller IP's own rate limit (60 an hour on github.com), so it is for rare reads only.
 */
export function unauthenticatedOctokit(options: UnauthenticatedOctokitOptions): GitHubClient {
  return new SelfRunnersOctokit(defaultOptions(options.baseUrl, options.fetch));
}

/** The options every client of the kit is built with (OCTOKIT_DEFAULTS), for one API root. */
function defaultOptions(baseUrl: string, fetchImpl: typeof globalThis.fetch | undefined): OctokitOptions {
  return {
    baseUrl,
    userAgent: OCTOKIT_DEFAULTS.userAgent,
    retry: { ...OCTOKIT_DEFAULTS.retry, doNotRetry: [...OCTOKIT_DEFAULTS.retry.doNotRetry] },
    throttle: { ...OCTOKIT_DEFAULTS.throttle },
    request: { fetch: withTimeout(fetchImpl ?? globalThis.fetch, OCTOKIT_DEFAULTS.requestTimeoutMs) },
  };
}

/** Gives every HTTP call its own deadline; Octokit has no timeout option, only an AbortSignal. */
function withTimeout(fetchImpl: typeof globalThis.fetch, timeoutMs: number): typeof globalThis.fetch {
  return (input, init) => {
    const signal = init?.signal ?? AbortSignal.timeout(timeoutMs);
    // A retry after the caller's own deadline (one signal for every attempt) ends as an abort, which
    // Octokit's retry plugin passes on; a timeout is a 500 to it, retried 4 and 9 s later for nothing.
    if (signal.aborted) return Promise.reject(Object.assign(new Error("the request's deadline passed before this attempt"), { name: "AbortError" }));
    return fetchImpl(input, { ...init, signal });
  };
}

/** Forgets every cached client (tests, or after a credential problem). */
export function clearOctokitCache(): void {
  clients.clear();
  tokenClients.clear();
  appClients.clear();
  installationIds.clear();
}

// Promises, not ids: the runners of one batch register concurrently, and they share one lookup.
const installationIds = new Map<string, Promise<number>>();

/**
 * The installation of `appId` on a registration target (org, or `owner/repo`): GET
 * /orgs/{org}/installation or /repos/{owner}/{repo}/installation as the App. Cached for the life of
 * the execution environment (a failed lookup is forgotten); an App that is not installed there
 * answers 404 and is skipped by callers.
 */
export async function installationIdFor(
  app: { readonly appId: number; readonly privateKeyParameter: string; readonly apiUrl: string },
  target: { readonly scope: "repo" | "org"; readonly owner: string },
  fetchImpl?: typeof globalThis.fetch,
): Promise<number> {
  const cacheKey = `${app.appId}|${target.scope}|${target.owner}`;
  const cached = installationIds.get(cacheKey);
  if (cached !== undefined) return cached;
  const lookup = (async () => {
    const octokit = appOctokit({
      appId: app.appId,
      privateKey: await getSecureString(app.privateKeyParameter),
      baseUrl: app.apiUrl,
      ...(fetchImpl === undefined ? {} : { fetch: fetchImpl }),
    });
    const [owner, repo] = target.owner.split("/");
    const response =
      target.scope === "org"
        ? await octokit.request("GET /orgs/{org}/installation", { org: target.owner })
        : await octokit.request("GET /repos/{owner}/{repo}/installation", { owner: owner ?? "", repo: repo ?? "" });
    return response.data.id;
  })();
  installationIds.set(cacheKey, lookup);
  lookup.catch(() => installationIds.delete(cacheKey));
  return lookup;
}

/** Resolves the Octokit of an installation for the app described by GITHUB_APP_* (key read from SSM, cached). */
export type InstallationClientProvider = (installationId: number) => Promise<GitHubClient>;

export function installationClientProvider(
  app: GitHubAppConfig,
  fetchImpl?: typeof globalThis.fetch,
): InstallationClientProvider {
  return async (installationId) =>
    installationOctokit({
      appId: app.appId,
      privateKey: await getSecureString(app.privateKeyParameter),
      installationId,
      baseUrl: app.apiUrl,
      ...(fetchImpl === undefined ? {} : { fetch: fetchImpl }),
    });
}
