import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cruise, type ICruiseResult } from "dependency-cruiser";
import { FUNCTION_CONTRACTS } from "../contracts/docs.js";
import { METRICS } from "../contracts/metrics.js";
import type { MetricSpec } from "../contracts/metrics.js";
import { REPO_ROOT } from "./helpers/paths.js";

const require = createRequire(import.meta.url);

describe("architecture (dependency-cruiser, rules in .dependency-cruiser.cjs)", () => {
  it("has no import cycle, no cdktf in lambdas/, no handler runtime in stacks/, cdktf and provider imports in one place each", async () => {
    process.chdir(REPO_ROOT);
    const config = require(`${REPO_ROOT}/.dependency-cruiser.cjs`);
    const result = await cruise(["contracts", "stacks", "lambdas", "layers", "scripts", "main.ts", "examples/cdktf", "cache-agent", "test"], {
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
    expect(output.modules.some((m) => m.source.startsWith("stacks/") && m.dependencies.some((d) => d.resolved.startsWith("contracts/")))).toBe(true);
  });
});

describe("environment variables have one owner (contracts/)", () => {
  const sources = (folder: string): Array<{ file: string; lines: string[] }> =>
    readdirSync(join(REPO_ROOT, folder), { recursive: true, encoding: "utf8" })
      .filter((file) => file.endsWith(".ts"))
      .map((file) => ({ file: `${folder}/${file}`, lines: readFileSync(join(REPO_ROOT, folder, file), "utf8").split("\n") }));
  const code = [...sources("stacks"), ...sources("lambdas")];
  const names = [...new Set(FUNCTION_CONTRACTS.flatMap(({ contract }) => Object.values(contract).map((variable) => variable.name)))];

  it("writes no variable name of a contract in stacks/ or lambdas/ (as a string, a key or a property)", () => {
    // Arrange: a name as code uses it, "NAME", NAME: (a key) or .NAME; prose in comments and messages may mention it.
    const uses = names.map((name) => ({ name, pattern: new RegExp(`["'\`]${name}["'\`]|(^\\s*|[{,]\\s*)${name}\\s*:|\\.${name}\\b`) }));
    const isComment = (line: string): boolean => /^\s*(\/\/|\/\*|\*)/.test(line);

    // Act
    const found = code.flatMap(({ file, lines }) =>
      lines.flatMap((line, index) => (isComment(line) ? [] : uses.filter(({ pattern }) => pattern.test(line)).map(({ name }) => `${file}:${index + 1} ${name}`))),
    );

    // Assert
    expect(names.length).toBeGreaterThan(40);
    expect(found).toEqual([]);
  });

  it("reads process.env in lambdas/ only where a contract is parsed (the config modules)", () => {
    // Act
    const readers = sources("lambdas")
      .filter(({ lines }) => lines.some((line) => line.includes("process.env")))
      .map(({ file }) => file)
      .sort();

    // Assert: parseEnv's default, each handler's config.ts default argument, and nothing else.
    expect(readers.every((file) => /^lambdas\/[a-z-]+\/config\.ts$/.test(file))).toBe(true);
    expect(readers).toContain("lambdas/shared/config.ts");
  });
});

describe("metrics go through the table (contracts/metrics.ts)", () => {
  const lambdaSources = readdirSync(join(REPO_ROOT, "lambdas"), { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts"))
    .map((file) => ({ file: `lambdas/${file}`, text: readFileSync(join(REPO_ROOT, "lambdas", file), "utf8") }));

  it("calls addMetric( only in lambdas/shared/metrics.ts", () => {
    // Act
    const callers = lambdaSources.filter(({ text }) => text.includes("addMetric(")).map(({ file }) => file);

    // Assert
    expect(callers).toEqual(["lambdas/shared/metrics.ts"]);
  });

  it("references every function-sourced entry of the table somewhere in lambdas/", () => {
    // Arrange
    const functionSourced = Object.entries(METRICS as Readonly<Record<string, MetricSpec>>).filter(([, spec]) => spec.source !== "runner");
    const code = lambdaSources.map(({ text }) => text).join("\n");

    // Act
    const unused = functionSourced.filter(([key]) => !new RegExp(`METRICS\\.${key}\\b`).test(code)).map(([key]) => key);

    // Assert
    expect(functionSourced.length).toBeGreaterThan(30);
    expect(unused).toEqual([]);
  });
});
