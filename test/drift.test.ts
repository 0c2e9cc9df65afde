import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MODULE_DIR, buildModule } from "../stacks/build-module.js";
import { listFiles } from "../scripts/lib/reproducible-zip.js";
import { REPO_ROOT, scratchDir } from "./helpers/paths.js";

// A fresh build (zips from `npm run build:lambdas`, run by `npm test` first) must reproduce the
// committed module byte for byte; otherwise someone changed stacks/, lambdas/ or layers/ without
// running `npm run build` and committing modules-out/.
describe("modules-out drift", () => {
  it("a fresh build produces exactly the committed modules-out/", () => {
    const fresh = scratchDir("module-drift");
    buildModule({ repoRoot: REPO_ROOT, outDir: join(fresh, "module"), synthDir: join(fresh, "cdktf.out") });
    const committedDir = join(REPO_ROOT, MODULE_DIR);
    const freshDir = join(fresh, "module");
    expect(listFiles(freshDir)).toEqual(listFiles(committedDir));
    for (const file of listFiles(committedDir)) {
      const same = readFileSync(join(freshDir, file)).equals(readFileSync(join(committedDir, file)));
      expect(same, `${file} differs: run npm run build and commit modules-out/`).toBe(true);
    }
  });
});
