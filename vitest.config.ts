import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    // Synth and terraform tiers are slow on a 2-core machine; behaviour, not speed, is asserted.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
    // Collects the fault-injection figures of test/fault/*.test.ts into one table (no-op otherwise).
    globalSetup: ["test/fault/global-setup.ts"],
    reporters: ["default"],
  },
});
