import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import Module, { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { unzipSync } from "fflate";
import { tmpdir } from "node:os";
import { mkdtempSync } from "node:fs";
import { REPO_ROOT } from "./paths.js";

/** The environment every shipped-zip test runs with: fake credentials, and AWS on loopback only. */
export const LOOPBACK_AWS_ENV = {
  AWS_REGION: "eu-west-1",
  AWS_ACCESS_KEY_ID: "AKIDTESTTESTTESTTEST",
  AWS_SECRET_ACCESS_KEY: "test-secret",
  // Overridden per test with the LoopbackAws endpoint; nothing ever leaves the machine.
  AWS_ENDPOINT_URL: "http://127.0.0.1:9",
  POWERTOOLS_METRICS_NAMESPACE: "SelfRunnersTest",
  POWERTOOLS_LOG_LEVEL: process.env.ZIP_TEST_LOG_LEVEL ?? "SILENT",
} as const;

function extract(zipPath: string, into: string): void {
  const files = unzipSync(new Uint8Array(readFileSync(zipPath)));
  for (const [name, bytes] of Object.entries(files)) {
    if (name.endsWith("/")) continue;
    const target = join(into, name);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, bytes);
  }
}

/**
 * Loads `handler` from the zip that ships (dist/lambdas/<name>.zip), laid out as Lambda does it: the
 * function in task/, the shared layer in opt/, and opt/nodejs/node_modules on NODE_PATH. Set the
 * environment first: handlers read it when loaded.
 */
export function loadShippedHandler<H>(name: string, env: Record<string, string>): H {
  // Outside the repository, as on Lambda: no package.json "type" and no node_modules above the code.
  const root = mkdtempSync(join(tmpdir(), `self-runners-zip-${name}-`));
  extract(join(REPO_ROOT, "dist", "lambdas", `${name}.zip`), join(root, "task"));
  extract(join(REPO_ROOT, "dist", "layers", "shared.zip"), join(root, "opt"));
  Object.assign(process.env, LOOPBACK_AWS_ENV, env, { NODE_PATH: join(root, "opt", "nodejs", "node_modules") });
  // Node reads NODE_PATH at start-up; Lambda sets it before the runtime starts, we re-read it here.
  (Module as unknown as { _initPaths(): void })._initPaths();
  const entry = join(root, "task", "index.js");
  return (createRequire(entry)(entry) as { handler: H }).handler;
}
