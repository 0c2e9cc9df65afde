/**
 * The comment for one stack's plan: marker, title and one-line summary (never folded), a loud block
 * listing every destroy and replace, Terraform's errors and warnings, then each resource's attribute
 * diff folded under its action. Pure: the same plan gives the same Markdown.
 */
import { Masker, flatten, type Attribute } from "./mask.js";
import { code, details, fenced, inline, quote } from "./markdown.js";
import { CHANGE_KINDS, countChanges, isEmpty, type ChangeKind, type Counts, type ResourceChange, type StackPlan } from "./plan.js";
import { count, fitComment, type CommentParts } from "./trim.js";

/** GitHub refuses comment bodies longer than this (characters). */
export const GITHUB_COMMENT_LIMIT = 65_536;

export interface RenderOptions {
  readonly masker?: Masker;
  /** Link to the workflow run (GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID). */
  readonly runUrl?: string;
  /** @default GITHUB_COMMENT_LIMIT */
  readonly limit?: number;
}

/**
 * The hidden marker that makes a comment the sticky one of `stack`. `<`, `>`, `%` and line breaks are
 * percent-encoded: the name can neither end the HTML comment early nor collide with another name.
 */
export function markerFor(stack: string): string {
  const encoded = stack.replace(/[%<>\r\n]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
  return `<!-- self-runners:plan-comment stack=${encoded} -->`;
}

const HEADINGS: Readonly<Record<ChangeKind, string>> = {
  delete: "🗑️ Destroy",
  replace: "♻️ Replace",
  create: "➕ Create",
  update: "🔧 Update in place",
  import: "📥 Import",
  move: "🚚 Move",
  forget: "🫥 Forget (removed from state, kept in the cloud)",
};

// Terraform's action_reason values (terraform show -json docs) in a reviewer's words.
const REASONS: Readonly<Record<string, string>> = {
  replace_because_tainted: "tainted",
  replace_because_cannot_update: "an attribute change forces replacement",
  replace_by_request: "replacement requested with -replace",
  replace_by_triggers: "replace_triggered_by changed",
  delete_because_no_resource_config: "removed from the configuration",
  delete_because_no_module: "its module was removed",
  delete_because_wrong_repetition: "count or for_each was added or removed",
  delete_because_count_index: "count reduced",
  delete_because_each_key: "for_each key removed",
  delete_because_no_move_target: "its move target does not exist",
};

/** The one-line summary, e.g. `Plan: 3 to add, 1 to change, 37 to destroy, 1 to replace.` */
export function summaryLine(plan: StackPlan): string {
  if (!plan.succeeded) return "**❌ The plan failed.** Nothing below can be applied; Terraform's errors follow.";
  if (isEmpty(plan)) return "**✅ No changes.** The infrastructure matches the configuration.";
  const counts = countChanges(plan.changes);
  // Add, change and destroy always show (as Terraform's own line); the rarer ones only when present.
  const parts: Array<[count: number, label: string, loud: boolean, always: boolean]> = [
    [counts.create, "to add", false, true],
    [counts.update, "to change", false, true],
    [counts.delete, "to destroy", true, true],
    [counts.replace, "to replace", true, false],
    [counts.import, "to import", false, false],
    [counts.move, "to move", false, false],
    [counts.forget, "to forget", false, false],
  ];
  const text = parts
    .filter(([n, , , always]) => always || n > 0)
    .map(([n, label, loud]) => (loud && n > 0 ? `**${count(n)} ${label}**` : `${count(n)} ${label}`));
  const outputs = plan.outputChanges.length > 0 ? `, ${plan.outputChanges.length} output${plan.outputChanges.length === 1 ? "" : "s"} to change` : "";
  return `**Plan:** ${text.join(", ")}${outputs}.`;
}

/** The whole comment for one stack, at most `limit` characters. */
export function renderComment(plan: StackPlan, options: RenderOptions = {}): string {
  const masker = options.masker ?? new Masker();
  for (const change of plan.changes) {
    masker.learn(change.before, change.beforeSensitive);
    masker.learn(change.after, change.afterSensitive);
  }
  const parts: CommentParts = {
    head: [markerFor(plan.name), renderTitle(plan, options.runUrl), summaryLine(plan)].join("\n\n"),
    alerts: [renderDestroyWarning(plan, masker), renderDiagnostics(plan, masker)].filter((text) => text !== ""),
    details: renderDetails(plan, masker),
  };
  return fitComment(parts, options.limit ?? GITHUB_COMMENT_LIMIT, options.runUrl);
}

function renderTitle(plan: StackPlan, runUrl?: string): string {
  const run = runUrl ? ` · [workflow run](${encodeURI(runUrl)})` : "";
  return `### Terraform plan: ${code(plan.name)}${run}`;
}

// Every destroy and replace, instances of one resource on one line, so 1,500 destroys stay readable.
function renderDestroyWarning(plan: StackPlan, masker: Masker): string {
  const loud = plan.changes.filter((change) => change.kind === "delete" || change.kind === "replace");
  if (loud.length === 0) return "";
  const counts: Counts = countChanges(loud);
  const resources = (n: number) => `${count(n)} resource${n === 1 ? "" : "s"}`;
  const what = [counts.delete > 0 ? `destroys ${resources(counts.delete)}` : "", counts.replace > 0 ? `replaces ${resources(counts.replace)}` : ""].filter(Boolean).join(" and ");
  const lines = [`[!CAUTION]`, `**This plan ${what}.** Data in them is lost unless it is kept elsewhere.`, ""];
  for (const kind of ["delete", "replace"] as const) {
    const byResource = new Map<string, string[]>();
    for (const change of loud.filter((c) => c.kind === kind)) {
      const address = masker.mask(change.address);
      const split = /^(.*?)(\[[^\]]*\])$/.exec(address);
      const [base, key] = split ? [split[1]!, split[2]!] : [address, ""];
      byResource.set(base, [...(byResource.get(base) ?? []), key]);
    }
    for (const [base, keys] of byResource) {
      const verb = kind === "delete" ? "destroy" : "replace";
      const instances = keys.filter(Boolean);
      lines.push(
        instances.length === 0 || (instances.length === 1 && keys.length === 1)
          ? `- ${verb} ${code(base + (instances[0] ?? ""))}`
          : `- ${verb} ${code(base)} × ${count(keys.length)}: ${instances.map(inline).join(" ")}`,
      );
    }
  }
  return quote(lines.join("\n"));
}

