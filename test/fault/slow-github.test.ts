import { runScenarios } from "./run-scenarios.js";
import { SLOW_GITHUB_SCENARIOS } from "./scenarios-slow-github.js";

// A slow GitHub against scale-up's time budget, in its own file so it runs beside fault.test.ts.
// Needs the shipped zips: `npm run build:lambdas` (npm test does it first).
runScenarios("slow-github", SLOW_GITHUB_SCENARIOS);
