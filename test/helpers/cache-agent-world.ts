import { functionUrlBackend, startCacheAgent, type CacheAgent, type CacheAgentOptions } from "../../cache-agent/index.js";
import { fakeCacheFunction, startLoopbackS3, type FakeCacheFunction, type FakeCacheFunctionOptions, type LoopbackS3 } from "./fake-cache-function.js";
import { RUNNER_CREDENTIALS, serveFunctionUrl, type LoopbackFunctionUrl } from "./fake-function-url.js";

/** The agent wired as on a runner, every hop on loopback: agent -> signed function URL -> fake function -> s3rver. */
export interface CacheAgentWorld {
  readonly s3: LoopbackS3;
  readonly fn: FakeCacheFunction;
  readonly functionUrl: LoopbackFunctionUrl;
  readonly agent: CacheAgent;
  close(): Promise<void>;
}

export async function startCacheAgentWorld(options: { readonly fn?: FakeCacheFunctionOptions; readonly agent?: Omit<CacheAgentOptions, "backend"> } = {}): Promise<CacheAgentWorld> {
  const s3 = await startLoopbackS3();
  const fn = fakeCacheFunction(s3, options.fn);
  const functionUrl = await serveFunctionUrl(fn);
  const backend = functionUrlBackend({ functionUrl: functionUrl.url, region: "eu-west-1", credentials: async () => RUNNER_CREDENTIALS });
  const agent = await startCacheAgent({ port: 0, ...options.agent, backend });
  return {
    s3,
    fn,
    functionUrl,
    agent,
    close: async () => {
      await agent.close();
      await functionUrl.close();
      await s3.close();
    },
  };
}
