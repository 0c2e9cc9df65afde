/**
 * What the runner bootstrap sets up for the build cache (stacks/templates/runner-bootstrap*.sh.tftpl):
 * the agent's environment file (contracts/build-cache.ts CACHE_AGENT_ENV) and, per protocol served, the
 * settings each client reads, so builds use the cache without per-repository set-up (docs/build-cache.md).
 */
import { BUILD_CACHE_PROTOCOLS, CACHE_AGENT_ENV, CACHE_AGENT_OBJECT_KEY, type BuildCacheProtocol } from "../../contracts/build-cache.js";

/** Where the agent listens: loopback only. */
export const CACHE_AGENT_URL = `http://127.0.0.1:${CACHE_AGENT_ENV.port.default}`;

/**
 * A token the clients insist on (turbo enables its remote cache only with a token and a team). Not a
 * secret: the agent listens on loopback and signs its own calls with the instance's role.
 */
const LOOPBACK_TOKEN = "self-runners";

/**
 * The runner `.env` lines per protocol. `actions` gets its redirect from the actions fragment of the
 * bootstrap; Bazel and Gradle read files (BAZELRC_LINE, GRADLE_INIT_SCRIPT), not the environment.
 */
export const CACHE_CLIENT_ENV: Readonly<Record<BuildCacheProtocol, Readonly<Record<string, string>>>> = {
  actions: {},
  turborepo: { TURBO_API: CACHE_AGENT_URL, TURBO_TOKEN: LOOPBACK_TOKEN, TURBO_TEAM: LOOPBACK_TOKEN },
  nx: { NX_SELF_HOSTED_REMOTE_CACHE_SERVER: CACHE_AGENT_URL },
  bazel: {},
  gradle: {},
  // ccache (4.4+) speaks plain HTTP GET/PUT; the URL is for sccache (webdav) and hand-written scripts.
  http: { SELF_RUNNERS_CACHE_HTTP_URL: `${CACHE_AGENT_URL}/http/`, CCACHE_REMOTE_STORAGE: `${CACHE_AGENT_URL}/http|layout=flat` },
};

/** `~/.bazelrc` of the runner user: Bazel's HTTP cache (`/ac/`, `/cas/` below the URL). */
export const BAZELRC_LINE = `build --remote_cache=${CACHE_AGENT_URL}`;

/** `~/.gradle/init.d/self-runners-cache.gradle` of the runner user: Gradle's HTTP build cache, pushing. */
export const GRADLE_INIT_SCRIPT = `gradle.settingsEvaluated { s -> s.buildCache { remote(HttpBuildCache) { url = "${CACHE_AGENT_URL}/cache/"; push = true; allowInsecureProtocol = true } } }`;

/** The bootstrap's template variables of the build cache; every value may be a Terraform expression. */
export interface CacheBootstrapSettings {
  /** Key of the agent bundle in the runner binaries bucket; "" with the build cache off. */
  readonly agentKey: string;
  /** The agent's environment file, one `NAME=value` a line. */
  readonly agentEnvironment: string;
  /** JSON list of the protocols served. */
  readonly protocols: string;
}

/** The settings of a deployment without the build cache: the bootstrap skips the whole step. */
export const NO_BUILD_CACHE: CacheBootstrapSettings = { agentKey: "", agentEnvironment: "", protocols: "[]" };

/** The settings of a deployment with the build cache at `functionUrl` in `region`, serving `protocols` (JSON). */
export function cacheBootstrapSettings(functionUrl: string, region: string, protocols: string): CacheBootstrapSettings {
  const env = CACHE_AGENT_ENV;
  const agentEnvironment = [`${env.functionUrl.name}=${functionUrl}`, `${env.region.name}=${region}`, `${env.port.name}=${env.port.default}`, `${env.protocols.name}=${protocols}`].join("\n");
  return { agentKey: CACHE_AGENT_OBJECT_KEY, agentEnvironment, protocols };
}

/** The clients' `.env` lines, each after the protocol that needs it: `<protocol> NAME=value` (the bootstrap keeps those served). */
export function cacheClientLines(): string {
  return BUILD_CACHE_PROTOCOLS.flatMap((protocol) => Object.entries(CACHE_CLIENT_ENV[protocol]).map(([name, value]) => `${protocol} ${name}=${value}`)).join("\n");
}
