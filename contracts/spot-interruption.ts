import { GITHUB_APP_ENV, POWERTOOLS_ENV, RUNNER_STATE_ENV } from "./common.js";
import { poolFields, poolsVariable } from "./pools.js";

/** The spot-interruption function's environment (lambdas/spot-interruption, stacks/functions/spot-interruption-function.ts). */
export const SPOT_INTERRUPTION_ENV = {
  ...POWERTOOLS_ENV,
  ...RUNNER_STATE_ENV,
  ...GITHUB_APP_ENV,
  pools: poolsVariable(poolFields(["queueUrl"]), "the pools' queues, for relaunched jobs"),
} as const;
