/**
 * Terraform's JSON syntax (https://developer.hashicorp.com/terraform/language/syntax/json) read
 * into the HCL tree of hcl.ts. In JSON, a string in an expression position is a template, and
 * `//` properties of a block are comments; meta-arguments have fixed shapes: `depends_on`,
 * `ignore_changes` and `replace_triggered_by` hold references written as strings, `lifecycle`,
 * `dynamic` and `precondition`/`postcondition` are blocks. Which other properties of a resource or
 * data source are nested blocks comes from the provider schema.
 */
import { EmitError } from "./errors.js";
import { attribute, block, literal, raw, template, type Block, type BodyItem, type Expression } from "./hcl.js";
import type { BlockSchema } from "./provider-schema.js";
import { unwrapInterpolation } from "./template.js";

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A JSON value in an expression position: strings are templates, object keys too. */
export function expression(value: Json): Expression {
  if (typeof value === "string") return template(value);
  if (Array.isArray(value)) return { kind: "tuple", items: value.map(expression) };
  if (isObject(value)) return { kind: "object", entries: Object.entries(value).map(([key, v]) => [key, expression(v)] as const) };
  return literal(value);
}

/** A JSON value in a literal position (variable defaults): nothing is interpreted. */
export function literalExpression(value: Json): Expression {
  if (Array.isArray(value)) return { kind: "tuple", items: value.map(literalExpression) };
  if (isObject(value)) return { kind: "object", entries: Object.entries(value).map(([key, v]) => [key, literalExpression(v)] as const), literalKeys: true };
  return literal(value);
}

/** A reference written as a string (`"aws_sqs_queue.dlq"` or `"${aws_sqs_queue.dlq}"`), as native syntax. */
export function reference(value: Json, where: string): Expression {
  if (typeof value !== "string" || value === "") throw new EmitError(`${where}: expected a reference written as a string, got ${JSON.stringify(value)}`);
  return raw(unwrapInterpolation(value) ?? value);
}

/** A list of references (`depends_on`, `ignore_changes`, `replace_triggered_by`); `ignore_changes = "all"` stays a keyword. */
export function references(value: Json, where: string): Expression {
  if (value === "all") return raw("all");
  if (!Array.isArray(value)) throw new EmitError(`${where}: expected a list of references, got ${JSON.stringify(value)}`);
  return { kind: "tuple", items: value.map((item) => reference(item, where)) };
}

/** `condition` / `error_message` blocks (validation, precondition, postcondition, check assertions). */
export function conditionBlocks(type: string, value: Json, where: string): Block[] {
  return asList(value).map((item) => {
    if (!isObject(item) || item.condition === undefined || item.error_message === undefined) {
      throw new EmitError(`${where}: ${type} needs condition and error_message, got ${JSON.stringify(item)}`);
    }
    return block(type, [], [attribute("condition", expression(item.condition)), attribute("error_message", expression(item.error_message))]);
  });
}

/**
 * The body of a resource or data source: meta-arguments first (count, for_each), then arguments,
 * then nested blocks, then `lifecycle` and `depends_on`, where Terraform's style guide puts them.
 */
export function resourceBody(body: JsonObject, schema: BlockSchema, where: string): BodyItem[] {
  const first: BodyItem[] = [];
  const middle: BodyItem[] = [];
  const last: BodyItem[] = [];
  for (const [name, value] of Object.entries(body)) {
    if (name === "//") continue;
    switch (name) {
      case "count":
      case "for_each":
        first.push(attribute(name, expression(value)));
        break;
      case "provider":
        throw new EmitError(
          `${where}: a module cannot choose a provider configuration (found provider = ${JSON.stringify(value)}); remove the provider argument and let the caller pass providers`,
        );
      case "depends_on":
        last.push(attribute(name, references(value, `${where}.depends_on`)));
        break;
      case "lifecycle":
        last.unshift(lifecycleBlock(value, `${where}.lifecycle`));
        break;
      case "connection":
      case "provisioner":
        throw new EmitError(`${where}: ${name} blocks cannot be written by the emitter; a reusable module should not run provisioners`);
      default:
        middle.push(...argument(name, value, schema, where));
    }
  }
  return [...first, ...attributesFirst(middle), ...last];
}

/** An argument of a (nested) block: an attribute, or nested blocks when the schema says so. */
function argument(name: string, value: Json, schema: BlockSchema, where: string): BodyItem[] {
  if (name === "dynamic") return dynamicBlocks(value, schema, `${where}.dynamic`);
  const nested = schema.blocks[name];
  if (!nested) return [attribute(name, expression(value))];
  if (value === null) return [];
  return asList(value).map((item) => {
    if (!isObject(item)) throw new EmitError(`${where}.${name} is a nested block, so it must be an object or a list of objects, got ${JSON.stringify(item)}`);
    return block(name, [], nestedBody(item, nested, `${where}.${name}`));
  });
}

function nestedBody(body: JsonObject, schema: BlockSchema, where: string): BodyItem[] {
  return attributesFirst(
    Object.entries(body)
      .filter(([name]) => name !== "//")
      .flatMap(([name, value]) => argument(name, value, schema, where)),
  );
}

function attributesFirst(items: readonly BodyItem[]): BodyItem[] {
  return [...items.filter((item) => item.kind !== "block"), ...items.filter((item) => item.kind === "block")];
}

/** `dynamic "name" { for_each, iterator, labels, content {} }`; the content follows the named block's schema. */
function dynamicBlocks(value: Json, schema: BlockSchema, where: string): Block[] {
  if (!isObject(value)) throw new EmitError(`${where} must be an object of dynamic blocks by name, got ${JSON.stringify(value)}`);
  return Object.entries(value).flatMap(([name, dynamics]) =>
    asList(dynamics).map((dynamic) => {
      const nested = schema.blocks[name];
      if (!nested) throw new EmitError(`${where}.${name}: the provider schema has no nested block "${name}" here`);
      if (!isObject(dynamic) || dynamic.for_each === undefined || !isObject(dynamic.content)) {
        throw new EmitError(`${where}.${name} needs for_each and an object content, got ${JSON.stringify(dynamic)}`);
      }
      const items: BodyItem[] = [attribute("for_each", expression(dynamic.for_each))];
      // cdktf's iterators name themselves "each"; a dynamic block's default iterator name is the block's own.
      if (typeof dynamic.iterator === "string" && dynamic.iterator !== name) items.push(attribute("iterator", raw(dynamic.iterator)));
      if (dynamic.labels !== undefined) items.push(attribute("labels", expression(dynamic.labels)));
      items.push(block("content", [], nestedBody(dynamic.content, nested, `${where}.${name}.content`)));
      return block("dynamic", [name], items);
    }),
  );
}

function lifecycleBlock(value: Json, where: string): Block {
  if (!isObject(value)) throw new EmitError(`${where} must be an object, got ${JSON.stringify(value)}`);
  const items: BodyItem[] = [];
  for (const [name, setting] of Object.entries(value)) {
    if (name === "ignore_changes" || name === "replace_triggered_by") items.push(attribute(name, references(setting, `${where}.${name}`)));
    else if (name === "precondition" || name === "postcondition") items.push(...conditionBlocks(name, setting, `${where}.${name}`));
    else if (name === "create_before_destroy" || name === "prevent_destroy") items.push(attribute(name, expression(setting)));
    else throw new EmitError(`${where}: unknown lifecycle setting ${name}`);
  }
  return block("lifecycle", [], items);
}

export function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asList(value: Json): Json[] {
  return Array.isArray(value) ? value : [value];
}
