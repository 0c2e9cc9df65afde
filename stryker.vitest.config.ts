import { defineConfig } from "vitest/config";

// The tests Stryker runs against each mutant (stryker.config.json, docs/testing.md "Mutation testing"):
// the unit and handler tests of the five cores, nothing that needs dist/ (the shipped-zip tests run the
// bundle, which a mutant of the source never reaches), no terraform, fault or synth tier.
export const MUTATION_TEST_DIRS = [
  "test/lambdas/libs/ledger",
  "test/lambdas/webhook",
  "test/lambdas/scale-up",
  "test/lambdas/reconcile",
  "test/lambdas/spot-interruption",
] as const;

export default defineConfig({
  test: {
    include: MUTATION_TEST_DIRS.map((dir) => `${dir}/**/*.test.ts`),
    exclude: ["**/node_modules/**", "**/shipped-zip*.test.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
