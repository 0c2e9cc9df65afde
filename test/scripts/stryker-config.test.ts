import { existsSync, readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import strykerVitestConfig, { MUTATION_TEST_DIRS } from "../../stryker.vitest.config.js";

// `npm run mutate` is not part of `npm test` (a full run takes most of an hour); this keeps its
// configuration valid without running a mutant (docs/testing.md, "Mutation testing").

const require = createRequire(import.meta.url);
const config = JSON.parse(readFileSync("stryker.config.json", "utf8")) as {
  mutate: string[];
  testRunner: string;
  plugins: string[];
  vitest: { configFile: string };
  concurrency: number;
  incrementalFile: string;
  htmlReporter: { fileName: string };
  jsonReporter: { fileName: string };
  reporters: string[];
};
const packageJson = JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> };

/** The five cores of issue 15 and the files of theirs left unmutated, with the reason (docs/reliability.md). */
const CORE_DIRS = ["lambdas/libs/ledger", "lambdas/webhook", "lambdas/scale-up", "lambdas/reconcile", "lambdas/spot-interruption"];
const LEFT_OUT: Record<string, string> = {
  "lambdas/libs/ledger/memory-store.ts": "test double (handler tests and the fault world)",
  "lambdas/libs/ledger/memory-counters.ts": "test double",
  "lambdas/libs/ledger/port.ts": "types only",
  "lambdas/libs/ledger/types.ts": "types and constants",
  "lambdas/libs/ledger/dynamodb-scan.ts": "paged read, no decision",
  "lambdas/libs/ledger/dynamodb-healer-state.ts": "reads and writes of healer-state.ts's keys",
  "lambdas/scale-up/config.ts": "environment parsing (contracts/)",
  "lambdas/scale-up/jit-seal.ts": "one KMS call",
  "lambdas/scale-up/scale-up.lambda.ts": "wiring",
  "lambdas/reconcile/config.ts": "environment parsing (contracts/)",
  "lambdas/reconcile/execute.ts": "performs and logs decided actions",
  "lambdas/reconcile/heal.ts": "performs heal-plan.ts's decisions",
  "lambdas/reconcile/reconcile.ts": "reads, calls the pure deciders, performs",
  "lambdas/reconcile/reconcile.lambda.ts": "wiring",
  "lambdas/webhook/config.ts": "environment parsing (contracts/)",
  "lambdas/webhook/webhook.lambda.ts": "wiring",
  "lambdas/spot-interruption/config.ts": "environment parsing (contracts/)",
  "lambdas/spot-interruption/spot-interruption.lambda.ts": "wiring",
};

describe("stryker.config.json", () => {
  it("is valid for Stryker's schema and its vitest runner's", () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const schema = (pkg: string, path: string) => JSON.parse(readFileSync(join(require.resolve(`${pkg}/package.json`), "..", path), "utf8"));
    const core = schema("@stryker-mutator/core", "schema/stryker-schema.json");
    const runner = schema("@stryker-mutator/vitest-runner", "dist/schema/vitest-runner-options.json");
    const { $schema: _schema, vitest, ...coreOptions } = config as unknown as Record<string, unknown>;
    expect(ajv.validate(core, coreOptions), ajv.errorsText()).toBe(true);
    expect(ajv.validate(runner, { vitest }), ajv.errorsText()).toBe(true);
  });

  it("mutates existing files only, each the decision code of one of the five cores", () => {
    expect(config.mutate.length).toBeGreaterThan(0);
    for (const file of config.mutate) {
      expect(existsSync(file), file).toBe(true);
      expect(CORE_DIRS.some((dir) => file.startsWith(`${dir}/`)), file).toBe(true);
      expect(file, "adapters only do I/O").not.toMatch(/\/adapters\/|\.lambda\.ts$/);
    }
  });

  it("mutates every source file of the cores that is not left out for a stated reason", () => {
    for (const dir of CORE_DIRS) {
      for (const name of readdirSync(dir).filter((entry) => entry.endsWith(".ts"))) {
        const file = `${dir}/${name}`;
        expect(config.mutate.includes(file) || file in LEFT_OUT, `${file}: mutate it or say why not`).toBe(true);
      }
    }
    for (const file of Object.keys(LEFT_OUT)) expect(existsSync(file), file).toBe(true);
  });

  it("runs through `npm run mutate` with the vitest runner, one or two runners, reports under reports/mutation/", () => {
    expect(packageJson.scripts.mutate).toBe("stryker run stryker.config.json");
    expect(() => require.resolve("@stryker-mutator/core")).not.toThrow();
    expect(config.testRunner).toBe("vitest");
    expect(config.plugins).toContain("@stryker-mutator/vitest-runner");
    expect(() => require.resolve("@stryker-mutator/vitest-runner")).not.toThrow();
    expect(config.concurrency).toBeGreaterThanOrEqual(1);
    expect(config.concurrency).toBeLessThanOrEqual(2);
    expect(config.reporters).toEqual(expect.arrayContaining(["clear-text", "html", "json"]));
    for (const file of [config.htmlReporter.fileName, config.jsonReporter.fileName, config.incrementalFile]) {
      expect(file).toMatch(/^reports\/mutation\//);
    }
    expect(readFileSync(".gitignore", "utf8").split("\n")).toContain("reports/");
  });
});

describe("stryker.vitest.config.ts", () => {
  it("is the file Stryker runs, and includes the unit and handler tests of the cores only", () => {
    expect(config.vitest.configFile).toBe("stryker.vitest.config.ts");
    const include = strykerVitestConfig.test?.include ?? [];
    expect(include).toEqual(MUTATION_TEST_DIRS.map((dir) => `${dir}/**/*.test.ts`));
    for (const dir of MUTATION_TEST_DIRS) {
      expect(readdirSync(dir).some((name) => name.endsWith(".test.ts")), dir).toBe(true);
    }
    expect(include.some((glob) => /terraform|fault|stacks|emit/.test(glob))).toBe(false);
    expect(strykerVitestConfig.test?.exclude).toContain("**/shipped-zip*.test.ts");
    expect(strykerVitestConfig.test?.globalSetup).toBeUndefined();
  });
});
