/** The runner's build cache agent (issue 16): library entry; main.ts is the bundle's. */
export { startCacheAgent, type CacheAgent, type CacheAgentOptions } from "./server.js";
export type { CacheBackend } from "./backend/port.js";
export { CacheBackendError } from "./backend/port.js";
export { functionUrlBackend, runnerCredentials, type FunctionUrlBackendOptions } from "./backend/function-url.js";
export { clientEnvironment } from "./client-env.js";
export type { AgentStats, TransferOptions } from "./store.js";
export type { AgentLog } from "./protocols/route.js";
