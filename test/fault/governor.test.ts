import { runScenarios } from "./run-scenarios.js";
import { GOVERNED_SCENARIOS } from "./scenarios.js";

// The GitHub write governor's 1,000-job bursts (1 and 3 Apps) against the world's enforced secondary
// limits, in their own file: their figures are the governor's (docs/performance.md, bench/governor.ts).
runScenarios("governor", GOVERNED_SCENARIOS);
