/**
 * What the policy rules look at: the synthesized Terraform JSON of one variant (the emitted module's
 * stack, or SelfRunners with literal props), as resources with addresses, plus IAM documents parsed from
 * the `jsonencode({...})` expressions cdktf renders.
 */
import type { SynthesizedStack } from "../helpers/synth.js";

/** One configuration the suite checks. */
export interface Variant {
  readonly name: string;
  readonly description: string;
  readonly synth: SynthesizedStack;
  /** True for the module's stack: values may be `${var.x}` expressions and counts are expressions. */
  readonly module: boolean;
  /** How the KMS key in use appears in attributes; undefined when no key is configured. */
  readonly keyReference?: RegExp;
  /** The emitted HCL (module variant only). */
  readonly hcl?: string;
}

/** A resource as the rules see it. */
export interface Resource {
  readonly type: string;
  readonly name: string;
  /** `type.name`, the address in the emitted module. */
  readonly address: string;
  readonly config: Record<string, unknown>;
}

/**
 * The resources of `types` that exist in the variant: a literal `count = 0` means absent; a count that
 * is an expression (the module) means "may exist", so it is checked.
 */
export function resourcesOf(variant: Variant, ...types: string[]): Resource[] {
  return types.flatMap((type) =>
    Object.entries(variant.synth.resource[type] ?? {})
      .filter(([, config]) => config.count !== 0)
      .map(([name, config]) => ({ type, name, address: `${type}.${name}`, config })),
  );
}

/** True for a Terraform expression (`${...}`) rather than a literal. */
export function isExpression(value: unknown): value is string {
  return typeof value === "string" && value.startsWith("${") && value.endsWith("}");
}

/** The value, or for a bare `${var.x}` in the module the variable's default (what a user gets unless they change it). */
export function effective(variant: Variant, value: unknown): unknown {
  const match = typeof value === "string" ? /^\$\{var\.([a-z0-9_]+)\}$/.exec(value) : null;
  if (match === null) return value;
  const variable = variant.synth.variable?.[match[1]!];
  return variable !== undefined && "default" in variable ? variable.default : value;
}

/** A string attribute is set: present and not empty. */
export function isSet(value: unknown): boolean {
  return value !== undefined && value !== null && value !== "";
}

/** The first element of a block that cdktf renders as an object or a one-element list. */
export function block(value: unknown): Record<string, unknown> {
  const first = Array.isArray(value) ? value[0] : value;
  return (typeof first === "object" && first !== null ? first : {}) as Record<string, unknown>;
}

// --- IAM documents ----------------------------------------------------------------------------------

/** One statement of a parsed document; expressions stay strings of the form `${...}`. */
export interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Principal?: unknown;
  readonly Action: string[];
  readonly Resource: string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/**
 * The statements of a policy attribute. cdktf renders documents as `${jsonencode({"Version" = ...})}`:
 * HCL object syntax whose leaves are quoted strings (possibly holding `${...}` interpolations) or bare
 * expressions (`aws_x.y.arn`, `values({ for ... })`). Bare expressions become `${expression}`.
 */
export function statementsOf(policy: unknown): Statement[] {
  if (typeof policy !== "string") return [];
  const match = /^\$\{jsonencode\(([\s\S]*)\)\}$/.exec(policy);
  if (match === null) throw new Error(`not a jsonencode() document: ${policy.slice(0, 80)}`);
  const document = new HclObjectParser(match[1]!).parse() as { Statement?: Record<string, unknown>[] };
  return (document.Statement ?? []).map((s) => ({
    ...(s as object),
    Effect: String(s.Effect ?? "Allow"),
    Action: list(s.Action),
    Resource: list(s.Resource),
  })) as Statement[];
}

function list(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** A small reader for the HCL object/list/string subset cdktf emits inside jsonencode(). */
class HclObjectParser {
  private at = 0;
  constructor(private readonly text: string) {}

  parse(): unknown {
    const value = this.value();
    this.space();
    if (this.at !== this.text.length) throw new Error(`unexpected text at ${this.at}: ${this.text.slice(this.at, this.at + 40)}`);
    return value;
  }

  private value(): unknown {
    this.space();
    const c = this.text[this.at];
    if (c === "{") return this.object();
    if (c === "[") return this.list();
    if (c === '"') return this.string();
    return this.bare();
  }

  private object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.at += 1;
    for (;;) {
      this.space();
      if (this.text[this.at] === "}") {
        this.at += 1;
        return out;
      }
      const key = this.string();
      this.space();
      if (this.text[this.at] !== "=") throw new Error(`expected '=' at ${this.at}`);
      this.at += 1;
      out[key] = this.value();
      this.space();
      if (this.text[this.at] === ",") this.at += 1;
    }
  }

  private list(): unknown[] {
    const out: unknown[] = [];
    this.at += 1;
    for (;;) {
      this.space();
      if (this.text[this.at] === "]") {
        this.at += 1;
        return out;
      }
      out.push(this.value());
      this.space();
      if (this.text[this.at] === ",") this.at += 1;
    }
  }

  /** A quoted string; `${...}` inside may hold quotes of its own. `$${` is a literal `${` (IAM variables). */
  private string(): string {
    let out = "";
    this.at += 1;
    while (this.at < this.text.length) {
      const c = this.text[this.at]!;
      if (c === '"') {
        this.at += 1;
        return out;
      }
      if (c === "\\") {
        out += this.text[this.at + 1];
        this.at += 2;
      } else if (this.text.startsWith("$${", this.at)) {
        out += "${";
        this.at += 3;
      } else if (this.text.startsWith("${", this.at)) {
        const end = this.balanced(this.at + 1, "{", "}");
        out += this.text.slice(this.at, end);
        this.at = end;
      } else {
        out += c;
        this.at += 1;
      }
    }
    throw new Error("unterminated string");
  }

  /** A bare expression up to the next ',', '}' or ']' at depth 0. */
  private bare(): string {
    const start = this.at;
    let depth = 0;
    while (this.at < this.text.length) {
      const c = this.text[this.at]!;
      if (c === '"') {
        this.string();
        continue;
      }
      if (c === "(" || c === "[" || c === "{") depth += 1;
      if (c === ")" || c === "]" || c === "}") {
        if (depth === 0) break;
        depth -= 1;
      }
      if (c === "," && depth === 0) break;
      this.at += 1;
    }
    return `\${${this.text.slice(start, this.at).trim()}}`;
  }

  /** Index just past the bracket matching the one at `from`, skipping quoted strings. */
  private balanced(from: number, open: string, close: string): number {
    let depth = 0;
    let i = from;
    while (i < this.text.length) {
      const c = this.text[i]!;
      if (c === '"') {
        i += 1;
        while (i < this.text.length && this.text[i] !== '"') i += this.text[i] === "\\" ? 2 : 1;
      } else if (c === open) depth += 1;
      else if (c === close) {
        depth -= 1;
        if (depth === 0) return i + 1;
      }
      i += 1;
    }
    throw new Error("unbalanced expression");
  }

  private space(): void {
    while (this.at < this.text.length && /\s/.test(this.text[this.at]!)) this.at += 1;
  }
}
