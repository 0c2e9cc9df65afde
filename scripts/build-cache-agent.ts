import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { CACHE_AGENT_BUNDLE } from "../contracts/build-cache.js";

/**
 * Bundles the runner's build cache agent (cache-agent/main.ts) with its dependencies into one CommonJS file
 * that the runner's own Node (externals/node20) runs with no node_modules. Reproducible: no source map, no
 * timestamps, paths as seen (a worktree's symlinked node_modules bundles the same bytes); unminified, so
 * a stack trace in a runner's log is readable.
 */
export async function buildCacheAgent(repoRoot: string, outFile = join(repoRoot, CACHE_AGENT_BUNDLE)): Promise<{ readonly file: string; readonly bytes: number }> {
  mkdirSync(dirname(outFile), { recursive: true });
  await build({
    entryPoints: [join(repoRoot, "cache-agent", "main.ts")],
    outfile: outFile,
    bundle: true,
    platform: "node",
    // The runner ships Node 20 (externals/node20).
    target: "node20",
    format: "cjs",
    // The SDK packages' ES module builds tree-shake: about 140 KB instead of 620 KB from their CommonJS builds.
    mainFields: ["module", "main"],
    legalComments: "none",
    preserveSymlinks: true,
    logLevel: "warning",
    absWorkingDir: repoRoot,
  });
  // The repository's package.json says "type": "module"; this keeps `node dist/cache-agent/cache-agent.js` CommonJS here too.
  writeFileSync(join(dirname(outFile), "package.json"), '{ "type": "commonjs" }\n');
  return { file: outFile, bytes: statSync(outFile).size };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { file, bytes } = await buildCacheAgent(resolve(fileURLToPath(import.meta.url), "..", ".."));
  console.log(`cache-agent ${(bytes / 1024).toFixed(1).padStart(8)} KiB      ${file}`);
}
