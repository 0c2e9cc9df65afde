import { chmodSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/** Where the bundled `self-runners` bin lands (package.json `bin`). */
export const CLI_BUNDLE = join("dist", "cli", "self-runners.mjs");

/**
 * Bundles the operator CLI (cli/self-runners.ts) with its SDK clients into one executable ES module,
 * so `npx self-runners` needs nothing but Node. Unminified: operators read its stack traces.
 */
export async function buildCli(repoRoot: string, outFile = join(repoRoot, CLI_BUNDLE)): Promise<string> {
  await build({
    entryPoints: [join(repoRoot, "cli", "self-runners.ts")],
    outfile: outFile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    // Some SDK dependencies are CommonJS and call require(); an ES module has none of its own.
    banner: { js: '#!/usr/bin/env node\nimport { createRequire as __createRequire } from "node:module";\nconst require = __createRequire(import.meta.url);' },
    legalComments: "none",
    logLevel: "warning",
    absWorkingDir: repoRoot,
  });
  chmodSync(outFile, 0o755);
  return outFile;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(`bundled ${await buildCli(resolve(fileURLToPath(import.meta.url), "..", ".."))}`);
}
