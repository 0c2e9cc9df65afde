import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/paths.js";
import { SLOWEST_FILES } from "../helpers/slowest-first-sequencer.js";

// A renamed or deleted file left in the list would silently lose its place at the head of the suite.
describe("the slowest-first sequencer's list", () => {
  it("names test files that exist, each once", () => {
    for (const file of SLOWEST_FILES) expect(existsSync(join(REPO_ROOT, file)), file).toBe(true);
    expect(new Set(SLOWEST_FILES).size).toBe(SLOWEST_FILES.length);
  });
});
