import { defineConfig } from "vitest/config";
import SlowestFirstSequencer from "./test/helpers/slowest-first-sequencer.js";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    // Synth and terraform tiers are slow on a 2-core machine; behaviour, not speed, is asserted.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
    // Vitest's default is one worker per core minus one: a single worker on the 2-core CI machine, so
    // the suite ran file after file (16 minutes) on one core. VITEST_MAX_WORKERS overrides it.
    maxWorkers: 2,
    // The longest files start first, so the suite does not wait on one started last.
    sequence: { sequencer: SlowestFirstSequencer },
    // Collects the fault-injection figures of test/fault/*.test.ts into one table (no-op otherwise).
    globalSetup: ["test/fault/global-setup.ts"],
    // cdktf's token creation stacks without vite's source-map interceptor: a third less CPU per synth.
    setupFiles: ["test/helpers/plain-token-traces.ts"],
    reporters: ["default"],
  },
});