function renderDiagnostics(plan: StackPlan, masker: Masker): string {
  const blocks: string[] = [];
  for (const severity of ["error", "warning"] as const) {
    const found = plan.diagnostics.filter((diagnostic) => diagnostic.severity === severity);
    if (found.length === 0) continue;
    const alert = severity === "error" ? "[!CAUTION]" : "[!WARNING]";
    const label = `${count(found.length)} ${severity}${found.length === 1 ? "" : "s"} from Terraform`;
    blocks.push(quote(`${alert}\n**${label}:**`), fenced(found.map((diagnostic) => masker.mask(diagnostic.text)).join("\n\n"), "text"));
  }
  return blocks.join("\n\n");
}

function renderDetails(plan: StackPlan, masker: Masker): string[] {
  const chunks: string[] = [];
  if (plan.outputChanges.length > 0) chunks.push(`Outputs that change: ${plan.outputChanges.map((name) => code(masker.mask(name))).join(", ")}`);
  for (const kind of CHANGE_KINDS) {
    const changes = plan.changes.filter((change) => change.kind === kind);
    if (changes.length === 0) continue;
    chunks.push(`#### ${HEADINGS[kind]} (${count(changes.length)})`);
    for (const change of changes) chunks.push(renderResource(change, masker));
  }
  return chunks;
}

function renderResource(change: ResourceChange, masker: Masker): string {
  const notes = [
    change.movedFrom ? `moved from ${code(masker.mask(change.movedFrom))}` : "",
    change.importId !== undefined ? `import id ${code(masker.mask(change.importId))}` : "",
    change.reason ? inline(REASONS[change.reason] ?? change.reason.replaceAll("_", " ")) : "",
  ].filter(Boolean);
  const summary = `${code(masker.mask(change.address))}${notes.length > 0 ? ` (${notes.join(", ")})` : ""}`;
  const lines = diffLines(change).map((line) => masker.mask(line));
  return details(summary, lines.length > 0 ? fenced(lines.join("\n"), "diff") : "_No attribute changes._");
}

/** `+ path = value` / `- path = value` lines; unchanged attributes are counted, not shown. */
export function diffLines(change: ResourceChange): string[] {
  const before = change.kind === "create" ? [] : flatten(change.before, change.beforeSensitive);
  const after = change.kind === "delete" || change.kind === "forget" ? [] : flatten(change.after, change.afterSensitive, change.afterUnknown);
  if (change.kind === "forget") return before.map((attribute) => `  ${attribute.path} = ${attribute.value}`);
  const old = new Map(before.map((attribute) => [attribute.path, attribute]));
  const next = new Map(after.map((attribute) => [attribute.path, attribute]));
  const lines: string[] = [];
  let unchanged = 0;
  const line = (sign: string, attribute: Attribute) => `${sign} ${attribute.path} = ${attribute.value}`;
  const paths = [...new Set([...old.keys(), ...next.keys()])].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  for (const path of paths) {
    const [was, will] = [old.get(path), next.get(path)];
    // Compared on the raw value: two "(sensitive value)" may hide a changed secret.
    if (was !== undefined && will !== undefined && was.raw === will.raw && was.value === will.value) {
      unchanged += 1;
      continue;
    }
    if (was !== undefined) lines.push(line("-", was));
    if (will !== undefined) lines.push(line("+", will) + (forcesReplacement(change, path) ? "  # forces replacement" : ""));
  }
  if (unchanged > 0 && lines.length > 0) lines.push(`  # (${unchanged} unchanged attribute${unchanged === 1 ? "" : "s"} hidden)`);
  return capLines(lines);
}

// replace_paths are attribute paths as steps (`[["triggers_replace"]]`); ours are `a.b[0]` strings.
function forcesReplacement(change: ResourceChange, path: string): boolean {
  return change.kind === "replace" && change.replacePaths.some((prefix) => path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`));
}

const MAX_DIFF_LINES = 200;

// One resource must not eat the whole comment (a policy with hundreds of statements): cut its middle.
function capLines(lines: string[]): string[] {
  if (lines.length <= MAX_DIFF_LINES) return lines;
  const keep = MAX_DIFF_LINES / 2;
  return [...lines.slice(0, keep), `  # (${lines.length - 2 * keep} lines omitted)`, ...lines.slice(-keep)];
}
