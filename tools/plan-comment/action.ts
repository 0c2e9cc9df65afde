/**
 * The entry of actions/plan-comment (bundled into its dist/index.js): the Action's inputs become the
 * bin's arguments, so the Action and `plan-comment` behave the same. GitHub passes input `plan-json`
 * as INPUT_PLAN-JSON (upper-cased, hyphens kept).
 */
import { appendFileSync } from "node:fs";
import { parseCommandLine, run } from "./run.js";

/** An input as the runner passes it; empty when unset. */
export function input(env: NodeJS.ProcessEnv, name: string): string {
  return (env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] ?? "").trim();
}

/** Lines of a multi-line input, blank lines and `#` comments dropped. */
function lines(env: NodeJS.ProcessEnv, name: string): string[] {
  return input(env, name)
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/** The bin's arguments for the Action's inputs. */
export function argumentsFromInputs(env: NodeJS.ProcessEnv): string[] {
  const args: string[] = [];
  for (const stack of lines(env, "stacks")) args.push("--stack", stack);
  const single: Array<[string, string]> = [
    ["name", "--name"],
    ["plan-json", "--plan-json"],
    ["plan-text", "--plan-text"],
    ["exit-code", "--exit-code"],
    ["pull-request", "--pull-request"],
    ["repository", "--repository"],
    ["comment-author", "--author"],
  ];
  for (const [name, flag] of single) if (input(env, name) !== "") args.push(flag, input(env, name));
  for (const pattern of lines(env, "mask")) args.push("--mask", pattern);
  if (input(env, "comment-on-no-changes") === "true") args.push("--comment-on-no-changes");
  return args;
}

export async function main(env: NodeJS.ProcessEnv): Promise<number> {
  try {
    const options = parseCommandLine(argumentsFromInputs(env));
    const token = input(env, "github-token");
    const outcomes = await run(options, { ...env, ...(token !== "" ? { GITHUB_TOKEN: token } : {}) });
    const urls: string[] = [];
    for (const outcome of outcomes) {
      const result = outcome.result;
      if (result?.action === "created" || result?.action === "updated") urls.push(result.url);
      console.log(`${outcome.stack}: ${result?.action === "skipped" ? "no changes, no comment yet: none created" : `${result?.action} ${urls.at(-1)}`}`);
    }
    if (env.GITHUB_OUTPUT) appendFileSync(env.GITHUB_OUTPUT, `comment-urls=${JSON.stringify(urls)}\n`);
    return 0;
  } catch (error) {
    // A workflow command: the runner shows it as an annotation on the run.
    for (const line of (error as Error).message.split("\n")) console.log(`::error title=plan-comment::${line}`);
    return 1;
  }
}
