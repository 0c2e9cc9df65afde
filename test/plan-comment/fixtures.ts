// Loads the real plans under test/plan-comment/fixtures (written by fixtures/generate.ts).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { PlanJson } from "../../tools/plan-comment/plan.js";
import { REPO_ROOT } from "../helpers/paths.js";

export const FIXTURES = join(REPO_ROOT, "test", "plan-comment", "fixtures");
export const GOLDEN = join(REPO_ROOT, "test", "plan-comment", "golden");
export const PLAN_CASES = ["module-create", "module-failed", "update", "replace", "destroy-many", "no-op", "sensitive", "moved", "import", "huge"] as const;
export type PlanCase = (typeof PLAN_CASES)[number];

export interface PlanFixture {
  readonly plan?: PlanJson;
  /** The plan JSON as `terraform show -json` wrote it. */
  readonly json?: string;
  readonly text: string;
  readonly exitCode: number;
}

export function planFixture(name: PlanCase): PlanFixture {
  const file = (suffix: string) => join(FIXTURES, `${name}${suffix}`);
  const gunzip = (path: string) => (existsSync(path) ? gunzipSync(readFileSync(path)).toString("utf8") : undefined);
  const json = gunzip(file(".plan.json.gz"));
  return {
    json,
    plan: json === undefined ? undefined : (JSON.parse(json) as PlanJson),
    text: gunzip(file(".plan.txt.gz")) ?? "",
    exitCode: Number(readFileSync(file(".exit"), "utf8").trim()),
  };
}

/**
 * Checks Markdown the way GitHub reads it: every fence closes (a closing fence is at least as long as
 * its opening and carries no info string) and, outside fences, every <details> closes.
 */
export function structureProblems(markdown: string): string[] {
  const problems: string[] = [];
  let open: string | null = null;
  let depth = 0;
  markdown.split("\n").forEach((line, index) => {
    const fence = /^(`{3,})(.*)$/.exec(line);
    if (open !== null) {
      if (fence && fence[1]!.length >= open.length && fence[2]!.trim() === "") open = null;
      return;
    }
    if (fence) {
      open = fence[1]!;
      return;
    }
    depth += (line.match(/<details[ >]/g) ?? []).length - (line.match(/<\/details>/g) ?? []).length;
    if (depth < 0) problems.push(`line ${index + 1}: </details> without <details>`);
  });
  if (open !== null) problems.push("a code fence never closes");
  if (depth !== 0) problems.push(`${depth} <details> never close`);
  return problems;
}
