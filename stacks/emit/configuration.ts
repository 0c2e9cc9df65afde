/**
 * A synthesized stack (cdktf's `cdk.tf.json`) as HCL blocks, sorted into the files of a module.
 * Variables, outputs and locals are read with the fixed shapes Terraform's JSON syntax gives them;
 * resources and data sources with the provider schema (json-syntax.ts). Providers, backends and
 * required_providers are left out: a reusable module's caller owns them (versions.tf says what it needs).
 */
import { EmitError } from "./errors.js";
import { attribute, block, literal, raw, type Block, type BodyItem } from "./hcl.js";
import { conditionBlocks, expression, isObject, literalExpression, references, resourceBody, type Json, type JsonObject } from "./json-syntax.js";
import type { ProviderBlocks } from "./provider-schema.js";

/** What the README needs to know about a variable. */
export interface VariableDoc {
  readonly name: string;
  readonly type?: string;
  readonly description?: string;
  readonly hasDefault: boolean;
  readonly default?: unknown;
  readonly sensitive: boolean;
  readonly nullable: boolean;
}

/** What the README needs to know about an output. */
export interface OutputDoc {
  readonly name: string;
  readonly description?: string;
  readonly sensitive: boolean;
}

/** Resources and data sources of the constructs at `constructs` (and below) go to `file`. */
export interface ModuleFile {
  /** File name in the module, e.g. `webhook.tf`. */
  readonly file: string;
  /** Construct paths below the stack, e.g. `runners/webhook-api`. The longest matching path wins. */
  readonly constructs: readonly string[];
}

/** The file that takes locals, moved blocks and every resource no {@link ModuleFile} claims. */
export const MAIN_FILE = "main.tf";

export interface Configuration {
  /** Blocks by file name (main.tf and the files by concern), locals first in main.tf. */
  readonly files: ReadonlyMap<string, readonly Block[]>;
  readonly variables: ReadonlyArray<{ readonly doc: VariableDoc; readonly block: Block }>;
  readonly outputs: ReadonlyArray<{ readonly doc: OutputDoc; readonly block: Block }>;
}

/** Provider local names the module may use: ours, plus Terraform's built-in resources. */
const KNOWN_PROVIDERS = new Set(["aws", "terraform"]);
const NO_BLOCKS = { blocks: {} };

/** Reads a stack's synthesized JSON; `moduleFiles` chooses the file of each resource. */
export function readConfiguration(json: JsonObject, schema: ProviderBlocks, moduleFiles: readonly ModuleFile[] = []): Configuration {
  const files = new Map<string, Array<{ path: string; block: Block }>>();
  const add = (file: string, path: string, item: Block) => files.set(file, [...(files.get(file) ?? []), { path, block: item }]);
  const variables: Array<{ doc: VariableDoc; block: Block }> = [];
  const outputs: Array<{ doc: OutputDoc; block: Block }> = [];
  const fileOf = fileChooser(moduleFiles);

  for (const [kind, section] of Object.entries(json)) {
    switch (kind) {
      case "//":
      case "provider":
      case "terraform":
        break;
      case "variable":
        for (const [name, body] of entries(section, kind)) variables.push(readVariable(name, body));
        break;
      case "output":
        for (const [name, body] of entries(section, kind)) outputs.push(readOutput(name, body));
        break;
      case "locals": {
        if (!isObject(section)) throw new EmitError(`locals: expected an object, got ${JSON.stringify(section)}`);
        const locals = Object.entries(section).map(([name, value]) => attribute(name, expression(value)));
        if (locals.length > 0) add(MAIN_FILE, "", block("locals", [], locals));
        break;
      }
      case "resource":
      case "data":
        for (const [type, byName] of entries(section, kind)) {
          for (const [name, body] of entries(byName, `${kind}.${type}`)) {
            const path = constructPath(body);
            add(fileOf(path), path, readTypedBlock(kind, type, name, body, schema));
          }
        }
        break;
      case "moved":
        for (const moved of Array.isArray(section) ? section : [section]) {
          if (!isObject(moved)) throw new EmitError(`moved blocks must be objects, got ${JSON.stringify(moved)}`);
          add(MAIN_FILE, "", block("moved", [], [attribute("from", raw(String(moved.from))), attribute("to", raw(String(moved.to)))]));
        }
        break;
      case "module":
        for (const [name, body] of entries(section, kind)) add(MAIN_FILE, constructPath(body), readModule(name, body));
        break;
      case "check":
        // Checks warn at plan without failing it (deprecated inputs, for example).
        for (const [name, body] of entries(section, kind)) {
          const unknown = Object.keys(body).filter((key) => key !== "assert" && key !== "//");
          if (unknown.length > 0) throw new EmitError(`check.${name}: the emitter writes only assert blocks, got ${unknown.join(", ")}`);
          add(MAIN_FILE, "", block("check", [name], conditionBlocks("assert", body.assert, `check.${name}`)));
        }
        break;
      case "import":
        throw new EmitError("import blocks are only allowed in a root module, not in a reusable module");
      default:
        throw new EmitError(`the emitter does not know how to write a "${kind}" element`);
    }
  }

  // Stable order: locals and moved blocks (no path) first, then by construct path, so a construct's resources sit together.
  const sorted = new Map(
    [...files].map(([file, blocks]) => [file, [...blocks].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map((item) => item.block)]),
  );
  return { files: sorted, variables, outputs };
}

