import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, scratchDir } from "../helpers/paths.js";

export interface ActionRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly outputs: Record<string, string>;
  readonly summary: string;
}

/** Reads GITHUB_OUTPUT's `name<<DELIMITER` blocks (and `name=value` lines) as the runner does. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i += 1) {
    const heredoc = /^([^=<]+)<<(.+)$/.exec(lines[i]!);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2]!, i + 1);
      outputs[heredoc[1]!] = lines.slice(i + 1, end).join("\n");
      i = end;
    } else if (lines[i]!.includes("=")) {
      const at = lines[i]!.indexOf("=");
      outputs[lines[i]!.slice(0, at)] = lines[i]!.slice(at + 1);
    }
  }
  return outputs;
}

/**
 * Runs a committed Action bundle (`node actions/<name>/dist/index.js`) as the runner would: inputs as
 * INPUT_<NAME> variables (hyphens kept), GITHUB_OUTPUT and GITHUB_STEP_SUMMARY as files. Asynchronous,
 * so a loopback server in the test process can answer the Action.
 */
export async function runAction(name: string, inputs: Record<string, string>, env: Record<string, string> = {}): Promise<ActionRun> {
  const dir = scratchDir(`action-${name}`);
  const outputFile = join(dir, "output");
  const summaryFile = join(dir, "summary");
  writeFileSync(outputFile, "");
  writeFileSync(summaryFile, "");
  const inputEnv = Object.fromEntries(Object.entries(inputs).map(([key, value]) => [`INPUT_${key.replace(/ /g, "_").toUpperCase()}`, value]));
  const child = spawn(process.execPath, [join(REPO_ROOT, "actions", name, "dist", "index.js")], {
    cwd: env.GITHUB_WORKSPACE ?? REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", GITHUB_ACTIONS: "true", GITHUB_OUTPUT: outputFile, GITHUB_STEP_SUMMARY: summaryFile, ...inputEnv, ...env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const status = await new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? 1)));
  return { status, stdout, stderr, outputs: parseOutputFile(readFileSync(outputFile, "utf8")), summary: readFileSync(summaryFile, "utf8") };
}
