/**
 * Input rules that render themselves twice: as a TypeScript check of a construct prop and as the HCL
 * `condition` of a Terraform variable's `validation` block. Both sides say the same `allowed` words, so
 * a CDKTF user and a Terraform user are refused the same values with the same message (the model is
 * aws-cdk's validate-queue-props.ts, a table of `{ condition, message }`).
 */

/** One rule of an input. */
export interface InputRule {
  /** What is allowed, completing "<variable> must be …" and "allowed: …". */
  readonly allowed: string;
  /** True when a value known now passes. */
  check(value: unknown): boolean;
  /** The HCL boolean expression that checks `ref` (e.g. `var.prefix`). */
  condition(ref: string): string;
}

/** A rule from its three parts. */
export function inputRule(allowed: string, check: (value: never) => boolean, condition: (ref: string) => string): InputRule {
  return { allowed, check: check as (value: unknown) => boolean, condition };
}

/** An HCL string literal (JSON's escaping is valid HCL for the characters our patterns use). */
export function hclString(text: string): string {
  return JSON.stringify(text);
}

/** A whole number within [min, max]. */
export function integerBetween(min: number, max: number, why = ""): InputRule {
  return inputRule(
    `a whole number from ${min} to ${max}${why}`,
    (v: number) => Number.isInteger(v) && v >= min && v <= max,
    (r) => `${r} >= ${min} && ${r} <= ${max} && floor(${r}) == ${r}`,
  );
}

/** A number within [min, max]. */
export function numberBetween(min: number, max: number, why = ""): InputRule {
  return inputRule(`a number from ${min} to ${max}${why}`, (v: number) => typeof v === "number" && v >= min && v <= max, (r) => `${r} >= ${min} && ${r} <= ${max}`);
}

/** One of the listed values. */
export function oneOf(values: readonly (string | number)[]): InputRule {
  const words = values.map((v) => JSON.stringify(v));
  const allowed = values.length === 2 ? `${words[0]} or ${words[1]}` : `one of ${words.join(", ")}`;
  return inputRule(allowed, (v: string | number) => values.includes(v), (r) => `contains([${words.join(", ")}], ${r})`);
}

/** A string matching `pattern` (RE2 and JavaScript read it alike: no lookaround, no backreferences). */
export function matching(pattern: string, allowed: string): InputRule {
  const re = new RegExp(pattern);
  return inputRule(allowed, (v: string) => typeof v === "string" && re.test(v), (r) => `can(regex(${hclString(pattern)}, ${r}))`);
}

/** "" or a value the inner rule accepts. */
export function emptyOr(inner: InputRule): InputRule {
  return inputRule(`"" or ${inner.allowed}`, (v: string) => v === "" || inner.check(v), (r) => `${r} == "" || (${inner.condition(r)})`);
}

/** A list whose every item the inner rule accepts (`allowed` of the inner rule reads in the plural). */
export function eachItem(inner: InputRule, allowed = inner.allowed): InputRule {
  return inputRule(allowed, (v: readonly unknown[]) => Array.isArray(v) && v.every((item) => inner.check(item)), (r) => `alltrue([for item in ${r} : ${inner.condition("item")}])`);
}

/** A non-empty list whose every item the inner rule accepts. */
export function nonEmptyList(inner?: InputRule): InputRule {
  const each = inner === undefined ? undefined : eachItem(inner);
  return inputRule(
    inner === undefined ? "a list of at least one item" : `a non-empty list of ${inner.allowed}`,
    (v: readonly unknown[]) => Array.isArray(v) && v.length > 0 && (each === undefined || each.check(v)),
    (r) => (each === undefined ? `length(${r}) > 0` : `length(${r}) > 0 && (${each.condition(r)})`),
  );
}

/** A map whose keys and values the given rules accept. */
export function mapOf(key: InputRule, value: InputRule, allowed: string): InputRule {
  return inputRule(
    allowed,
    (v: Record<string, unknown>) => Object.entries(v).every(([k, item]) => key.check(k) && value.check(item)),
    (r) => `alltrue([for k, item in ${r} : (${key.condition("k")}) && (${value.condition("item")})])`,
  );
}

/** The message both sides print for a variable. */
export function ruleMessage(variable: string, rule: InputRule): string {
  return `${variable} must be ${rule.allowed}.`;
}
