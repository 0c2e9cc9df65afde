import Module from "node:module";
import { dirname } from "node:path";
import vm from "node:vm";

/**
 * A V8 code cache for the shipped bundles. The suite loads a fresh copy of each zip per scenario (a new
 * execution environment), and compiling the minified bundles again every time costs more than the
 * scenario itself on a small CI machine. The cache only skips parsing; the code that runs is the
 * shipped code, wrapped as Node's CommonJS loader wraps it.
 */

interface CompiledModule {
  readonly exports: unknown;
  readonly require: (id: string) => unknown;
}

const cache = new Map<string, Buffer>();
const scripts = new Map<string, vm.Script>();

type Compile = (this: CompiledModule, content: string, filename: string) => unknown;

/** Where loadShippedBundle extracts: `<tmp>/self-runners-zip-<name>-XXXXXX/<path>`; the key is `<name>/<path>`. */
const EXTRACTED = /self-runners-zip-(.+)-[A-Za-z0-9]{6}[\\/](.+)$/;

/** Runs `load` with the files of extracted zips compiled through the cache. */
export function withCodeCache<T>(load: () => T): T {
  const prototype = Module.prototype as unknown as { _compile: Compile };
  const original = prototype._compile;
  prototype._compile = function (this: CompiledModule, content: string, filename: string) {
    const match = EXTRACTED.exec(filename);
    if (match === null) return original.call(this, content, filename);
    const key = `${match[1]}/${match[2]}`;
    const script = new vm.Script(Module.wrap(content), { filename, cachedData: cache.get(key) });
    const first = !cache.has(key);
    const wrapper = script.runInThisContext() as (...args: unknown[]) => unknown;
    const module = this;
    const require = Object.assign((id: string) => module.require(id), {
      resolve: (request: string) => (Module as unknown as { _resolveFilename(r: string, m: unknown): string })._resolveFilename(request, module),
      cache: (Module as unknown as { _cache: unknown })._cache,
    });
    const result = wrapper.call(module.exports, module.exports, require, module, filename, dirname(filename));
    if (first) {
      scripts.set(key, script);
      // The other environments of the same world load it next (ten scale-up environments in one world).
      cache.set(key, script.createCachedData());
    }
    return result;
  };
  try {
    return load();
  } finally {
    prototype._compile = original;
  }
}

/** Stores again the code of every first-loaded bundle, now with what its invocations compiled since. */
export function rememberCompiledCode(): void {
  for (const [key, script] of scripts) cache.set(key, script.createCachedData());
  scripts.clear();
}
