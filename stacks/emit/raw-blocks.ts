/**
 * Blocks whose content cdktf does not type. Two cases reach the emitter untyped: attributes the
 * provider bindings declare as `any` because their schema nests too deeply (the WAFv2 `statement`),
 * and the content of `dynamic` blocks. cdktf's HCL renderer writes both as map expressions
 * (`statement = { ... }`), which Terraform refuses for blocks. Inside such content every object is a
 * nested block and every list of objects a sequence of blocks, as in Terraform's JSON syntax; a
 * `dynamic` key holds dynamic blocks by name. Keys are written as given, so constructs write them in
 * snake_case.
 */
import { EmitError } from "./errors.js";
import { renderValue } from "./hcl-value.js";

/** `name { ... }`, or one such block per element when `body` is a list. */
export function renderRawBlock(name: string, body: unknown): string {
  if (Array.isArray(body)) return body.map((item) => renderRawBlock(name, item)).join("\n");
  if (!isPlainObject(body)) throw new EmitError(`block ${name} must be an object, got ${JSON.stringify(body)}`);
  const lines: string[] = [];
  for (const [key, value] of Object.entries(body)) {
    if (value === undefined || key === "//") continue;
    if (key === "dynamic" && isPlainObject(value)) {
      for (const [block, dynamic] of Object.entries(value)) lines.push(renderRawDynamic(block, dynamic));
    } else if (isBlockValue(value)) {
      lines.push(renderRawBlock(key, value));
    } else {
      lines.push(`${key} = ${renderValue(value)}`);
    }
  }
  return lines.length === 0 ? `${name} {}` : `${name} {\n${lines.join("\n")}\n}`;
}

/** `dynamic "name" { for_each = ...; content { ... } }` from cdktf's `{ for_each, iterator?, content }`. */
export function renderRawDynamic(name: string, dynamic: unknown): string {
  if (!isPlainObject(dynamic) || dynamic.for_each === undefined || !isPlainObject(dynamic.content)) {
    throw new EmitError(`dynamic block ${name} needs for_each and an object content, got ${JSON.stringify(dynamic)}`);
  }
  const lines = [`for_each = ${renderValue(dynamic.for_each)}`];
  // cdktf's iterators name themselves "each"; a dynamic block's default iterator name is the block's own.
  if (typeof dynamic.iterator === "string" && dynamic.iterator !== name) lines.push(`iterator = ${dynamic.iterator}`);
  lines.push(renderRawBlock("content", dynamic.content));
  return `dynamic "${name}" {\n${lines.join("\n")}\n}`;
}

/** True for a value cdktf left untyped that is a block: an object, or a non-empty list of objects. */
export function isBlockValue(value: unknown): boolean {
  return isPlainObject(value) || (Array.isArray(value) && value.length > 0 && value.every(isPlainObject));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}
