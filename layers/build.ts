import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Metafile } from "esbuild";
import { SHARED_LAYER_PACKAGE, bundleShared } from "../scripts/lib/bundle.js";
import { writeReproducibleZip } from "../scripts/lib/reproducible-zip.js";

/**
 * Builds the shared Lambda layer: lambdas/shared and its dependencies (Octokit, Powertools, the SSM
 * client) bundled into one CommonJS module at nodejs/node_modules/@self-runners/shared, where the
 * Node.js runtime finds it through NODE_PATH (/opt/nodejs/node_modules).
 */
export async function buildSharedLayer(repoRoot: string, distDir: string): Promise<{ zip: string; bundleBytes: number; zipBytes: number; metafile: Metafile }> {
  const staging = join(distDir, "layers", "shared");
  rmSync(staging, { recursive: true, force: true });
  const pkgDir = join(staging, "nodejs", "node_modules", ...SHARED_LAYER_PACKAGE.split("/"));
  mkdirSync(pkgDir, { recursive: true });
  const { bytes: bundleBytes, metafile } = await bundleShared(join(repoRoot, "lambdas", "shared", "index.ts"), join(pkgDir, "index.js"), repoRoot);
  writeFileSync(
    join(pkgDir, "package.json"),
    `${JSON.stringify({ name: SHARED_LAYER_PACKAGE, version: "0.0.0", main: "index.js" }, null, 2)}\n`,
  );
  const zip = join(distDir, "layers", "shared.zip");
  return { zip, bundleBytes, zipBytes: writeReproducibleZip(staging, zip), metafile };
}