function readTypedBlock(kind: "resource" | "data", type: string, name: string, body: JsonObject, schema: ProviderBlocks): Block {
  const where = `${kind === "data" ? "data." : ""}${type}.${name}`;
  const provider = type.split("_")[0];
  if (!KNOWN_PROVIDERS.has(provider)) {
    throw new EmitError(`${constructPath(body) || where}: ${kind} ${type}.${name} needs the "${provider}" provider, but the module only requires hashicorp/aws`);
  }
  const blocks = provider === "terraform" ? NO_BLOCKS : (kind === "resource" ? schema.resources : schema.dataSources)[type];
  if (!blocks) throw new EmitError(`${where}: hashicorp/aws ${schema.version} has no ${kind === "resource" ? "resource" : "data source"} type ${type}`);
  return block(kind, [type, name], resourceBody(body, blocks, where));
}

// The order terraform-aws-modules writes arguments in; cdktf sorts them alphabetically.
const VARIABLE_ORDER = ["description", "type", "default", "nullable", "sensitive", "ephemeral", "validation"];
const OUTPUT_ORDER = ["description", "value", "sensitive", "ephemeral", "depends_on", "precondition"];

function inOrder(body: JsonObject, order: readonly string[]): Array<[string, Json]> {
  const rank = (key: string) => (order.includes(key) ? order.indexOf(key) : order.length);
  return Object.entries(body).sort(([a], [b]) => rank(a) - rank(b));
}

function readVariable(name: string, body: JsonObject): { doc: VariableDoc; block: Block } {
  const items: BodyItem[] = [];
  for (const [key, value] of inOrder(body, VARIABLE_ORDER)) {
    if (key === "description") items.push(attribute(key, literal(asString(value, `var.${name}.description`))));
    else if (key === "type") items.push(attribute(key, raw(asString(value, `var.${name}.type`))));
    else if (key === "default") items.push(attribute(key, literalExpression(value)));
    else if (key === "sensitive" || key === "nullable" || key === "ephemeral") items.push(attribute(key, literalExpression(value)));
    else if (key === "validation") items.push(...conditionBlocks(key, value, `var.${name}`));
    else if (key !== "//") throw new EmitError(`var.${name}: unknown variable argument ${key}`);
  }
  const doc: VariableDoc = {
    name,
    type: body.type as string | undefined,
    description: body.description as string | undefined,
    hasDefault: body.default !== undefined,
    default: body.default,
    sensitive: body.sensitive === true,
    nullable: body.nullable !== false,
  };
  return { doc, block: block("variable", [name], items) };
}

function readOutput(name: string, body: JsonObject): { doc: OutputDoc; block: Block } {
  const items: BodyItem[] = [];
  for (const [key, value] of inOrder(body, OUTPUT_ORDER)) {
    if (key === "description") items.push(attribute(key, literal(asString(value, `output.${name}.description`))));
    else if (key === "value") items.push(attribute(key, expression(value)));
    else if (key === "sensitive" || key === "ephemeral") items.push(attribute(key, literalExpression(value)));
    else if (key === "depends_on") items.push(attribute(key, references(value, `output.${name}.depends_on`)));
    else if (key === "precondition") items.push(...conditionBlocks(key, value, `output.${name}`));
    else if (key !== "//") throw new EmitError(`output.${name}: unknown output argument ${key}`);
  }
  const doc: OutputDoc = { name, description: body.description as string | undefined, sensitive: body.sensitive === true };
  return { doc, block: block("output", [name], items) };
}

/** A module call: `source` and `version` are literal, `providers` maps references, the rest are expressions. */
function readModule(name: string, body: JsonObject): Block {
  const items: BodyItem[] = [];
  for (const [key, value] of Object.entries(body)) {
    if (key === "//") continue;
    if (key === "source" || key === "version") items.push(attribute(key, literal(asString(value, `module.${name}.${key}`))));
    else if (key === "depends_on") items.push(attribute(key, references(value, `module.${name}.depends_on`)));
    else if (key === "providers") throw new EmitError(`module.${name}: a reusable module passes its providers on implicitly; remove providers`);
    else items.push(attribute(key, expression(value)));
  }
  return block("module", [name], items);
}

/** The construct path cdktf records in a block's `//` metadata, without the stack's own id. */
function constructPath(body: JsonObject): string {
  const metadata = isObject(body["//"]) ? body["//"].metadata : undefined;
  const path = isObject(metadata) && typeof metadata.path === "string" ? metadata.path : "";
  return path.split("/").slice(1).join("/");
}

function fileChooser(moduleFiles: readonly ModuleFile[]): (path: string) => string {
  const byConstruct = new Map<string, string>();
  for (const { file, constructs } of moduleFiles) {
    if (!/^[a-z0-9][a-z0-9-]*\.tf$/.test(file) || ["variables.tf", "outputs.tf", "versions.tf"].includes(file)) {
      throw new EmitError(`module file ${file}: expected a lowercase name ending in .tf other than variables.tf, outputs.tf and versions.tf`);
    }
    for (const construct of constructs) {
      const known = byConstruct.get(construct);
      if (known && known !== file) throw new EmitError(`construct ${construct} is mapped to both ${known} and ${file}`);
      byConstruct.set(construct, file);
    }
  }
  return (path) => {
    const segments = path.split("/");
    for (let length = segments.length; length > 0; length -= 1) {
      const file = byConstruct.get(segments.slice(0, length).join("/"));
      if (file) return file;
    }
    return MAIN_FILE;
  };
}

function entries(section: Json, where: string): Array<[string, JsonObject]> {
  if (!isObject(section)) throw new EmitError(`${where}: expected an object, got ${JSON.stringify(section)}`);
  return Object.entries(section).map(([name, body]) => {
    if (!isObject(body)) throw new EmitError(`${where}.${name}: expected an object, got ${JSON.stringify(body)}`);
    return [name, body];
  });
}

function asString(value: Json, where: string): string {
  if (typeof value !== "string") throw new EmitError(`${where}: expected a string, got ${JSON.stringify(value)}`);
  return value;
}
