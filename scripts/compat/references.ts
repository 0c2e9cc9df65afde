/**
 * Pure checks of a synthesized stack (cdk.tf.json) against the provider bindings it was synthesized
 * with, for the provider 6 and CDK Terrain checks (scripts/check-compat.ts, docs/compatibility.md).
 */

/** A `resource`/`data` attribute that an expression of the stack reads. */
export interface AttributeReference {
  /** `aws_sqs_queue` or `data.aws_region`. */
  readonly type: string;
  readonly attribute: string;
}

/** A binding class as the generated provider packages export it. */
export interface BindingClass {
  readonly tfResourceType?: string;
  readonly prototype: object;
  readonly name: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

// `aws_x.name.attr`, `aws_x.name[0].attr`, `data.aws_x.name["k"].attr` inside any expression.
const REFERENCE = /(?<![\w.-])(data\.)?(aws_[a-z0-9_]+)\.[A-Za-z0-9_-]+(?:\[[^\]]*\])*\.([a-z][a-z0-9_]*)/g;

/** Every provider attribute read by the expressions of `stack`, sorted and without duplicates. */
export function attributeReferences(stack: Json): AttributeReference[] {
  const found = new Map<string, AttributeReference>();
  for (const text of strings(stack)) {
    for (const match of interpolations(text).flatMap((expression) => [...expression.matchAll(REFERENCE)])) {
      const type = `${match[1] ?? ""}${match[2]}`;
      found.set(`${type}.${match[3]}`, { type, attribute: match[3] });
    }
  }
  return [...found.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, reference]) => reference);
}

/** The binding classes by Terraform type (`aws_sqs_queue`, `data.aws_region`). */
export function classesByType(bindings: Readonly<Record<string, unknown>>): Map<string, BindingClass> {
  const classes = new Map<string, BindingClass>();
  for (const [name, value] of Object.entries(bindings)) {
    const binding = value as BindingClass;
    if (typeof value !== "function" || typeof binding.tfResourceType !== "string") continue;
    classes.set(name.startsWith("DataAws") ? `data.${binding.tfResourceType}` : binding.tfResourceType, binding);
  }
  return classes;
}

/**
 * The references whose attribute the bindings do not have (each binding exposes every attribute of
 * its schema as a camelCase getter), as `type.attribute` strings.
 */
export function missingAttributes(references: readonly AttributeReference[], classes: ReadonlyMap<string, BindingClass>): string[] {
  return references
    .filter(({ type, attribute }) => {
      const binding = classes.get(type);
      if (!binding) return true;
      const getter = attribute.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
      // jsii renames getters that clash with members of TerraformResource (e.g. `count`).
      return !(getter in binding.prototype) && !(`${getter}Attribute` in binding.prototype);
    })
    .map(({ type, attribute }) => `${type}.${attribute}`);
}

/**
 * The stack without what legitimately differs between two synths of the same constructs: cdktf
 * metadata (`//`), the backend (an absolute path), the provider version and source the bindings were
 * generated with, and asset directories (content hashes).
 */
export function comparableSynth(stack: Json): Json {
  return strip(stack, []);
}

