import type { Metafile } from "esbuild";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSharedLayer } from "../layers/build.js";
import { buildCacheAgent } from "./build-cache-agent.js";
import { bundleHandler } from "./lib/bundle.js";
import { writeReproducibleZip } from "./lib/reproducible-zip.js";

/** One deployable artifact, its size and what esbuild bundled into it. */
export interface BuiltArtifact {
  readonly name: string;
  readonly zip: string;
  readonly bundleBytes: number;
  readonly zipBytes: number;
  readonly metafile: Metafile;
}

/** The handlers: every folder of lambdas/ (but shared) with a `<folder>.lambda.ts` entry. */
export function handlerNames(repoRoot: string): string[] {
  const lambdasDir = join(repoRoot, "lambdas");
  return readdirSync(lambdasDir)
    .filter((name) => name !== "shared" && existsSync(join(lambdasDir, name, `${name}.lambda.ts`)))
    .sort();
}

/**
 * Handlers bundled with the shared code they use instead of the layer (their function attaches no
 * layer: stacks/functions/webhook-function.ts). The webhook starts on every GitHub delivery, so it loads
 * only what it runs (docs/performance.md, "Webhook").
 */
export const LAYER_FREE_HANDLERS: ReadonlySet<string> = new Set(["webhook"]);

/**
 * Bundles every handler and the shared layer into reproducible zips under dist/:
 * dist/lambdas/<name>.zip (index.js), its source map beside it as dist/lambdas/<name>.js.map (not
 * deployed: for symbolicating stack traces), and dist/layers/shared.zip.
 */
export async function buildLambdas(repoRoot: string): Promise<BuiltArtifact[]> {
  const distDir = join(repoRoot, "dist");
  const sharedDir = join(repoRoot, "lambdas", "shared");
  const artifacts: BuiltArtifact[] = [];
  for (const name of handlerNames(repoRoot)) {
    const staging = join(distDir, "lambdas", name);
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    const { bytes: bundleBytes, metafile } = await bundleHandler(join(repoRoot, "lambdas", name, `${name}.lambda.ts`), join(staging, "index.js"), sharedDir, {
      withoutLayer: LAYER_FREE_HANDLERS.has(name),
    });
    // The map is most of a zip's bytes and Lambda never reads it (the bundle names no map).
    renameSync(join(staging, "index.js.map"), join(distDir, "lambdas", `${name}.js.map`));
    const zip = join(distDir, "lambdas", `${name}.zip`);
    artifacts.push({ name, zip, bundleBytes, zipBytes: writeReproducibleZip(staging, zip), metafile });
  }
  const layer = await buildSharedLayer(repoRoot, distDir);
  artifacts.push({ name: "shared-layer", ...layer });
  return artifacts;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const artifacts = await buildLambdas(resolve(fileURLToPath(import.meta.url), "..", ".."));
  for (const a of artifacts) {
    console.log(`${a.name.padEnd(14)} ${(a.zipBytes / 1024).toFixed(1).padStart(8)} KiB zip  ${a.zip}`);
  }
  // The runner's cache agent is no Lambda artifact, but `npm test` (build:lambdas) needs it too.
  const agent = await buildCacheAgent(resolve(fileURLToPath(import.meta.url), "..", ".."));
  console.log(`${"cache-agent".padEnd(14)} ${(agent.bytes / 1024).toFixed(1).padStart(8)} KiB js   ${agent.file}`);
  console.log(`bundled ${artifacts.length} artifacts in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
