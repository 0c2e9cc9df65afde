// Builds what the npm package ships (`npm run build:package`, run by `npm pack` through prepack):
// the constructs compiled to ESM JavaScript with declarations in lib/ (tsconfig.package.json), the
// boot script templates next to their compiled loader, and the zips in lib/dist, where
// stacks/module/props.ts (DEFAULT_DIST_DIR) finds them from the compiled module.
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CACHE_AGENT_BUNDLE } from "../contracts/build-cache.js";
import { handlerNames } from "./build-lambdas.js";

/** The package's compiled output, below the repository root. */
export const PACKAGE_LIB_DIR = "lib";

/** The zips the package ships, relative to dist/ (and to lib/dist/ in the package), and the build cache agent the module uploads. */
export function packagedZips(repoRoot: string): string[] {
  return [...handlerNames(repoRoot).map((name) => join("lambdas", `${name}.zip`)), join("layers", "shared.zip"), CACHE_AGENT_BUNDLE.replace(/^dist\//, "")];
}

/** Compiles lib/ afresh and copies the templates and the zips into it; returns the files copied. */
export function buildPackage(repoRoot: string): string[] {
  const lib = join(repoRoot, PACKAGE_LIB_DIR);
  const zips = packagedZips(repoRoot);
  const missing = zips.filter((zip) => !existsSync(join(repoRoot, "dist", zip)));
  if (missing.length > 0) throw new Error(`dist/ lacks ${missing.join(", ")}: run npm run build:lambdas first`);

  rmSync(lib, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const compiled = spawnSync(process.execPath, [tsc, "-p", join(repoRoot, "tsconfig.package.json")], { cwd: repoRoot, stdio: "inherit" });
  if (compiled.status !== 0) throw new Error(`tsc -p tsconfig.package.json failed (exit ${compiled.status})`);

  const templates = join("stacks", "templates");
  const copies = [
    ...readdirSync(join(repoRoot, templates))
      // The boot script templates, and the scripts runners download as they are (the Actions cache redirect).
      .filter((file) => file.endsWith(".tftpl") || file.endsWith(".sh"))
      .map((file) => ({ from: join(repoRoot, templates, file), to: join(lib, templates, file) })),
    ...zips.map((zip) => ({ from: join(repoRoot, "dist", zip), to: join(lib, "dist", zip) })),
  ];
  for (const { from, to } of copies) {
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(from, to);
  }
  return copies.map(({ to }) => to);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const repoRoot = resolve(fileURLToPath(import.meta.url), "..", "..");
  const copied = buildPackage(repoRoot);
  console.log(`compiled ${PACKAGE_LIB_DIR}/ and copied ${copied.length} templates and zips into it`);
}
