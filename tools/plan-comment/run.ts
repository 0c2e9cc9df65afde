/**
 * plan-comment's one entry for the bin and the Action: read each stack's plan files, render, and
 * upsert the stack's sticky comment. Arguments and environment come in as plain data (tests pass them).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createClient, upsertComment, type PullRequest, type UpsertResult } from "./github.js";
import { Masker } from "./mask.js";
import { isEmpty, readPlan, type PlanJson, type StackPlan } from "./plan.js";
import { markerFor, renderComment } from "./render.js";

export const USAGE = `Usage: plan-comment --stack NAME=DIR [--stack NAME=DIR ...] [options]
       plan-comment --name NAME --plan-json FILE [--plan-text FILE] [--exit-code N] [options]

Renders each stack's saved plan (terraform show -json) as one sticky pull-request comment per stack.
A stack directory holds tfplan.json (terraform show -json tfplan), and optionally plan.txt (the plan's
text output, for warnings and errors) and plan.exitcode (terraform plan's exit status; 1 = failed).

Options:
  --mask REGEX              hide every match (repeatable); sensitive values are always hidden
  --pull-request N          default: the pull request of GITHUB_EVENT_PATH
  --repository OWNER/REPO   default: GITHUB_REPOSITORY
  --author LOGIN            only edit comments by this login (e.g. github-actions[bot])
  --comment-on-no-changes   also create a comment when a plan is empty (default: only update one)
  --dry-run                 print the Markdown instead of commenting
Environment: GITHUB_TOKEN (or GH_TOKEN), GITHUB_API_URL, GITHUB_SERVER_URL, GITHUB_RUN_ID.`;

export interface StackInput {
  readonly name: string;
  readonly planJson?: string;
  readonly planText?: string;
  /** terraform plan's exit status (with -detailed-exitcode: 0 none, 2 changes, 1 failed). */
  readonly exitCode?: number;
}

export interface RunOptions {
  readonly stacks: readonly StackInput[];
  readonly masks: readonly string[];
  readonly repository?: string;
  readonly pullRequest?: number;
  readonly author?: string;
  readonly commentOnNoChanges: boolean;
  readonly dryRun: boolean;
}

export interface StackOutcome {
  readonly stack: string;
  readonly body: string;
  readonly result?: UpsertResult;
}

/** Reads `--stack NAME=DIR` (repeatable) or the single-stack flags. Throws a usage error. */
export function parseCommandLine(argv: readonly string[]): RunOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      stack: { type: "string", multiple: true },
      name: { type: "string" },
      "plan-json": { type: "string" },
      "plan-text": { type: "string" },
      "exit-code": { type: "string" },
      mask: { type: "string", multiple: true },
      "pull-request": { type: "string" },
      repository: { type: "string" },
      author: { type: "string" },
      "comment-on-no-changes": { type: "boolean" },
      "dry-run": { type: "boolean" },
    },
    strict: true,
    allowPositionals: false,
  });
  const stacks: StackInput[] = (values.stack ?? []).map(stackFromDirectory);
  if (values.name !== undefined) {
    stacks.push({
      name: values.name,
      planJson: values["plan-json"],
      planText: values["plan-text"],
      exitCode: values["exit-code"] === undefined || values["exit-code"] === "" ? undefined : integer("--exit-code", values["exit-code"]),
    });
  }
  if (stacks.length === 0) throw new UsageError("give at least one --stack NAME=DIR, or --name with --plan-json");
  const names = stacks.map((stack) => stack.name);
  const twice = names.find((name, index) => names.indexOf(name) !== index);
  if (twice !== undefined) throw new UsageError(`stack ${JSON.stringify(twice)} is given twice: each stack has one comment`);
  return {
    stacks,
    masks: values.mask ?? [],
    repository: values.repository,
    pullRequest: values["pull-request"] === undefined ? undefined : integer("--pull-request", values["pull-request"]),
    author: values.author,
    commentOnNoChanges: values["comment-on-no-changes"] ?? false,
    dryRun: values["dry-run"] ?? false,
  };
}

