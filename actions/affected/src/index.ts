// Entry of the affected Action and the self-runners-affected bin (tools/affected/main.ts decides which).
import { main } from "../../../tools/affected/main.js";

process.exitCode = main(process.argv.slice(2), process.env, process.cwd());
