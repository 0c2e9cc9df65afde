import { runScenarios } from "./run-scenarios.js";
import { INTERLEAVED_SCENARIOS } from "./scenarios-interleaved.js";

// The fault world with invocations interleaved call by call (world/scheduler.ts), in its own file so
// it runs beside fault.test.ts. Needs the shipped zips: `npm run build:lambdas` (npm test does it first).
runScenarios("interleaved", INTERLEAVED_SCENARIOS);
