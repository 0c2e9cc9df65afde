#!/usr/bin/env node
/** The `plan-comment` bin: see USAGE in run.ts. Exit 2 on a usage error, 1 when GitHub refused. */
import { USAGE, UsageError, parseCommandLine, run } from "./run.js";

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  try {
    const options = parseCommandLine(argv);
    const outcomes = await run(options, process.env);
    for (const outcome of outcomes) {
      if (options.dryRun) console.log(outcome.body);
      else console.log(`${outcome.stack}: ${outcome.result?.action === "skipped" ? "no changes and no comment yet, none created" : `${outcome.result?.action} ${outcome.result && "url" in outcome.result ? outcome.result.url : ""}`}`);
    }
    return 0;
  } catch (error) {
    console.error(`plan-comment: ${(error as Error).message}`);
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      console.error(USAGE);
      return 2;
    }
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
