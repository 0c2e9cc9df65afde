import { runScenarios } from "./run-scenarios.js";
import { SCENARIOS } from "./scenarios.js";
import { INTERLEAVED_SCENARIOS } from "./scenarios-interleaved.js";
import { SLOW_GITHUB_SCENARIOS } from "./scenarios-slow-github.js";

// The fault-injection suite (docs/reliability.md), all scenarios but the burst (burst.test.ts) and
// the interleaved ones (interleaved.test.ts) and the slow GitHub (slow-github.test.ts), which run in parallel. Needs the shipped zips: `npm run build:lambdas` (npm test does it first).
runScenarios("fault", SCENARIOS.filter((scenario) => scenario.heavy !== true && !INTERLEAVED_SCENARIOS.includes(scenario) && !SLOW_GITHUB_SCENARIOS.includes(scenario)));
