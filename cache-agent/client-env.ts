import type { BuildCacheProtocol } from "../contracts/build-cache.js";

/**
 * The environment each client reads to use the agent at `url`, for the protocols it serves: what the
 * bootstrap appends to the runner's `.env` (`node cache-agent.js --print-env`). The tokens are
 * placeholders: the clients insist on one, the agent (loopback only) needs none.
 */
export function clientEnvironment(url: string, protocols: readonly BuildCacheProtocol[]): Record<string, string> {
  const env: Record<string, string> = {};
  const on = new Set(protocols);
  if (on.has("actions")) {
    env.ACTIONS_CACHE_SERVICE_V2 = "true";
    env.ACTIONS_RESULTS_URL = `${url}/`;
    // The legacy service, which @actions/cache still uses on GitHub Enterprise Server.
    env.ACTIONS_CACHE_URL = `${url}/`;
  }
  if (on.has("turborepo")) {
    env.TURBO_API = url;
    env.TURBO_TOKEN = "self-runners";
    env.TURBO_TEAM = "self-runners";
  }
  if (on.has("nx")) {
    env.NX_SELF_HOSTED_REMOTE_CACHE_SERVER = url;
    env.NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN = "self-runners";
  }
  return env;
}
