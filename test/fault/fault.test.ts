import { generalScenarios, runScenarios } from "./run-scenarios.js";

// The fault-injection suite (docs/reliability.md): every other scenario of the general ones, the rest in
// fault-second-half.test.ts, so both vitest workers run them; the burst (burst.test.ts), the interleaved
// ones (interleaved.test.ts) and the slow GitHub (slow-github.test.ts) run in parallel too. Needs the
// shipped zips: `npm run build:lambdas` (npm test does it first).
runScenarios("fault", generalScenarios(0));
