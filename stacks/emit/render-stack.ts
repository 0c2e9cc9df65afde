/**
 * Renders the elements of one stack as HCL blocks, sorted into the files of a module. Resources,
 * data sources, modules and moved blocks go through cdktf's renderer (it knows which attributes are
 * blocks) with our string handling around it; variables, outputs and locals are rendered by us from
 * the constructs, because cdktf drops falsy defaults and `nullable = false` and snake-cases the keys
 * of object defaults.
 */
import type { IConstruct } from "constructs";
import {
  DefaultTokenResolver,
  StringConcat,
  TerraformBackend,
  TerraformElement,
  TerraformLocal,
  TerraformOutput,
  TerraformProvider,
  TerraformStack,
  TerraformVariable,
  Tokenization,
} from "cdktf";
// cdktf exports no HCL renderer from its root; this module is what stack.toHclTerraform() uses.
import { renderDatasource, renderModule, renderMoved, renderResource } from "cdktf/lib/hcl/render.js";
import { EmitError } from "./errors.js";
import { renderValue } from "./hcl-value.js";
import { Placeholders, protectAttributes, protectValue, renderCondition, stripMetadata } from "./placeholders.js";
import { quoteTemplate, unwrapInterpolation } from "./template.js";

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

/** The HCL of a stack, by destination file; blocks are in declaration order. */
export interface RenderedStack {
  readonly variables: string[];
  readonly outputs: string[];
  /** `locals` first, then resources, data sources, modules and moved blocks. */
  readonly main: string[];
  readonly variableDocs: VariableDoc[];
  readonly outputDocs: OutputDoc[];
}

/** Provider local names the module may use: ours, plus Terraform's built-in resources. */
const KNOWN_PROVIDERS = new Set(["aws", "terraform"]);

/** Renders every element of `stack` (not of nested stacks). */
export function renderStack(stack: TerraformStack): RenderedStack {
  const rendered: RenderedStack = { variables: [], outputs: [], main: [], variableDocs: [], outputDocs: [] };
  const locals: string[] = [];
  for (const element of terraformElements(stack)) {
    if (element instanceof TerraformVariable) {
      const doc = variableDoc(stack, element);
      rendered.variables.push(renderVariable(stack, element, doc));
      rendered.variableDocs.push(doc);
    } else if (TerraformOutput.isTerraformOutput(element)) {
      const { hcl, doc } = renderOutput(stack, element);
      rendered.outputs.push(hcl);
      rendered.outputDocs.push(doc);
    } else if (element instanceof TerraformLocal) {
      locals.push(...renderLocals(resolve(stack, element.toHclTerraform())));
    } else if (TerraformProvider.isTerraformProvider(element) || TerraformBackend.isBackend(element)) {
      // A reusable module configures neither: its caller passes providers and owns the state.
      continue;
    } else {
      rendered.main.push(...renderFragment(resolve(stack, element.toHclTerraform()), element.node.path));
    }
  }
  if (locals.length > 0) rendered.main.unshift(`locals {\n${locals.join("\n")}\n}`);
  return rendered;
}

/** Every Terraform element of a stack, depth first in construct order, not descending into nested stacks. */
export function terraformElements(node: IConstruct, into: TerraformElement[] = []): TerraformElement[] {
  if (TerraformElement.isTerraformElement(node)) into.push(node);
  for (const child of node.node.children) {
    if (!TerraformStack.isStack(child)) terraformElements(child, into);
  }
  return into;
}

/** Resolves tokens the way `stack.toHclTerraform()` does. */
export function resolve<T>(stack: TerraformStack, value: T): T {
  return Tokenization.resolve(value, {
    scope: stack,
    preparing: false,
    resolver: new DefaultTokenResolver(new StringConcat()),
  }) as T;
}

function variableDoc(stack: TerraformStack, variable: TerraformVariable): VariableDoc {
  return {
    name: variable.friendlyUniqueId,
    type: variable.type,
    description: variable.description,
    hasDefault: variable.default !== undefined,
    default: resolve(stack, variable.default),
    sensitive: variable.sensitive === true,
    nullable: variable.nullable !== false,
  };
}

