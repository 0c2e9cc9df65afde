// The inputs as actions/cache reads them (its src/utils/actionUtils.ts), and where @actions/cache is pointed.
import * as core from "@actions/core";
import { ACTIONS_CACHE_AGENT_URL_VAR, ACTIONS_CACHE_SERVICE_V2_VAR, ACTIONS_CACHE_URL_VAR, ACTIONS_RESULTS_URL_VAR } from "../../../contracts/actions-cache.js";

/** Input names, as in actions/cache's action.yml. */
export const INPUTS = {
  path: "path",
  key: "key",
  restoreKeys: "restore-keys",
  uploadChunkSize: "upload-chunk-size",
  enableCrossOsArchive: "enableCrossOsArchive",
  failOnCacheMiss: "fail-on-cache-miss",
  lookupOnly: "lookup-only",
} as const;

export const OUTPUTS = { cacheHit: "cache-hit", primaryKey: "cache-primary-key", matchedKey: "cache-matched-key" } as const;

/** State the main step leaves for the post step (actions/cache's names, plus the post marker). */
export const STATE = { primaryKey: "CACHE_KEY", matchedKey: "CACHE_RESULT", isPost: "isPost" } as const;

export function inputAsArray(name: string, options?: core.InputOptions): string[] {
  return core
    .getInput(name, options)
    .split("\n")
    .map((line) => line.replace(/^!\s+/, "!").trim())
    .filter((line) => line !== "");
}

export function inputAsBool(name: string): boolean {
  return core.getInput(name).toLowerCase() === "true";
}

export function inputAsInt(name: string): number | undefined {
  const value = Number.parseInt(core.getInput(name), 10);
  return Number.isNaN(value) || value < 0 ? undefined : value;
}

/** actions/cache's rule: keys compare case-insensitively (accents count). */
export function isExactKeyMatch(key: string, cacheKey: string | undefined): boolean {
  return cacheKey !== undefined && cacheKey !== "" && cacheKey.localeCompare(key, undefined, { sensitivity: "accent" }) === 0;
}

/** A cache needs a branch or tag ref to scope to (actions/cache refuses other events the same way). */
export function isValidEvent(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.GITHUB_REF);
}

/**
 * Points @actions/cache (which reads these variables on every call) at the runner's cache agent when
 * the bootstrap recorded one: the v2 service (github.com) and the v1 service (the client's only one on
 * GitHub Enterprise Server) alike. Elsewhere (GitHub-hosted runners, other fleets) it keeps GitHub's
 * cache. Returns the agent's URL, or undefined.
 */
export function pointAtAgent(env: NodeJS.ProcessEnv): string | undefined {
  const agent = env[ACTIONS_CACHE_AGENT_URL_VAR]?.trim();
  if (!agent) return undefined;
  const base = agent.endsWith("/") ? agent : `${agent}/`;
  env[ACTIONS_RESULTS_URL_VAR] = base;
  env[ACTIONS_CACHE_URL_VAR] = base;
  env[ACTIONS_CACHE_SERVICE_V2_VAR] = "true";
  return base;
}
