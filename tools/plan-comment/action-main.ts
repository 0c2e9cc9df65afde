// Runs the Action (kept apart from action.ts so tests can import that without running it).
import { main } from "./action.js";

process.exitCode = await main(process.env);
