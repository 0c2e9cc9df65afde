import { describe, expect, it } from "vitest";
import { disableBundleAsyncHooks, loadShippedBundle, loadedBundleStorages, unloadShippedBundle } from "../helpers/shipped-zip.js";

// The X-Ray SDK in the shared layer (cls-hooked) enables an async hook when loaded. The fault world runs
// several execution environments in one process and loads dozens over a file; a hook left enabled
// runs on every promise of the process after it (test/helpers/shipped-zip.ts, world.ts).

interface ClsNamespace {
  run(fn: () => void): void;
  readonly _contexts: Map<number, unknown>;
}

/** How many async resources the namespace's hook tracked for one promise made inside it. */
function tracked(): number {
  const namespace = (process as unknown as { namespaces: Record<string, ClsNamespace | undefined> }).namespaces.AWSXRay;
  if (namespace === undefined) throw new Error("the layer's X-Ray SDK created no AWSXRay namespace");
  namespace._contexts.clear();
  namespace.run(() => void Promise.resolve());
  return namespace._contexts.size;
}

describe("async hooks of shipped bundles", () => {
  it("the layer's hook tracks promises while the bundle is loaded, and nothing once disabled", () => {
    const { root } = loadShippedBundle("scale-up", {}, { skipSourceMaps: true });
    try {
      expect(tracked(), "enabled at load").toBeGreaterThan(0);
      disableBundleAsyncHooks(root);
      expect(tracked(), "disabled").toBe(0);
    } finally {
      unloadShippedBundle(root);
    }
  });

  it("unloading a bundle disables its hook", () => {
    const { root } = loadShippedBundle("scale-up", {}, { skipSourceMaps: true });
    expect(tracked()).toBeGreaterThan(0);
    unloadShippedBundle(root);
    expect(tracked()).toBe(0);
  });
});

describe("AsyncLocalStorage instances of shipped bundles", () => {
  // On Node 20 a storage that ran once stays in the process's list of storages, its propagation
  // running for every async resource created, until disabled: each webhook environment of a file's
  // worlds added one for the rest of the file.
  it("unloading the webhook bundle disables its log context's storage (getStore answers nothing, even inside run)", () => {
    const { root } = loadShippedBundle("webhook", {}, { skipSourceMaps: true });
    const storages = loadedBundleStorages(root);
    expect(storages.length, "the webhook's log context").toBeGreaterThan(0);
    const seen = storages.map((storage) =>
      storage.run({ probe: true }, () => {
        const before = storage.getStore();
        unloadShippedBundle(root);
        return { before, after: storage.getStore() };
      }),
    );
    expect(seen).toEqual(storages.map(() => ({ before: { probe: true }, after: undefined })));
  });
});
