/**
 * What the runner bootstrap sets up for the build cache (stacks/templates/runner-bootstrap*.sh.tftpl):
 * the agent's environment file (contracts/build-cache.ts CACHE_AGENT_ENV) and the files Bazel and Gradle
 * read. The clients' environment variables come from the agent itself (`cache-agent.js --print-env`,
 * cache-agent/client-env.ts), so builds use the cache without per-repository set-up (docs/build-cache.md).
 */
import { CACHE_AGENT_ENV, CACHE_AGENT_OBJECT_KEY } from "../../contracts/build-cache.js";
import { Fn, Token } from "../cdktf.js";

/** Where the agent listens: loopback only. */
export const CACHE_AGENT_URL = `http://127.0.0.1:${CACHE_AGENT_ENV.port.default}`;

/** `~/.bazelrc` of the runner user: Bazel's HTTP cache (`/ac/`, `/cas/` below the URL). */
export const BAZELRC_LINE = `build --remote_cache=${CACHE_AGENT_URL}`;

/**
 * `~/.gradle/init.d/self-runners-cache.gradle` of the runner user: Gradle's HTTP build cache, pushing. No
 * double quotes: the module's HCL carries it as a plain string (cdktf does not escape them).
 */
export const GRADLE_INIT_SCRIPT = `gradle.settingsEvaluated { s -> s.buildCache { remote(HttpBuildCache) { url = '${CACHE_AGENT_URL}/cache/'; push = true; allowInsecureProtocol = true } } }`;

/**
 * Key, in the runner binaries bucket, of the Actions cache redirect (stacks/templates/actions-cache-redirect.sh,
 * docs/build-cache-actions.md): downloaded at boot next to the agent rather than inlined, since its 5.6 KB
 * would push the Ubuntu user data past EC2's 16 KB.
 */
export const ACTIONS_REDIRECT_OBJECT_KEY = `${CACHE_AGENT_OBJECT_KEY.slice(0, CACHE_AGENT_OBJECT_KEY.lastIndexOf("/") + 1)}actions-cache-redirect.sh`;

/** The bootstrap's template variables of the build cache; every value may be a Terraform expression. */
export interface CacheBootstrapSettings {
  /** Key of the agent bundle in the runner binaries bucket; "" with the build cache off. */
  readonly agentKey: string;
  /** Key of the Actions cache redirect in the same bucket; "" with the build cache off. */
  readonly redirectKey: string;
  /** The GitHub API URL: the redirect differs for github.com, GitHub Enterprise Server and GHE.com. */
  readonly githubApiUrl: string;
  /** The agent's environment file, one `NAME=value` a line. */
  readonly agentEnvironment: string;
  /** JSON list of the protocols served. */
  readonly protocols: string;
}

/** The settings of a deployment without the build cache: the bootstrap skips the whole step. */
export const NO_BUILD_CACHE: CacheBootstrapSettings = { agentKey: "", redirectKey: "", githubApiUrl: "", agentEnvironment: "", protocols: "[]" };

/**
 * The settings of a deployment with the build cache at `functionUrl` in `region`, serving `protocols` (a
 * JSON list, as a `jsonencode()` expression: a literal's double quotes would break the HCL of the user data),
 * for GitHub at `githubApiUrl`.
 */
export function cacheBootstrapSettings(functionUrl: string, region: string, protocols: string, githubApiUrl: string): CacheBootstrapSettings {
  const env = CACHE_AGENT_ENV;
  // Single-quoted: systemd's EnvironmentFile and bash's `.` both keep the JSON's double quotes then.
  const names = [env.functionUrl.name, env.region.name, env.port.name, env.protocols.name];
  const values = [functionUrl, region, String(env.port.default), protocols];
  const agentEnvironment = values.some((v) => Token.isUnresolved(v))
    ? Fn.format(names.map((name) => `${name}='%s'`).join("\n"), values)
    : names.map((name, i) => `${name}='${values[i]}'`).join("\n");
  return { agentKey: CACHE_AGENT_OBJECT_KEY, redirectKey: ACTIONS_REDIRECT_OBJECT_KEY, githubApiUrl, agentEnvironment, protocols };
}
