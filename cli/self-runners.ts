import { run } from "./main.js";

// The bin's entry (bundled to dist/cli/self-runners.mjs): the command line in, an exit code out.
process.exitCode = await run(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
});