function strip(value: Json, path: readonly string[]): Json {
  if (typeof value === "string") return value.replace(/assets\/[^/"]+\//g, "assets/<hash>/");
  if (Array.isArray(value)) return value.map((item) => strip(item, path));
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value).filter(([key]) => {
    if (key === "//") return false;
    const at = [...path, key].join(".");
    // The emitter writes its own versions.tf, so neither the provider's version nor how the bindings spell its source ("aws" in cdktf, "hashicorp/aws" in cdktn) reaches the module.
    return at !== "terraform.backend" && at !== "terraform.required_providers.aws.version" && at !== "terraform.required_providers.aws.source";
  });
  return Object.fromEntries(entries.map(([key, item]) => [key, strip(item, [...path, key])]));
}

/** An attribute or argument deprecated in hashicorp/aws 6.x that the module must not use. */
export interface Deprecation {
  /** `aws_x` or `data.aws_x`. */
  readonly type: string;
  readonly attribute: string;
  readonly use: string;
}

/**
 * Deprecations of provider 6.x in the types the module uses (hashicorp/aws "Version 6 Upgrade Guide";
 * the generated bindings carry no deprecation flags, and the 5.100 schema flags none of these).
 * Removals need no entry: the 6.x bindings lack them, which the type check and the synth catch.
 */
export const PROVIDER_6_DEPRECATIONS: readonly Deprecation[] = [
  { type: "data.aws_region", attribute: "name", use: "`id` (5.x and 6.x) or `region` (6.x only)" },
  { type: "aws_s3_bucket", attribute: "region", use: "`bucket_region` (6.x); `region` now selects the region the bucket is managed in" },
];

/** Uses of {@link PROVIDER_6_DEPRECATIONS} in `stack`: read in expressions or set as arguments. */
export function deprecatedUses(stack: Json, deprecations: readonly Deprecation[] = PROVIDER_6_DEPRECATIONS): string[] {
  const read = new Set(attributeReferences(stack).map(({ type, attribute }) => `${type}.${attribute}`));
  const root = stack as { resource?: Record<string, Record<string, Record<string, Json>>>; data?: Record<string, Record<string, Record<string, Json>>> };
  const set = (type: string, attribute: string): boolean => {
    const [kind, name] = type.startsWith("data.") ? [root.data, type.slice(5)] : [root.resource, type];
    return Object.values(kind?.[name] ?? {}).some((config) => attribute in config);
  };
  return deprecations
    .filter(({ type, attribute }) => read.has(`${type}.${attribute}`) || set(type, attribute))
    .map(({ type, attribute, use }) => `${type}.${attribute} is deprecated in hashicorp/aws 6.x: use ${use}`);
}

/** The `${...}` expressions of a string (braces counted, so nested objects stay inside); literal text is no reference. */
function interpolations(text: string): string[] {
  const found: string[] = [];
  for (let start = text.indexOf("${"); start !== -1; start = text.indexOf("${", start + 2)) {
    let depth = 0;
    let end = start + 1;
    for (; end < text.length; end++) {
      if (text[end] === "{") depth++;
      else if (text[end] === "}" && --depth === 0) break;
    }
    found.push(text.slice(start, end + 1));
    start = end - 1;
  }
  return found;
}

function* strings(value: Json): Generator<string> {
  if (typeof value === "string") yield value;
  else if (Array.isArray(value)) for (const item of value) yield* strings(item);
  else if (value !== null && typeof value === "object") for (const item of Object.values(value)) yield* strings(item);
}

/** The part of `terraform providers schema -json` that says what is deprecated. */
export interface SchemaBlock {
  readonly attributes?: Readonly<Record<string, { readonly deprecated?: boolean }>>;
  readonly block_types?: Readonly<Record<string, { readonly block: SchemaBlock }>>;
  readonly deprecated?: boolean;
}

/** One provider's resource and data source schemas, as `terraform providers schema -json` lists them. */
export interface ProviderSchemas {
  readonly resource_schemas: Readonly<Record<string, { readonly block: SchemaBlock }>>;
  readonly data_source_schemas: Readonly<Record<string, { readonly block: SchemaBlock }>>;
}

// Terraform's own arguments, not the provider's.
const META_ARGUMENTS = new Set(["//", "count", "for_each", "depends_on", "lifecycle", "provider", "provisioner", "connection"]);

/** Arguments, blocks and attributes read that the provider's own schema flags as deprecated. */
export function schemaDeprecatedUses(stack: Json, schemas: ProviderSchemas): string[] {
  const found = new Set<string>();
  const walk = (block: SchemaBlock, config: Json, path: string): void => {
    if (config === null || typeof config !== "object" || Array.isArray(config)) return;
    for (const [key, value] of Object.entries(config)) {
      if (META_ARGUMENTS.has(key)) continue;
      if (key === "dynamic" && value !== null && typeof value === "object" && !Array.isArray(value)) {
        for (const [name, dynamic] of Object.entries(value)) nested(block, name, (dynamic as { content?: Json }).content ?? {}, path);
        continue;
      }
      if (block.attributes?.[key]?.deprecated) found.add(`${path}.${key}`);
      else nested(block, key, value, path);
    }
  };
  const nested = (block: SchemaBlock, name: string, value: Json, path: string): void => {
    const type = block.block_types?.[name];
    if (!type) return;
    if (type.block.deprecated) found.add(`${path}.${name}`);
    for (const item of Array.isArray(value) ? value : [value]) walk(type.block, item, `${path}.${name}`);
  };
  const root = stack as { resource?: Record<string, Record<string, Json>>; data?: Record<string, Record<string, Json>> };
  for (const [type, byName] of Object.entries(root.resource ?? {})) {
    const schema = schemas.resource_schemas[type];
    if (schema) for (const config of Object.values(byName)) walk(schema.block, config, type);
  }
  for (const [type, byName] of Object.entries(root.data ?? {})) {
    const schema = schemas.data_source_schemas[type];
    if (schema) for (const config of Object.values(byName)) walk(schema.block, config, `data.${type}`);
  }
  for (const { type, attribute } of attributeReferences(stack)) {
    const schema = type.startsWith("data.") ? schemas.data_source_schemas[type.slice(5)] : schemas.resource_schemas[type];
    if (schema?.block.attributes?.[attribute]?.deprecated) found.add(`${type}.${attribute} (read)`);
  }
  return [...found].sort();
}
