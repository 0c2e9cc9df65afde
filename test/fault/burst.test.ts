import { runScenarios } from "./run-scenarios.js";
import { SCENARIOS } from "./scenarios.js";

// The heavy scenarios of the fault-injection suite, in their own file so they run beside fault.test.ts.
runScenarios("burst", SCENARIOS.filter((scenario) => scenario.heavy === true));
