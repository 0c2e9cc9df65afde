import { runScenarios } from "./run-scenarios.js";
import { GOVERNED_SCENARIOS, GOVERNOR_GUARD } from "./scenarios-governed.js";

// The GitHub write governor against the world's enforced secondary limits, in their own file: their
// figures are the governor's (docs/performance.md, bench/governor.ts), not the reliability table's.
// The small guard (100 jobs at a low rate) runs in every `npm test`; the two 1,000-job bursts (1 and 3
// Apps) take many minutes, so they run when asked for (the bench sets FAULT_GOVERNOR=1).
const thousandJobBursts = process.env.FAULT_GOVERNOR === "1";
if (!thousandJobBursts) console.log("governed 1,000-job bursts not run: they run with FAULT_GOVERNOR=1 (npm run bench -- --only governor sets it), minutes each");
runScenarios("governor", [GOVERNOR_GUARD, ...(thousandJobBursts ? GOVERNED_SCENARIOS : [])], { inReliabilityTable: false });
