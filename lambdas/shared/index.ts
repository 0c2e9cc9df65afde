// The public surface of lambdas/shared, shipped as the `@self-runners/shared` layer. Handlers import
// shared code only through this file (or core.ts, its GitHub-free part), so every exported name here must be unique.
export * from "./core.js";
export * from "./github/octokit.js";
export * from "./github/observed-budgets.js";
export * from "./github/write-blocks.js";
export * from "./params.js";
export * from "./tracer.js";
