/**
 * Plain JavaScript values (variable defaults) as HCL expressions for the README's tables; the
 * module's own files go through the HCL tree of hcl.ts.
 */
import { EmitError } from "./errors.js";
import { quoteTemplate, renderString } from "./template.js";

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;
// Bare keys that HCL would read as something else than a name.
const RESERVED_KEYS = new Set(["for", "if", "in", "null", "true", "false"]);

/** An object key: bare when it is a plain name, otherwise a quoted string. */
export function renderKey(key: string): string {
  return IDENTIFIER.test(key) && !RESERVED_KEYS.has(key) ? key : quoteTemplate(key);
}

/** A value as a multi-line HCL expression (terraform fmt aligns and indents it afterwards). */
export function renderValue(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return renderString(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new EmitError(`cannot write the number ${value} in HCL`);
    return String(value);
  }
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const items = value.map(renderValue);
    if (value.every(isScalar) && !items.some((item) => item.includes("\n"))) return `[${items.join(", ")}]`;
    // A heredoc's closing marker must stand alone on its line, so its comma goes on the next one.
    return `[\n${items.map((item) => (item.startsWith("<<") ? `${item}\n,` : `${item},`)).join("\n")}\n]`;
  }
  if (isPlainObject(value)) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return "{}";
    return `{\n${entries.map(([k, v]) => `${renderKey(k)} = ${renderValue(v)}`).join("\n")}\n}`;
  }
  throw new EmitError(`cannot write a value of type ${typeof value} in HCL: ${String(value)}`);
}

/** A value as a one-line HCL expression, for README tables. */
export function renderInline(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(renderInline).join(", ")}]`;
  if (isPlainObject(value)) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return "{}";
    return `{ ${entries.map(([k, v]) => `${renderKey(k)} = ${renderInline(v)}`).join(", ")} }`;
  }
  if (typeof value === "string") {
    const expression = renderString(value);
    return expression.startsWith("<<") ? quoteTemplate(value) : expression;
  }
  return renderValue(value);
}

function isScalar(value: unknown): boolean {
  return value === null || ["string", "number", "boolean"].includes(typeof value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}
