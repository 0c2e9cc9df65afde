import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/paths.js";

// docs/ci.md shows a run of the bin on the fixture repository; the text must be what the bin prints.
describe("docs/ci.md's affected example", () => {
  it("shows the command and exactly its output", () => {
    const doc = readFileSync(join(REPO_ROOT, "docs", "ci.md"), "utf8");
    const block = /```\n\$ (node actions\/affected\/dist\/index\.js [^\n]*\\\n[^\n]*)\n([\s\S]*?)```/.exec(doc);
    expect(block).not.toBeNull();
    const args = block![1]!.replace(/\\\n/, " ").split(/\s+/).slice(1);
    const result = spawnSync(process.execPath, args, { cwd: REPO_ROOT, encoding: "utf8" });
    expect(result.status, result.stderr).toBe(0);
    expect(block![2]).toBe(result.stdout);
  });
});
