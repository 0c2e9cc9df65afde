import asyncHooks, { type AsyncHook, type AsyncLocalStorage } from "node:async_hooks";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
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
  // One EMF line per data point would flood the output; the handler tests assert emission (ZIP_TEST_METRICS=1 prints them).
  POWERTOOLS_METRICS_DISABLED: process.env.ZIP_TEST_METRICS === undefined ? "true" : "false",
} as const;

/** Unzipped files by zip path, size and time: the fault files unpack the same zips a hundred times each. */
const unzipped = new Map<string, Record<string, Uint8Array>>();

function extract(zipPath: string, into: string, skipSourceMaps = false): void {
  const { size, mtimeMs } = statSync(zipPath);
  const key = `${zipPath}|${size}|${mtimeMs}`;
  let files = unzipped.get(key);
  if (files === undefined) {
    files = unzipSync(new Uint8Array(readFileSync(zipPath)));
    unzipped.set(key, files);
  }
  for (const [name, bytes] of Object.entries(files)) {
    if (name.endsWith("/") || (skipSourceMaps && name.endsWith(".map"))) continue;
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
  return loadShippedBundle<H>(name, env).handler;
}

/**
 * Like {@link loadShippedHandler}, and also returns the directory the zips were extracted to (one
 * fresh copy per call: a new execution environment with its own module state), so a test can tell
 * the shipped code's stack frames apart and {@link unloadShippedBundle} it afterwards.
 */
export function loadShippedBundle<H>(name: string, env: Record<string, string>, options: { readonly skipSourceMaps?: boolean } = {}): { handler: H; root: string } {
  const root = unpackShippedBundle(name, options);
  Object.assign(process.env, LOOPBACK_AWS_ENV, env, { NODE_PATH: join(root, "opt", "nodejs", "node_modules") });
  // Node reads NODE_PATH at start-up; Lambda sets it before the runtime starts, we re-read it here.
  (Module as unknown as { _initPaths(): void })._initPaths();
  const entry = join(root, "task", "index.js");
  return { handler: recordingAsyncHooks(root, () => (createRequire(entry)(entry) as { handler: H }).handler), root };
}

/**
 * Disables the async hooks the bundle loaded from `root` created. For a test process running several
 * execution environments at once with tracing off: the X-Ray SDK's hook then tracks a namespace nothing
 * enters, yet runs on every promise of the process (the other environments', the doubles') for each
 * environment loaded.
 */
export function disableBundleAsyncHooks(root: string): void {
  for (const hook of bundleHooks.get(root) ?? []) hook.disable();
}

/** The async hooks each loaded bundle created, by its root, for {@link unloadShippedBundle} to disable. */
const bundleHooks = new Map<string, AsyncHook[]>();
/** The AsyncLocalStorage instances each loaded bundle created, by its root (unloadShippedBundle disables them). */
const bundleStorages = new Map<string, AsyncLocalStorage<unknown>[]>();

/** The AsyncLocalStorage instances the bundle loaded from `root` created while it loaded. */
export function loadedBundleStorages(root: string): readonly AsyncLocalStorage<unknown>[] {
  return bundleStorages.get(root) ?? [];
}

/**
 * Runs `load` noting the async hooks and AsyncLocalStorage instances it creates. The X-Ray SDK in the
 * shared layer (cls-hooked) creates a hook with a destroy callback when loaded and never disables it;
 * the webhook's log context is an AsyncLocalStorage, which on Node 20 stays in the process's list of
 * storages from its first run() until disabled, its propagation running for every async resource
 * created. In Lambda the process ends with the execution environment, but a test process loads a fresh
 * copy per environment (the fault files load dozens): left enabled, each one runs on every promise of
 * the process afterwards.
 */
function recordingAsyncHooks<T>(root: string, load: () => T): T {
  const original = asyncHooks.createHook;
  const OriginalStorage = asyncHooks.AsyncLocalStorage;
  const hooks: AsyncHook[] = [];
  const storages: AsyncLocalStorage<unknown>[] = [];
  (asyncHooks as { createHook: typeof original }).createHook = (callbacks) => {
    const hook = original(callbacks);
    hooks.push(hook);
    return hook;
  };
  (asyncHooks as { AsyncLocalStorage: typeof OriginalStorage }).AsyncLocalStorage = class<T> extends OriginalStorage<T> {
    constructor() {
      super();
      storages.push(this as AsyncLocalStorage<unknown>);
    }
  };
  try {
    return load();
  } finally {
    (asyncHooks as { createHook: typeof original }).createHook = original;
    (asyncHooks as { AsyncLocalStorage: typeof OriginalStorage }).AsyncLocalStorage = OriginalStorage;
    bundleHooks.set(root, hooks);
    bundleStorages.set(root, storages);
  }
}

/**
 * Unpacks dist/lambdas/<name>.zip and the shared layer into a fresh directory laid out as Lambda does
 * it (task/ and opt/); returns that directory. For code that loads the bundle in another process.
 */
export function unpackShippedBundle(name: string, options: { readonly skipSourceMaps?: boolean } = {}): string {
  // Outside the repository, as on Lambda: no package.json "type" and no node_modules above the code.
  const root = mkdtempSync(join(tmpdir(), `self-runners-zip-${name}-`));
  extract(join(REPO_ROOT, "dist", "lambdas", `${name}.zip`), join(root, "task"), options.skipSourceMaps);
  extract(join(REPO_ROOT, "dist", "layers", "shared.zip"), join(root, "opt"), options.skipSourceMaps);
  return root;
}

/** Forgets the modules of a bundle loaded by {@link loadShippedBundle} and deletes its files. */
export function unloadShippedBundle(root: string): void {
  const cache = (Module as unknown as { _cache: Record<string, unknown> })._cache;
  for (const key of Object.keys(cache)) if (key.startsWith(root)) delete cache[key];
  // The bundle's code is gone; its hooks and storages would still run on every async operation of this process.
  disableBundleAsyncHooks(root);
  bundleHooks.delete(root);
  for (const storage of bundleStorages.get(root) ?? []) storage.disable();
  bundleStorages.delete(root);
  rmSync(root, { recursive: true, force: true });
}
