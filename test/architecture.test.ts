import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { cruise, type ICruiseResult } from "dependency-cruiser";
import { REPO_ROOT } from "./helpers/paths.js";

const require = createRequire(import.meta.url);

describe("architecture (dependency-cruiser, rules in .dependency-cruiser.cjs)", () => {
  it("has no import cycle, no cdktf in lambdas/, no handler runtime in stacks/, cdktf and provider imports in one place each", async () => {
    process.chdir(REPO_ROOT);
    const config = require(`${REPO_ROOT}/.dependency-cruiser.cjs`);
    const result = await cruise(["stacks", "lambdas", "layers", "scripts", "main.ts", "examples/cdktf", "test"], {
      ...config.options,
      ruleSet: { forbidden: config.forbidden },
      validate: true,
    });
    const output = result.output as ICruiseResult;
    const violations = output.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
    expect(violations).toEqual([]);
    // The rules must have had something to check.
    expect(output.summary.totalCruised).toBeGreaterThan(50);
    expect(output.modules.some((m) => m.source.startsWith("lambdas/") && m.dependencies.some((d) => d.resolved.startsWith("lambdas/shared/index.ts")))).toBe(true);
  });
});