export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** `NAME=DIR`: the directory's tfplan.json, plan.txt and plan.exitcode (the last two optional). */
export function stackFromDirectory(spec: string): StackInput {
  const at = spec.indexOf("=");
  if (at <= 0 || at === spec.length - 1) throw new UsageError(`--stack ${JSON.stringify(spec)}: expected NAME=DIR`);
  const [name, dir] = [spec.slice(0, at), spec.slice(at + 1)];
  const exitFile = join(dir, "plan.exitcode");
  return {
    name,
    planJson: join(dir, "tfplan.json"),
    planText: join(dir, "plan.txt"),
    exitCode: existsSync(exitFile) ? integer(exitFile, readFileSync(exitFile, "utf8").trim()) : undefined,
  };
}

function integer(what: string, text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${what}: expected a whole number, got ${JSON.stringify(text)}`);
  return Number(text.trim());
}

/** One stack's plan from its files; a missing plan JSON means the plan failed before saving one. */
export function loadStack(stack: StackInput): StackPlan {
  const read = (file?: string) => (file !== undefined && existsSync(file) ? readFileSync(file, "utf8") : undefined);
  const json = read(stack.planJson);
  let plan: PlanJson | undefined;
  if (json !== undefined && json.trim() !== "") {
    try {
      plan = JSON.parse(json) as PlanJson;
    } catch (error) {
      throw new UsageError(`${stack.planJson} is not the JSON of terraform show -json: ${(error as Error).message}`);
    }
  }
  if (plan === undefined && stack.exitCode !== 1 && read(stack.planText) === undefined) {
    throw new UsageError(`stack ${stack.name}: neither ${stack.planJson ?? "a plan JSON"} nor ${stack.planText ?? "a plan text"} exists`);
  }
  return readPlan({ name: stack.name, plan, text: read(stack.planText), exitCode: stack.exitCode });
}

/** The workflow run's page, when the environment names one. */
export function runUrl(env: NodeJS.ProcessEnv): string | undefined {
  const { GITHUB_SERVER_URL: server = "https://github.com", GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: runId } = env;
  return repository && runId ? `${server}/${repository}/actions/runs/${runId}` : undefined;
}

function pullRequestOf(options: RunOptions, env: NodeJS.ProcessEnv): PullRequest {
  const repository = options.repository ?? env.GITHUB_REPOSITORY;
  const [owner, repo, extra] = (repository ?? "").split("/");
  if (!owner || !repo || extra !== undefined) throw new UsageError(`the repository must be OWNER/REPO (--repository or GITHUB_REPOSITORY), got ${JSON.stringify(repository ?? "")}`);
  let number = options.pullRequest;
  if (number === undefined && env.GITHUB_EVENT_PATH && existsSync(env.GITHUB_EVENT_PATH)) {
    const event = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, "utf8")) as { pull_request?: { number?: number }; issue?: { number?: number } };
    number = event.pull_request?.number ?? event.issue?.number;
  }
  if (number === undefined) throw new UsageError("no pull request: pass --pull-request N, or run on a pull_request event");
  return { owner, repo, number };
}

/** Renders every stack and (unless a dry run) upserts its comment. Stacks are independent: all are tried. */
export async function run(options: RunOptions, env: NodeJS.ProcessEnv): Promise<StackOutcome[]> {
  const link = runUrl(env);
  const rendered = options.stacks.map((stack) => {
    const plan = loadStack(stack);
    const masker = Masker.fromPatterns(options.masks);
    return { plan, body: renderComment(plan, { masker, runUrl: link }) };
  });
  if (options.dryRun) return rendered.map(({ plan, body }) => ({ stack: plan.name, body }));
  const token = env.GITHUB_TOKEN || env.GH_TOKEN;
  if (!token) throw new UsageError("GITHUB_TOKEN (or GH_TOKEN) is not set: give the step a token with pull-requests: write");
  const pr = pullRequestOf(options, env);
  const client = createClient(token, env.GITHUB_API_URL || "https://api.github.com");
  const outcomes: StackOutcome[] = [];
  const failures: Error[] = [];
  for (const { plan, body } of rendered) {
    try {
      const result = await upsertComment(client, pr, {
        marker: markerFor(plan.name),
        body,
        create: options.commentOnNoChanges || !isEmpty(plan),
        author: options.author,
      });
      outcomes.push({ stack: plan.name, body, result });
    } catch (error) {
      failures.push(error as Error);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, failures.map((failure) => failure.message).join("\n"));
  return outcomes;
}
