import { BUILD_CACHE_PROTOCOLS, CACHE_AGENT_ENV, type BuildCacheProtocol } from "../contracts/build-cache.js";
import { parseEnv } from "../lambdas/shared/config.js";
import { functionUrlBackend } from "./backend/function-url.js";
import { readPullRequestClaim, withPullRequestClaim } from "./backend/pull-request-claim.js";
import { clientEnvironment } from "./client-env.js";
import { startCacheAgent } from "./server.js";

/**
 * The bundle's entry (dist/cache-agent/cache-agent.js), run by the runner's own Node:
 *   node cache-agent.js              serve on 127.0.0.1:$SELF_RUNNERS_CACHE_PORT until SIGTERM
 *   node cache-agent.js --print-env  print the clients' environment (KEY=value lines) and exit
 */
function log(message: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), message, ...fields })}\n`);
}

function protocolsOf(names: readonly string[]): BuildCacheProtocol[] {
  const unknown = names.filter((n) => !(BUILD_CACHE_PROTOCOLS as readonly string[]).includes(n));
  if (unknown.length > 0) throw new Error(`SELF_RUNNERS_CACHE_PROTOCOLS names ${unknown.join(", ")}; allowed: ${BUILD_CACHE_PROTOCOLS.join(", ")}`);
  return names as BuildCacheProtocol[];
}

async function main(): Promise<void> {
  const config = parseEnv(CACHE_AGENT_ENV);
  const protocols = protocolsOf(config.protocols);
  if (process.argv.includes("--print-env")) {
    for (const [name, value] of Object.entries(clientEnvironment(`http://127.0.0.1:${config.port}`, protocols))) process.stdout.write(`${name}=${value}\n`);
    return;
  }
  const backend = withPullRequestClaim(functionUrlBackend({ functionUrl: config.functionUrl, region: config.region }), () => readPullRequestClaim(config.jobFile));
  const agent = await startCacheAgent({ backend, port: config.port, protocols, log });
  log("cache agent listening", { url: agent.url, protocols });
  const stop = () => {
    log("cache agent stopping", { ...agent.stats });
    void agent.close().finally(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((error: unknown) => {
  log("cache agent failed", { error: String(error) });
  process.exit(1);
});
