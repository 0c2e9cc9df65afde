// The part of lambdas/shared that needs neither GitHub (Octokit) nor the SSM client nor the X-Ray SDK:
// a handler that imports only this file bundles it whole and needs no layer (the webhook; see
// docs/performance.md, "Webhook"). lambdas/shared/index.ts re-exports it with the rest.
export * from "./admission.js";
export * from "./cache.js";
export * from "./config.js";
export * from "./errors.js";
// Runner registration calls take the GitHub client as an argument (a type only): no Octokit here.
export * from "./github/runners.js";
export * from "./job-message.js";
export * from "./logger.js";
export * from "./metrics.js";
export * from "./redact.js";
export * from "./runner-name.js";
export * from "../../contracts/tags.js";
