/**
 * Terraform template strings, as cdktf produces them: the resolved string of a token is a template
 * source (`"x-${each.key}"`), exactly what Terraform would parse out of a JSON string. These pure
 * functions turn such a source into native HCL syntax without changing its meaning.
 */
import { EmitError } from "./errors.js";

/** One piece of a template: literal text (escapes `$${` / `%%{` kept as written) or a `${...}` / `%{...}` sequence. */
export type TemplatePart =
  | { readonly kind: "literal"; readonly text: string }
  | { readonly kind: "interpolation" | "directive"; readonly text: string; readonly inner: string };

/** Splits a template source into literal text, interpolations and directives. */
export function splitTemplate(source: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literal = "";
  let i = 0;
  while (i < source.length) {
    if (source.startsWith("$${", i) || source.startsWith("%%{", i)) {
      literal += source.slice(i, i + 3);
      i += 3;
      continue;
    }
    if (source.startsWith("${", i) || source.startsWith("%{", i)) {
      const end = closingBrace(source, i + 2);
      if (literal) parts.push({ kind: "literal", text: literal });
      literal = "";
      parts.push({
        kind: source[i] === "$" ? "interpolation" : "directive",
        text: source.slice(i, end + 1),
        inner: source.slice(i + 2, end),
      });
      i = end + 1;
      continue;
    }
    literal += source[i];
    i += 1;
  }
  if (literal) parts.push({ kind: "literal", text: literal });
  return parts;
}

/**
 * The expression of a template that is one interpolation and nothing else (`"${var.pools}"` ->
 * `var.pools`), or undefined. Terraform gives such a template the expression's own value and type,
 * so writing the bare expression means the same thing.
 */
export function unwrapInterpolation(source: string): string | undefined {
  const parts = splitTemplate(source);
  if (parts.length !== 1 || parts[0].kind !== "interpolation") return undefined;
  // Strip markers (`${~ x ~}`) only trim neighbouring literals, and there are none.
  const expression = parts[0].inner.replace(/^~/, "").replace(/~$/, "").trim();
  if (!expression) throw new EmitError(`empty interpolation in string ${JSON.stringify(source)}`);
  // A line break may not end a bare attribute expression (a heredoc ends with one), parentheses allow it.
  return expression.includes("\n") ? `(\n${expression}\n)` : expression;
}

/** A template source as a quoted HCL string: literal text escaped, interpolations and directives verbatim. */
export function quoteTemplate(source: string): string {
  const body = splitTemplate(source)
    .map((part) => (part.kind === "literal" ? escapeLiteral(part.text) : part.text))
    .join("");
  return `"${body}"`;
}

/**
 * A template source as an HCL expression: the bare expression when it is one interpolation, a
 * heredoc when it is several lines ending in a newline (and holds no other control character), a
 * quoted string otherwise.
 */
export function renderString(source: string): string {
  const expression = unwrapInterpolation(source);
  if (expression !== undefined) return expression;
  // A heredoc cannot escape anything, and HCL refuses control characters (a lone \r too) in source text.
  if (source.includes("\n") && source.endsWith("\n") && !/[\u0000-\u0008\u000b-\u001f\u007f]/.test(source)) return heredoc(source);
  return quoteTemplate(source);
}

/**
 * A multi-line template as a heredoc. Heredoc content keeps backslashes and quotes as they are and
 * still reads `${...}` and `%{...}`, which is exactly how Terraform reads the JSON string. The
 * content must end with a newline: a heredoc always adds one.
 */
export function heredoc(source: string): string {
  if (!source.endsWith("\n")) throw new EmitError("a heredoc needs content ending with a newline");
  const lines = new Set(source.split("\n").map((line) => line.trim()));
  let marker = "EOT";
  for (let n = 1; lines.has(marker); n += 1) marker = `EOT${n}`;
  return `<<${marker}\n${source}${marker}`;
}

/** Escapes literal template text for a quoted string (template escapes `$${` and `%%{` are kept). */
export function escapeLiteral(text: string): string {
  let out = "";
  for (const char of text) {
    switch (char) {
      case "\\":
        out += "\\\\";
        break;
      case '"':
        out += '\\"';
        break;
      case "\n":
        out += "\\n";
        break;
      case "\r":
        out += "\\r";
        break;
      case "\t":
        out += "\\t";
        break;
      default: {
        const code = char.codePointAt(0) ?? 0;
        out += code < 0x20 || code === 0x7f ? `\\u${code.toString(16).padStart(4, "0")}` : char;
      }
    }
  }
  return out;
}

/**
 * Index of the `}` closing the sequence whose body starts at `start`, skipping nested braces,
 * quoted strings (with their own escapes and nested templates) and heredocs inside the expression.
 */
function closingBrace(source: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < source.length) {
    const char = source[i];
    if (char === '"') {
      i = afterQuoted(source, i + 1);
      continue;
    }
    if (source.startsWith("<<", i)) {
      const end = afterHeredoc(source, i);
      if (end !== undefined) {
        i = end;
        continue;
      }
    }
    if (char === "{") depth += 1;
    if (char === "}") {
      if (depth === 0) return i;
      depth -= 1;
    }
    i += 1;
  }
  throw new EmitError(`unterminated \${ or %{ sequence in string ${JSON.stringify(source)}`);
}

/** Index just past the closing quote of a quoted string whose content starts at `start`. */
function afterQuoted(source: string, start: number): number {
  let i = start;
  while (i < source.length) {
    const char = source[i];
    if (char === "\\") {
      i += 2;
      continue;
    }
    if (char === '"') return i + 1;
    if (source.startsWith("$${", i) || source.startsWith("%%{", i)) {
      i += 3;
      continue;
    }
    if (source.startsWith("${", i) || source.startsWith("%{", i)) {
      i = closingBrace(source, i + 2) + 1;
      continue;
    }
    i += 1;
  }
  throw new EmitError(`unterminated quoted string in ${JSON.stringify(source)}`);
}

/** Index just past a heredoc (`<<ID` or `<<-ID`, newline, lines, closing `ID` line) at `start`, if one starts there. */
function afterHeredoc(source: string, start: number): number | undefined {
  const opener = /^<<-?([A-Za-z_][A-Za-z0-9_-]*)\r?\n/.exec(source.slice(start));
  if (!opener) return undefined;
  let lineStart = start + opener[0].length;
  while (lineStart <= source.length) {
    const newline = source.indexOf("\n", lineStart);
    const lineEnd = newline === -1 ? source.length : newline;
    if (source.slice(lineStart, lineEnd).trim() === opener[1]) return lineEnd;
    if (newline === -1) break;
    lineStart = newline + 1;
  }
  throw new EmitError(`unterminated heredoc in ${JSON.stringify(source)}`);
}
