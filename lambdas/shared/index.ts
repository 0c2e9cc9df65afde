// The public surface of lambdas/shared, shipped as the `@self-runners/shared` layer. Handlers import
// shared code only through this file, so every exported name here must be unique.
export * from "./admission.js";
export * from "./config.js";
export * from "./errors.js";
export * from "./github/octokit.js";
export * from "./github/runners.js";
export * from "./job-message.js";
export * from "./logger.js";
export * from "./metrics.js";
export * from "./params.js";
export * from "./redact.js";
export * from "./runner-name.js";
export * from "./tags.js";
export * from "./tracer.js";
