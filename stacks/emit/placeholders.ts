/**
 * cdktf's HCL renderer knows which attributes are blocks, lists or maps, but it writes strings
 * badly: it leaves `"` and `\` unescaped whenever a string also holds `${`, quotes meta-argument
 * references (`depends_on = ["aws_sqs_queue.dlq"]`, `ignore_changes = ["value"]`), renders
 * lifecycle pre/postconditions as attributes and adds a newline to every multi-line string.
 *
 * So before cdktf renders an element we swap every string for a placeholder that it passes through
 * untouched, and afterwards put back our own rendering of each string (see template.ts).
 */
import { EmitError } from "./errors.js";
import { renderValue } from "./hcl-value.js";
import { isBlockValue, renderRawBlock, renderRawDynamic } from "./raw-blocks.js";
import { quoteTemplate, renderString, unwrapInterpolation } from "./template.js";

type Entry =
  | { readonly kind: "template" | "raw" | "key"; readonly source: string }
  | { readonly kind: "block" | "expression"; readonly text: string };

const TOKEN = "__SRPH_";
const BLOCK = /([A-Za-z_][A-Za-z0-9_-]*) = "\$\{__SRPH_(\d+)__\}"/g;
const QUOTED = /"(?:\$\{__SRPH_(\d+)__\}|__SRPH_(\d+)__)"/g;
const BARE = /\$\{__SRPH_(\d+)__\}|__SRPH_(\d+)__/g;
// Keys that cdktf may print bare; anything else is swapped so that we can quote and escape it.
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** The strings taken out of one element before cdktf renders it. */
export class Placeholders {
  private readonly entries: Entry[] = [];

  /**
   * A placeholder for a string. Strings holding `${` get one holding `${` too, because cdktf
   * decides some rendering (e.g. "a token in a block position is an expression") on that.
   */
  add(kind: "template" | "raw" | "key", source: string): string {
    if (source.includes(TOKEN)) throw new EmitError(`strings may not contain ${TOKEN} (the emitter's placeholder): ${JSON.stringify(source)}`);
    this.entries.push({ kind, source });
    const token = `${TOKEN}${this.entries.length - 1}__`;
    return kind !== "key" && source.includes("${") ? `\${${token}}` : token;
  }

  /** A placeholder that stands for a whole pre-rendered block, written by cdktf as `name = "<placeholder>"`. */
  addBlock(text: string): string {
    this.entries.push({ kind: "block", text });
    return `\${${TOKEN}${this.entries.length - 1}__}`;
  }

  /** A placeholder for a pre-rendered expression (cdktf writes it as a string). */
  addExpression(text: string): string {
    this.entries.push({ kind: "expression", text });
    return `\${${TOKEN}${this.entries.length - 1}__}`;
  }

  /** Puts our rendering of each string back into cdktf's output. */
  restore(hcl: string): string {
    const entry = (index: string) => {
      const found = this.entries[Number(index)];
      if (!found) throw new EmitError(`internal: unknown placeholder ${index}`);
      return found;
    };
    return hcl
      .replace(BLOCK, (match, _name: string, index: string) => {
        const found = entry(index);
        return found.kind === "block" ? found.text : match;
      })
      .replace(QUOTED, (_match, wrapped?: string, plain?: string) => quoted(entry(wrapped ?? plain ?? "")))
      .replace(BARE, (_match, wrapped?: string, plain?: string) => bare(entry(wrapped ?? plain ?? "")));
  }
}

function quoted(entry: Entry): string {
  switch (entry.kind) {
    case "template":
      return renderString(entry.source);
    case "raw":
      return unwrapInterpolation(entry.source) ?? entry.source;
    case "key":
      return quoteTemplate(entry.source);
    case "expression":
      return entry.text;
    case "block":
      throw new EmitError("internal: a block placeholder was rendered as a string");
  }
}

/** Where cdktf prints a string unquoted it means it as an expression (numbers, references, types). */
function bare(entry: Entry): string {
  if (entry.kind === "template") {
    return /[$%]\{/.test(entry.source) ? renderString(entry.source) : entry.source;
  }
  return quoted(entry);
}

/** Removes cdktf's `//` metadata (construct paths and stack traces) at every level. */
export function stripMetadata<T>(value: T): T {
  if (Array.isArray(value)) return value.map(stripMetadata) as T;
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== "//")
      .map(([key, v]) => [key, stripMetadata(v)]),
  ) as T;
}

/**
 * Swaps the strings of a resource's or data source's attributes (meta-arguments included) for
 * placeholders. `count` / `for_each` move to the top and `depends_on` / `lifecycle` to the bottom,
 * where Terraform's style guide puts them.
 */
