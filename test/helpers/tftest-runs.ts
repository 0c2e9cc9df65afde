import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

// What a `run` block of a `*.tftest.hcl` file names, read from its text: the runs are written by hand
// in one layout (`run "…" {` at column 0, `}` alone at column 0 to close it, each assert's condition
// before its error message), which is all this reads. Terraform has no command that lists a run's
// references, hence this reader.

/** One top-level `run "…" { … }` block of a test file. */
export interface RunBlock {
  readonly name: string;
  readonly text: string;
}

/** Each top-level `run "…" { … }` block of a test file's lines: its name and text. */
export function runBlocks(lines: readonly string[]): RunBlock[] {
  const blocks: RunBlock[] = [];
  let current: { name: string; lines: string[] } | undefined;
  for (const line of lines) {
    const start = /^run "([^"]+)"/.exec(line);
    if (start) current = { name: start[1], lines: [] };
    if (current === undefined) continue;
    current.lines.push(line);
    if (line === "}") {
      blocks.push({ name: current.name, text: current.lines.join("\n") });
      current = undefined;
    }
  }
  return blocks;
}

/** A resource or data source address without its instance key: `aws_x.y`, `data.aws_x.y`. */
const RESOURCE = /\b(?:data\.)?aws_\w+\.\w+/g;

/** A list attribute's items (`name = [a, b]`, on one line or several), or undefined when absent. */
function listAttribute(text: string, name: string): string[] | undefined {
  const items = new RegExp(`^\\s*${name}\\s*=\\s*\\[([^\\]]*)\\]`, "m").exec(text)?.[1];
  return items
    ?.split(/[,\n]/)
    .map((item) => item.trim())
    .filter(Boolean);
}

/** The run's `plan_options { target = [...] }` addresses, or undefined when it plans the whole module. */
export function runTargets(run: string): string[] | undefined {
  return listAttribute(run, "target");
}

/** The run's `expect_failures` items (`var.x`, `aws_x.y`, `check.z`). */
export function expectedFailures(run: string): string[] {
  return listAttribute(run, "expect_failures") ?? [];
}

/**
 * Everything the run's assertions read: the text of every `condition` (from `condition =` to the
 * assert's `error_message`, so conditions over several lines count whole). String literals are kept:
 * an address inside one is counted too, which can only ask for more targets, never fewer.
 */
export function assertConditions(run: string): string {
  return [...run.matchAll(/^\s*condition\s*=([\s\S]*?)^\s*error_message\s*=/gm)].map((m) => m[1]).join("\n");
}

/** What a run's assertions and expected failures name: resources (keys dropped), outputs, checks. */
export function runReferences(run: string): { resources: string[]; outputs: string[]; checks: string[] } {
  const text = `${assertConditions(run)}\n${expectedFailures(run).join("\n")}`;
  const unique = (items: Iterable<string>): string[] => [...new Set(items)].sort();
  return {
    resources: unique(text.match(RESOURCE) ?? []),
    outputs: unique([...text.matchAll(/\boutput\.(\w+)/g)].map((m) => m[1])),
    checks: unique([...text.matchAll(/\bcheck\.(\w+)/g)].map((m) => m[1])),
  };
}

/**
 * For each output of the module in `moduleDir`, the resources its value reads, through the locals it
 * reads (over-approximated: every address in the expressions). A targeted plan evaluates an output only
 * when what it reads was planned: an output of an untargeted resource, or of variables alone, is null.
 */
export function outputResources(moduleDir: string): Map<string, string[]> {
  const blocks = readdirSync(moduleDir)
    .filter((file) => file.endsWith(".tf"))
    .flatMap((file) => topLevelBlocks(readFileSync(join(moduleDir, file), "utf8")));
  const locals = new Map<string, string>();
  for (const block of blocks.filter((b) => b.header === "locals")) {
    let name: string | undefined;
    for (const line of block.body) {
      const attribute = /^ {2}(\w+)\s*=(.*)$/.exec(line);
      if (attribute) {
        name = attribute[1];
        locals.set(name, attribute[2]);
      } else if (name !== undefined) locals.set(name, `${locals.get(name)}\n${line}`);
    }
  }
  const resourcesOf = (expression: string, seen: Set<string>): string[] => [
    ...(expression.match(RESOURCE) ?? []),
    ...[...expression.matchAll(/\blocal\.(\w+)/g)].flatMap(([, local]) => (seen.has(local) ? [] : resourcesOf(locals.get(local) ?? "", seen.add(local)))),
  ];
  const outputs = new Map<string, string[]>();
  for (const block of blocks) {
    const output = /^output "(\w+)"$/.exec(block.header);
    if (output) outputs.set(output[1], [...new Set(resourcesOf(block.body.join("\n"), new Set()))].sort());
  }
  return outputs;
}

/** The top-level blocks of a .tf file as `terraform fmt` lays them out: header line, body lines, `}`. */
function topLevelBlocks(text: string): { header: string; body: string[] }[] {
  const blocks: { header: string; body: string[] }[] = [];
  let current: { header: string; body: string[] } | undefined;
  for (const line of text.split("\n")) {
    const start = /^(\S.*?)\s*\{$/.exec(line);
    if (current === undefined && start) current = { header: start[1], body: [] };
    else if (current !== undefined && line === "}") {
      blocks.push(current);
      current = undefined;
    } else current?.body.push(line);
  }
  return blocks;
}

/**
 * What a targeted run's assertions or expected failures read that its targets do not plan, one line
 * each; empty for a run that plans the whole module. A resource must be a target itself (its key
 * dropped: the whole resource, every instance); an output must read at least one resource, every one
 * of them targeted (`outputs`: {@link outputResources}); a check is never evaluated for sure under a
 * target. Terraform crashes on an assertion reading an unplanned resource, but an unplanned output is
 * null, and an assertion that an output is null or empty would pass on nothing.
 */
export function untargetedReferences(run: string, outputs: ReadonlyMap<string, readonly string[]>): string[] {
  const targets = runTargets(run);
  if (targets === undefined) return [];
  const { resources, outputs: named, checks } = runReferences(run);
  return [
    ...resources.filter((resource) => !targets.includes(resource)).map((resource) => `${resource} is not a target`),
    ...named.flatMap((output) => {
      const read = outputs.get(output);
      if (read === undefined) return [`output.${output} is not an output of the module`];
      if (read.length === 0) return [`output.${output} reads no resource, so a targeted plan leaves it null`];
      return read.filter((resource) => !targets.includes(resource)).map((resource) => `output.${output} reads ${resource}, not a target`);
    }),
    ...checks.map((check) => `check.${check} is not evaluated for sure under a target`),
  ];
}
