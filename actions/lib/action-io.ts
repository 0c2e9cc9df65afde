import { appendFileSync } from "node:fs";
import { randomUUID } from "node:crypto";

/*
 * The few parts of the Actions toolkit our Actions need, written by hand because @actions/core is not
 * a dependency of this repository: inputs from INPUT_* variables, outputs and the step summary through
 * the files the runner names in GITHUB_OUTPUT and GITHUB_STEP_SUMMARY, and workflow commands.
 */

/** An input as the runner passes it: INPUT_<NAME upper-cased, spaces as underscores>, trimmed. */
export function getInput(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return (env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] ?? "").trim();
}

/** A multi-line input as its non-empty lines. */
export function getMultilineInput(name: string, env: NodeJS.ProcessEnv = process.env): string[] {
  return getInput(name, env)
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
}

/** Appends `name` to the step's outputs (a heredoc with a random delimiter, so any value is safe). */
export function setOutput(name: string, value: string, env: NodeJS.ProcessEnv = process.env): void {
  const file = env.GITHUB_OUTPUT;
  if (!file) {
    console.log(`output ${name}=${value}`);
    return;
  }
  const delimiter = `ghadelimiter_${randomUUID()}`;
  appendFileSync(file, `${name}<<${delimiter}\n${value}\n${delimiter}\n`);
}

export function appendSummary(markdown: string, env: NodeJS.ProcessEnv = process.env): void {
  if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, markdown.endsWith("\n") ? markdown : `${markdown}\n`);
}

/** Workflow command escaping (GitHub's own rules for data in `::error::`). */
function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

export function error(message: string): void {
  console.log(`::error::${escapeData(message)}`);
}

export function group<T>(title: string, body: () => T): T {
  console.log(`::group::${escapeData(title)}`);
  try {
    return body();
  } finally {
    console.log("::endgroup::");
  }
}