function renderVariable(stack: TerraformStack, variable: TerraformVariable, doc: VariableDoc): string {
  const lines: string[] = [];
  if (doc.description !== undefined) lines.push(`description = ${quoteTemplate(doc.description)}`);
  if (doc.type !== undefined) lines.push(`type = ${doc.type}`);
  if (doc.hasDefault) lines.push(`default = ${renderValue(doc.default)}`);
  if (variable.nullable !== undefined) lines.push(`nullable = ${variable.nullable}`);
  if (variable.sensitive !== undefined) lines.push(`sensitive = ${variable.sensitive}`);
  for (const validation of resolve(stack, variable.validation) ?? []) {
    lines.push(renderCondition("validation", { condition: validation.condition, error_message: validation.errorMessage }));
  }
  return `variable "${doc.name}" {\n${lines.join("\n")}\n}`;
}

interface OutputFragment {
  value?: { value: unknown };
  description?: { value?: string };
  sensitive?: { value?: boolean };
  depends_on?: { value?: string[] };
}

function renderOutput(stack: TerraformStack, output: TerraformOutput): { hcl: string; doc: OutputDoc } {
  const name = output.friendlyUniqueId;
  const fragment = (resolve(stack, output.toHclTerraform()) as { output: Record<string, OutputFragment> }).output[name];
  const description = fragment.description?.value;
  const sensitive = fragment.sensitive?.value;
  const lines: string[] = [];
  if (description !== undefined) lines.push(`description = ${quoteTemplate(description)}`);
  lines.push(`value = ${renderValue(stripMetadata(fragment.value?.value))}`);
  if (sensitive !== undefined) lines.push(`sensitive = ${sensitive}`);
  const dependsOn = fragment.depends_on?.value;
  if (dependsOn?.length) lines.push(`depends_on = [${dependsOn.map((ref) => unwrapInterpolation(ref) ?? ref).join(", ")}]`);
  // cdktf keeps an output's precondition on the construct but synthesizes it nowhere.
  const precondition = resolve(stack, output.precondition);
  if (precondition) {
    lines.push(renderCondition("precondition", { condition: precondition.condition, error_message: precondition.errorMessage }));
  }
  return {
    hcl: `output "${name}" {\n${lines.join("\n")}\n}`,
    doc: { name, description, sensitive: sensitive === true },
  };
}

function renderLocals(fragment: { locals?: Record<string, { value: unknown }> }): string[] {
  return Object.entries(fragment.locals ?? {}).map(([name, local]) => `${name} = ${renderValue(stripMetadata(local.value))}`);
}

type Fragment = Record<string, unknown>;

/** Renders what one element contributes to main.tf. */
export function renderFragment(fragment: Fragment, path: string): string[] {
  const blocks: string[] = [];
  for (const [kind, body] of Object.entries(fragment)) {
    if (body === undefined) continue;
    switch (kind) {
      case "resource":
      case "data":
        blocks.push(renderTypedBlock(kind, body as Record<string, Record<string, Fragment>>, path));
        break;
      case "module": {
        const [name, attributes] = Object.entries(body as Record<string, Fragment>)[0];
        blocks.push(withPlaceholders((table) => renderModule({ [name]: protectAttributes(attributes, table) }).hcl));
        break;
      }
      case "moved":
        blocks.push(withPlaceholders((table) => renderMoved((body as Fragment[]).map((moved) => protectValue(stripMetadata(moved), table)))));
        break;
      case "terraform":
        // Required providers and backends of the stack; versions.tf declares the module's own.
        break;
      case "import":
        throw new EmitError(`${path}: import blocks are only allowed in a root module, not in a reusable module`);
      default:
        throw new EmitError(`${path}: the emitter does not know how to write a "${kind}" element`);
    }
  }
  return blocks;
}

function renderTypedBlock(kind: "resource" | "data", body: Record<string, Record<string, Fragment>>, path: string): string {
  const [type, byName] = Object.entries(body)[0];
  const [name, attributes] = Object.entries(byName)[0];
  const provider = type.split("_")[0];
  if (!KNOWN_PROVIDERS.has(provider)) {
    throw new EmitError(`${path}: ${kind} ${type}.${name} needs the "${provider}" provider, but the module only requires hashicorp/aws`);
  }
  const render = kind === "resource" ? renderResource : renderDatasource;
  return withPlaceholders((table) => render({ [type]: { [name]: protectAttributes(attributes, table) } }).hcl);
}

function withPlaceholders(render: (table: Placeholders) => string): string {
  const table = new Placeholders();
  return table.restore(render(table));
}
