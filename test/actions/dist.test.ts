import { readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { BUNDLED_ACTIONS, DIST_PACKAGE_JSON, bundleAction, distPath } from "../../actions/build.js";

describe("the committed Action bundles", () => {
  it.each(BUNDLED_ACTIONS)("actions/%s/dist/index.js equals a fresh bundle of its sources (run npm run build:actions)", async (name) => {
    expect(readFileSync(distPath(name), "utf8")).toBe(await bundleAction(name));
    // Executable, so the bin entry works from a checkout.
    expect(statSync(distPath(name)).mode & 0o111).not.toBe(0);
    expect(readFileSync(join(dirname(distPath(name)), "package.json"), "utf8")).toBe(DIST_PACKAGE_JSON);
  });
});
