// Typed contracts between stacks/ and lambdas/: plain data, no dependencies (.dependency-cruiser.cjs).
export * from "./admission.js";
export * from "./build-cache.js";
export * from "./common.js";
export * from "./env.js";
export * from "./github-hooks-ipset.js";
export * from "./nat-failover.js";
export * from "./pools.js";
export * from "./reconcile.js";
export * from "./scale-up.js";
export * from "./spot-interruption.js";
export * from "./webhook.js";
export * from "./metrics.js";
export * from "./runner-binaries.js";
export * from "./pool-customization.js";
export * from "./tags.js";
