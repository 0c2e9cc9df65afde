import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { appendSummary, getInput, getMultilineInput, setOutput } from "../../actions/lib/action-io.js";
import { decideAffected, normalize, type Pin } from "./decide.js";
import { discoverRepo } from "./discover.js";
import { matrixOf, summaryOf } from "./render.js";

export const USAGE = `usage: self-runners-affected [--base REF --head REF | --files a,b] [--pin PREFIX=DIR]... [--ignore DIR]... [--root DIR]... [--repo DIR] [--summary]
Prints the GitHub Actions matrix of the Terraform roots and CDKTF stacks the changed files affect.`;

export interface AffectedOptions {
  readonly repo: string;
  readonly base?: string;
  readonly head?: string;
  readonly files?: readonly string[];
  readonly pins: readonly Pin[];
  readonly ignore: readonly string[];
  readonly roots?: readonly string[];
}

export class UsageError extends Error {}

export function parsePin(text: string): Pin {
  const [prefix, dir, extra] = text.split("=");
  if (!prefix || !dir || extra !== undefined) throw new UsageError(`a pin is PREFIX=DIR (a change under PREFIX changes DIR), got "${text}"`);
  return { prefix: normalize(prefix), dir: normalize(dir) };
}

/** Options from command-line flags (the bin). */
export function optionsFromArgs(argv: readonly string[], cwd: string): AffectedOptions & { summary: boolean } {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      repo: { type: "string" },
      base: { type: "string" },
      head: { type: "string" },
      files: { type: "string", multiple: true },
      pin: { type: "string", multiple: true },
      ignore: { type: "string", multiple: true },
      root: { type: "string", multiple: true },
      summary: { type: "boolean", default: false },
    },
    strict: true,
  });
  return {
    repo: resolve(cwd, values.repo ?? "."),
    base: values.base,
    head: values.head,
    files: values.files?.flatMap((f) => f.split(/[,\n]/)),
    pins: (values.pin ?? []).map(parsePin),
    ignore: values.ignore ?? [],
    roots: values.root,
    summary: values.summary ?? false,
  };
}

/** Options from the Action's inputs (action.yml). */
export function optionsFromInputs(env: NodeJS.ProcessEnv, cwd: string): AffectedOptions {
  const files = getMultilineInput("files", env);
  const roots = getMultilineInput("roots", env);
  return {
    repo: resolve(cwd, getInput("working-directory", env) || "."),
    base: getInput("base", env) || undefined,
    head: getInput("head", env) || undefined,
    files: files.length > 0 ? files : undefined,
    pins: getMultilineInput("pins", env).map(parsePin),
    ignore: getMultilineInput("ignore", env),
    roots: roots.length > 0 ? roots : undefined,
  };
}

/** The changed paths: the given list, or what the pull request changes (`git diff base...head`). */
export function changedFiles(options: AffectedOptions): string[] {
  if (options.files !== undefined) return options.files.map((f) => f.trim()).filter((f) => f !== "");
  if (!options.base) throw new UsageError("give --base (and --head, default HEAD) or --files");
  // Three dots: changes on head since it left base, as a pull request shows them. No renames, so a file
  // moved out of a root counts for the root it left too.
  const out = execFileSync("git", ["diff", "--name-only", "--no-renames", `${options.base}...${options.head ?? "HEAD"}`], { cwd: options.repo, encoding: "utf8" });
  return out.split("\n").filter((line) => line !== "");
}

export function runAffected(options: AffectedOptions) {
  const graph = discoverRepo(options.repo, { pins: options.pins, ignore: options.ignore, ...(options.roots ? { roots: options.roots } : {}) });
  const decision = decideAffected(graph, changedFiles(options));
  return { decision, matrix: matrixOf(decision), summary: summaryOf(decision) };
}

/** The bin with flags, or the Action (no flags, inputs in INPUT_* variables). Returns the exit code. */
export function main(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): number {
  try {
    if (argv.includes("--help") || argv.includes("-h")) {
      console.log(USAGE);
      return 0;
    }
    const asAction = argv.length === 0 && env.GITHUB_ACTIONS === "true";
    const options = asAction ? optionsFromInputs(env, cwd) : optionsFromArgs(argv, cwd);
    const { decision, matrix, summary } = runAffected(options);
    if (asAction) {
      setOutput("matrix", JSON.stringify(matrix), env);
      setOutput("count", String(decision.affected.length), env);
      setOutput("summary", summary, env);
      appendSummary(summary, env);
      console.log(summary);
    } else if ("summary" in options && options.summary) process.stdout.write(summary);
    else {
      process.stdout.write(`${JSON.stringify(matrix)}\n`);
      process.stderr.write(summary);
    }
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(error instanceof UsageError || (error as { code?: string }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" ? `${message}\n${USAGE}` : message);
    if (env.GITHUB_ACTIONS === "true") console.log(`::error::${message.replace(/\n/g, "%0A")}`);
    return 1;
  }
}
