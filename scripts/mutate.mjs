#!/usr/bin/env node
// `npm run mutate` (docs/testing.md, "Mutation testing"): Stryker's own CLI, unchanged, with one shim.
// Stryker 10's CLI module refuses Node < 22 when it is imported (a version check on `process.version`),
// while the project runs on Node 20.19+ (package.json engines, CI's machine). Nothing else in Stryker
// 10.1.1 (core, instrumenter, vitest runner) needs Node 22, and the full run is shown working on Node 20
// in docs/reliability.md, so the check is shown a satisfying version while the module loads, then the
// real one is put back. Remove this file when the project moves to Node 22 (`stryker run` then).
const realVersion = process.version;
const major = Number(realVersion.slice(1).split(".")[0]);
if (major < 22) Object.defineProperty(process, "version", { value: "v22.0.0", configurable: true });
const { StrykerCli } = await import("@stryker-mutator/core");
Object.defineProperty(process, "version", { value: realVersion, configurable: true });

process.title = "stryker";
new StrykerCli(process.argv).run();