export function protectAttributes(attributes: Record<string, unknown>, table: Placeholders): Record<string, unknown> {
  const first: Record<string, string> = {};
  const middle: Record<string, unknown> = {};
  const last: Record<string, string> = {};
  for (const [name, value] of Object.entries(stripMetadata(attributes))) {
    if (name === "provider") {
      throw new EmitError(
        `a module cannot choose a provider configuration (found provider = ${JSON.stringify(value)}); ` +
          "remove the provider argument and let the caller pass providers",
      );
    }
    if (name === "count" || name === "for_each") {
      first[name] = `${name} = ${renderValue(value)}`;
    } else if (name === "depends_on" && Array.isArray(value)) {
      last[name] = `depends_on = [${value.map((ref) => reference(String(ref))).join(", ")}]`;
    } else if (name === "lifecycle" && isPlainObject(value)) {
      last[name] = renderLifecycle(value);
    } else if (name === "dynamic" && isPlainObject(value)) {
      // Dynamic blocks added with addOverride("dynamic.<block>", ...), next to static blocks of the same name.
      for (const [block, dynamic] of Object.entries(value)) middle[`__dynamic_${block}`] = table.addBlock(renderRawDynamic(block, stripMetadata(dynamic)));
    } else {
      middle[name] = protectEntry(name, value, table);
    }
  }
  // A blank line sets the meta-arguments apart from the resource's own arguments.
  const body = Object.keys(middle).length > 0;
  const blocks = (group: Record<string, string>, separate: (text: string) => string) =>
    Object.fromEntries(Object.entries(group).map(([name, text]) => [name, table.addBlock(body ? separate(text) : text)]));
  return { ...blocks(first, (text) => `${text}\n`), ...middle, ...blocks(last, (text) => `\n${text}`) };
}

/** Swaps every string inside a value for a placeholder, keeping cdktf's `{ value, type, isBlock, ... }` wrappers intact. */
export function protectValue(value: unknown, table: Placeholders): unknown {
  if (typeof value === "string") return table.add("template", value);
  if (Array.isArray(value)) return value.map((item) => protectValue(item, table));
  if (!isPlainObject(value)) return value;
  if (isWrapper(value)) {
    // cdktf writes scalar lists one item per line; short lists read better on one line.
    if (isScalarList(value)) return { ...value, value: table.addExpression(renderValue(value.value)) };
    if ("value" in value) return { ...value, value: protectValue(value.value, table) };
    throw new EmitError("internal: a dynamic block must be protected with its name (protectEntry)");
  }
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== "//")
      .map(([key, v]) => [PLAIN_KEY.test(key) ? key : table.add("key", key), protectEntry(key, v, table)]),
  );
}

/**
 * Like {@link protectValue}, for the value of attribute `name`. Content cdktf left untyped (an `any`
 * attribute holding blocks, or a dynamic block) is rendered here, because cdktf would write it as a map.
 */
export function protectEntry(name: string, value: unknown, table: Placeholders): unknown {
  if (isPlainObject(value) && isWrapper(value)) {
    if (isPlainObject(value.dynamic)) return table.addBlock(renderRawDynamic(name, stripMetadata(value.dynamic.value)));
    if (isUntypedBlock(value)) return table.addBlock(renderRawBlock(name, stripMetadata(value.value)));
  }
  return protectValue(value, table);
}

/** The lifecycle block, with references bare and pre/postconditions as blocks. */
export function renderLifecycle(lifecycle: Record<string, unknown>): string {
  const lines: string[] = [];
  for (const [name, value] of Object.entries(lifecycle)) {
    if (value === undefined) continue;
    if ((name === "ignore_changes" || name === "replace_triggered_by") && Array.isArray(value)) {
      lines.push(`${name} = [${value.map((ref) => reference(String(ref))).join(", ")}]`);
    } else if (name === "ignore_changes" && value === "all") {
      lines.push("ignore_changes = all");
    } else if ((name === "precondition" || name === "postcondition") && Array.isArray(value)) {
      for (const condition of value as Record<string, unknown>[]) lines.push(renderCondition(name, condition));
    } else {
      lines.push(`${name} = ${renderValue(value)}`);
    }
  }
  return `lifecycle {\n${lines.join("\n")}\n}`;
}

/** A `precondition` / `postcondition` / `validation` block: `condition` is an expression, `error_message` a string. */
export function renderCondition(name: string, condition: Record<string, unknown>): string {
  const expression = String(condition.condition);
  const message = condition.error_message ?? condition.errorMessage;
  return `${name} {\ncondition = ${unwrapInterpolation(expression) ?? expression}\nerror_message = ${renderValue(message)}\n}`;
}

function reference(source: string): string {
  return unwrapInterpolation(source) ?? source;
}

function isWrapper(value: Record<string, unknown>): boolean {
  const typed = ["type", "isBlock", "is_block", "storageClassType", "storage_class_type"].some((key) => key in value);
  return typed && ("value" in value || isPlainObject(value.dynamic));
}

/** An attribute the provider bindings type as `any` (its schema nests too deeply) that holds blocks. */
function isUntypedBlock(wrapper: Record<string, unknown>): boolean {
  return (wrapper.storageClassType ?? wrapper.storage_class_type) === "any" && isBlockValue(wrapper.value);
}

function isScalarList(wrapper: Record<string, unknown>): boolean {
  const classType = String(wrapper.storageClassType ?? wrapper.storage_class_type ?? "");
  return (
    (wrapper.type === "list" || wrapper.type === "set") &&
    !(wrapper.isBlock || wrapper.is_block) &&
    ["stringList", "numberList", "booleanList"].includes(classType) &&
    Array.isArray(wrapper.value)
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}
