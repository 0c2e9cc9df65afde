import { generalScenarios, runScenarios } from "./run-scenarios.js";

// The other half of fault.test.ts's scenarios (every other one), in its own file so that the two vitest
// workers run the halves side by side. Needs the shipped zips: `npm run build:lambdas` (npm test does it first).
runScenarios("fault-second-half", generalScenarios(1));
