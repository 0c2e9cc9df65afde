import { build, type Metafile, type Plugin } from "esbuild";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";

/** The package name under which the shared layer ships `lambdas/shared`. */
export const SHARED_LAYER_PACKAGE = "@self-runners/shared";

/** Common esbuild settings for everything that runs on Lambda. */
const LAMBDA_BUILD = {
  bundle: true,
  platform: "node",
  // nodejs22.x is the runtime the functions are deployed on.
  target: "node22",
  // CommonJS because Lambda resolves layer packages (/opt/nodejs/node_modules) through NODE_PATH,
  // which Node's ES module loader ignores.
  format: "cjs",
  minify: true,
  // Written next to the bundle without a sourceMappingURL comment; the build moves it out of the zip
  // (docs/performance.md, "Webhook"). Maps name files and lines; embedding the sources would triple them.
  sourcemap: "external",
  sourcesContent: false,
  // Source maps name files relative to the repo, not to this machine, so bundles are reproducible.
  sourceRoot: "",
  // Paths as seen, not resolved: a worktree whose node_modules is a symlink bundles the same maps.
  preserveSymlinks: true,
  legalComments: "none",
  logLevel: "warning",
  metafile: true,
} as const;

/**
 * Routes every import that resolves into lambdas/shared to the layer package, so a handler bundle
 * carries only its own code and the shared code (Octokit, Powertools) ships once, in the layer.
 */
function sharedLayerExternal(sharedDir: string): Plugin {
  return {
    name: "shared-layer-external",
    setup(b) {
      b.onResolve({ filter: /shared/ }, (args) => {
        if (!args.path.startsWith(".")) return undefined;
        const target = resolve(args.resolveDir, args.path);
        if (target === sharedDir || target.startsWith(sharedDir + sep)) {
          return { path: SHARED_LAYER_PACKAGE, external: true };
        }
        return undefined;
      });
    },
  };
}

/**
 * Resolves `openpgp` to its CommonJS build (its package's "require" export): esbuild picks the "import"
 * one for an `import`, whose createRequire(import.meta.url) has no import.meta in CommonJS output.
 */
function openpgpAsCommonJs(): Plugin {
  return {
    name: "openpgp-as-commonjs",
    setup(b) {
      // The package's "require" export, found by hand: esbuild's own resolve would call this hook again, and
      // Node's would follow the node_modules symlink (bundles name paths as seen, preserveSymlinks).
      b.onResolve({ filter: /^openpgp$/ }, (args) => {
        for (let dir = args.resolveDir; dirname(dir) !== dir; dir = dirname(dir)) {
          const manifest = join(dir, "node_modules", "openpgp", "package.json");
          if (existsSync(manifest)) return { path: join(dirname(manifest), (JSON.parse(readFileSync(manifest, "utf8")) as { exports: { ".": { require: string } } }).exports["."].require) };
        }
        return undefined;
      });
    },
  };
}

/** What one bundle produced: its size and esbuild's metafile (every input, with the bytes it kept; the release's SBOMs read it). */
export interface BundleResult {
  readonly bytes: number;
  readonly metafile: Metafile;
}

/**
 * Bundles one handler entry into `outFile` (plus `outFile.map`), with lambdas/shared left to the layer,
 * or, `withoutLayer`, bundled in (tree-shaken to what the handler uses: the webhook).
 */
export async function bundleHandler(entry: string, outFile: string, sharedDir: string, options: { readonly withoutLayer?: boolean } = {}): Promise<BundleResult> {
  const result = await build({
    ...LAMBDA_BUILD,
    entryPoints: [entry],
    outfile: outFile,
    plugins: options.withoutLayer === true ? [openpgpAsCommonJs()] : [sharedLayerExternal(sharedDir), openpgpAsCommonJs()],
    ...(options.withoutLayer === true ? { alias: { "@aws-sdk/credential-provider-node": resolve(dirname(sharedDir), "libs", "credentials", "env-only.ts") } } : {}),
    absWorkingDir: resolve(dirname(sharedDir), ".."),
  });
  return { bytes: Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0), metafile: result.metafile };
}

/** Bundles the shared code with all its dependencies into one layer module. */
export async function bundleShared(entry: string, outFile: string, repoRoot: string): Promise<BundleResult> {
  const result = await build({ ...LAMBDA_BUILD, entryPoints: [entry], outfile: outFile, absWorkingDir: repoRoot });
  return { bytes: Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0), metafile: result.metafile };
}
