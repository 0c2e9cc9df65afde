/**
 * A small HCL syntax tree and its printer. The printer writes one construct per line and leaves
 * alignment and indentation of nested expressions to `terraform fmt`, which runs afterwards.
 *
 * Strings come in two kinds, as in Terraform's JSON syntax: a `template` is the source of a string
 * template, its `${...}` and `%{...}` sequences kept verbatim; a `literal` is plain text that must
 * not be interpreted, so any `${` / `%{` in it is escaped.
 */
import { EmitError } from "./errors.js";
import { escapeLiteral, quoteTemplate, renderString } from "./template.js";

export type Expression =
  | { readonly kind: "template"; readonly source: string }
  | { readonly kind: "literal"; readonly value: string | number | boolean | null }
  /** Native syntax written as given: a type expression, a reference, a keyword. */
  | { readonly kind: "raw"; readonly text: string }
  | { readonly kind: "tuple"; readonly items: readonly Expression[] }
  /** Keys are templates (as in JSON expressions) unless `literalKeys`. */
  | { readonly kind: "object"; readonly entries: ReadonlyArray<readonly [string, Expression]>; readonly literalKeys?: boolean };

export interface Attribute {
  readonly kind: "attribute";
  readonly name: string;
  readonly value: Expression;
}

export interface Block {
  readonly kind: "block";
  readonly type: string;
  readonly labels: readonly string[];
  readonly body: readonly BodyItem[];
}

/** A `#` comment line (banners in variables.tf). */
export interface Comment {
  readonly kind: "comment";
  readonly text: string;
}

export type BodyItem = Attribute | Block | Comment;

export const attribute = (name: string, value: Expression): Attribute => ({ kind: "attribute", name, value });
export const block = (type: string, labels: readonly string[], body: readonly BodyItem[]): Block => ({ kind: "block", type, labels, body });
export const comment = (text: string): Comment => ({ kind: "comment", text });
export const raw = (text: string): Expression => ({ kind: "raw", text });
export const template = (source: string): Expression => ({ kind: "template", source });
export const literal = (value: string | number | boolean | null): Expression => ({ kind: "literal", value });

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;
// Bare object keys that HCL would read as something else than a name.
const RESERVED_KEYS = new Set(["for", "if", "in", "null", "true", "false"]);

/** A file: top-level items separated by blank lines, ending with a newline (empty when there are none). */
export function printFile(items: readonly BodyItem[]): string {
  if (items.length === 0) return "";
  const chunks: string[] = [];
  items.forEach((item, index) => {
    // A comment sticks to what follows it; everything else is separated by a blank line.
    const separator = index === 0 ? "" : items[index - 1].kind === "comment" && item.kind !== "comment" ? "\n" : "\n\n";
    chunks.push(separator, printItem(item, ""));
  });
  return `${chunks.join("")}\n`;
}

function printItem(item: BodyItem, indent: string): string {
  switch (item.kind) {
    case "comment":
      return `${indent}# ${item.text}`;
    case "attribute":
      return `${indent}${checkName(item.name)} = ${printExpression(item.value)}`;
    case "block":
      return printBlock(item, indent);
  }
}

function printBlock(node: Block, indent: string): string {
  const header = [checkName(node.type), ...node.labels.map((label) => quoteTemplate(label))].join(" ");
  if (node.body.length === 0) return `${indent}${header} {}`;
  const inner = `${indent}  `;
  const lines = node.body.map((item, index) => {
    // Nested blocks get a blank line before them, as Terraform's style guide does.
    const gap = index > 0 && item.kind === "block" ? "\n" : "";
    return `${gap}${printItem(item, inner)}`;
  });
  return `${indent}${header} {\n${lines.join("\n")}\n${indent}}`;
}

/** An expression; multi-line ones are indented by `terraform fmt` later. */
export function printExpression(expression: Expression): string {
  switch (expression.kind) {
    case "raw":
      return expression.text;
    case "template":
      return renderString(expression.source);
    case "literal":
      return printLiteral(expression.value);
    case "tuple": {
      if (expression.items.length === 0) return "[]";
      const items = expression.items.map(printExpression);
      const scalar = expression.items.every((item) => item.kind === "literal" || item.kind === "raw" || item.kind === "template");
      if (scalar && !items.some((item) => item.includes("\n"))) return `[${items.join(", ")}]`;
      // A heredoc's closing marker must stand alone on its line, so its comma goes on the next one.
      return `[\n${items.map((item) => (item.startsWith("<<") ? `${item}\n,` : `${item},`)).join("\n")}\n]`;
    }
    case "object": {
      if (expression.entries.length === 0) return "{}";
      const key = (name: string) =>
        IDENTIFIER.test(name) && !RESERVED_KEYS.has(name) ? name : expression.literalKeys ? printLiteral(name) : quoteTemplate(name);
      return `{\n${expression.entries.map(([name, value]) => `${key(name)} = ${printExpression(value)}`).join("\n")}\n}`;
    }
  }
}

/** A literal value; a string's `${` and `%{` are escaped so that they stay text. */
export function printLiteral(value: string | number | boolean | null): string {
  if (value === null) return "null";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new EmitError(`cannot write the number ${value} in HCL`);
    return String(value);
  }
  if (typeof value === "boolean") return String(value);
  return `"${escapeLiteral(value.replace(/([$%])\{/g, "$1$1{"))}"`;
}

function checkName(name: string): string {
  if (!IDENTIFIER.test(name)) throw new EmitError(`${JSON.stringify(name)} is not a valid HCL attribute or block name`);
  return name;
}
