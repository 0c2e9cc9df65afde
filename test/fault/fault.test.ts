import { runScenarios } from "./run-scenarios.js";
import { SCENARIOS } from "./scenarios.js";

// The fault-injection suite (docs/reliability.md), all scenarios but the burst (burst.test.ts, which
// runs in parallel). Needs the shipped zips: `npm run build:lambdas` (npm test does it first).
runScenarios("fault", SCENARIOS.filter((scenario) => scenario.heavy !== true));
