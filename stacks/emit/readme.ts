/**
 * The module's README: usage, then the reference tables in terraform-docs' markdown table layout
 * (terraform-docs itself is a Go binary we would have to install; the tables come from the same
 * synthesized variables and outputs as variables.tf and outputs.tf, so they cannot drift).
 */
import { renderInline } from "./hcl-value.js";
import type { OutputDoc, VariableDoc } from "./configuration.js";

export interface ReadmeInput {
  readonly moduleName: string;
  readonly description: string;
  readonly usageExample: string;
  /** Name -> version constraint, `terraform` first. */
  readonly requirements: ReadonlyArray<readonly [string, string]>;
  readonly variables: readonly VariableDoc[];
  readonly outputs: readonly OutputDoc[];
}

/** The README text; the same input always gives the same bytes. */
export function renderReadme(input: ReadmeInput): string {
  const variables = [...input.variables].sort(byName);
  const outputs = [...input.outputs].sort(byName);
  return [
    `# ${input.moduleName}`,
    "",
    input.description.trim(),
    "",
    "## Usage",
    "",
    "```hcl",
    input.usageExample.trim(),
    "```",
    "",
    "## Requirements",
    "",
    "| Name | Version |",
    "|------|---------|",
    ...input.requirements.map(([name, version]) => `| ${anchor("requirement", name)} | ${cell(version)} |`),
    "",
    "## Inputs",
    "",
    ...(variables.length === 0
      ? ["No inputs."]
      : [
          "| Name | Description | Type | Default | Required |",
          "|------|-------------|------|---------|:--------:|",
          ...variables.map(
            (v) =>
              `| ${anchor("input", v.name)} | ${cell(describe(v.description, v.sensitive, v.nullable))} | ${code(oneLine(v.type ?? "any"))} | ${defaultCell(v)} | ${v.hasDefault ? "no" : "yes"} |`,
          ),
        ]),
    "",
    "## Outputs",
    "",
    ...(outputs.length === 0
      ? ["No outputs."]
      : [
          "| Name | Description |",
          "|------|-------------|",
          ...outputs.map((o) => `| ${anchor("output", o.name)} | ${cell(describe(o.description, o.sensitive, true))} |`),
        ]),
    "",
  ].join("\n");
}

function defaultCell(variable: VariableDoc): string {
  if (!variable.hasDefault) return "n/a";
  if (variable.sensitive) return "(sensitive)";
  return code(renderInline(variable.default));
}

function describe(description: string | undefined, sensitive: boolean, nullable: boolean): string {
  const notes = [sensitive ? "Sensitive." : "", nullable ? "" : "Must not be null."].filter(Boolean);
  return [description?.trim() ?? "", ...notes.map((note) => `_${note}_`)].filter(Boolean).join(" ");
}

function anchor(kind: string, name: string): string {
  const escaped = name.replace(/_/g, "\\_");
  return `<a name="${kind}_${name}"></a> [${escaped}](#${kind}\\_${escaped})`;
}

function code(text: string): string {
  return `\`${text.replace(/\|/g, "\\|")}\``;
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
