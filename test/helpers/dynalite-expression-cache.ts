import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/**
 * Remembers what dynalite's expression parsers made of an expression, so that the same expression
 * with new values is not parsed again. Dynalite parses every ConditionExpression, UpdateExpression,
 * KeyConditionExpression, FilterExpression and ProjectionExpression of every request with PEG parsers
 * built without pegjs's cache: each parenthesis nesting multiplies the backtracking, and the ledger's
 * conditions nest. In the fault world's 1,000-job burst that was about a quarter of the test's CPU. Dynalite
 * has no option for it, hence this wrapper around its parser modules' `parse`.
 *
 * What a parse gives depends on the expression, the attribute names, which values exist and their
 * types (the operand checks), never on the values themselves, except in BETWEEN (it compares the
 * bounds) and attribute_type (it reads its argument): expressions with either are parsed every time.
 * A new parse runs with copies of the values (same content, own identity): where a copy lands in the
 * tree, the request's own value goes. Every answer is a fresh tree (dynalite rewrites key conditions
 * in place), and the names and values the expression uses leave the request's "unused" sets as they
 * would. Parses that end in an error (thrown or returned as text) are not kept: they run as before.
 */

type AttributeValue = Record<string, unknown>;

interface ParseContext {
  attrNames?: Record<string, string>;
  attrVals?: Record<string, AttributeValue>;
  unusedAttrNames?: Record<string, boolean>;
  unusedAttrVals?: Record<string, boolean>;
  isKeyCondition?: boolean;
  [other: string]: unknown;
}

type Parse = (input: string, options: { context: ParseContext }) => unknown;
/** A wrapped parser keeps dynalite's own as `uncached`. */
export type CachedParse = Parse & { readonly uncached: Parse };

interface ParserModule {
  parse: Parse;
}

interface Kept {
  readonly tree: unknown;
  /** The value copies the tree holds, and the request value each stands for. */
  readonly copies: ReadonlyMap<object, string>;
  readonly usedNames: readonly string[];
  readonly usedValues: readonly string[];
}

/** Value-dependent checks: such expressions are parsed for every request. */
const READS_VALUES = /between|attribute_type/i;
const PARSERS = ["conditionParser", "updateParser", "projectionParser"] as const;
const TYPES = ["S", "N", "B", "NULL", "BOOL", "SS", "NS", "BS", "L", "M"] as const;
/** Expressions built per request (names or values per item) would grow the cache without end. */
const MAX_KEPT = 10_000;

export const expressionCacheStats = { parsed: 0, reused: 0, uncacheable: 0 };
let installed = false;

/** Wraps dynalite's three expression parsers (once per process; dynalite is loaded once). */
export function installDynaliteExpressionCache(): void {
  if (installed) return;
  installed = true;
  const require = createRequire(import.meta.url);
  const db = join(dirname(require.resolve("dynalite")), "db");
  for (const name of PARSERS) {
    const parser = require(join(db, name)) as ParserModule;
    parser.parse = cachedParse(parser.parse);
  }
}

/** `parse` with its successful trees kept by expression, names, and the values' keys and types. */
export function cachedParse(parse: Parse): CachedParse {
  const kept = new Map<string, Kept>();
  const cached: Parse = (input, options) => {
    const context = options.context;
    if (READS_VALUES.test(input)) {
      expressionCacheStats.uncacheable += 1;
      return parse(input, options);
    }
    const values = context.attrVals ?? {};
    const key = JSON.stringify([input, context.attrNames ?? null, context.isKeyCondition === true, Object.entries(values).map(([name, value]) => [name, typeOf(value)])]);
    let entry = kept.get(key);
    if (entry === undefined) {
      entry = parseOnce(parse, input, context);
      if (entry === undefined) return parse(input, options);
      if (kept.size >= MAX_KEPT) kept.clear();
      kept.set(key, entry);
      expressionCacheStats.parsed += 1;
    } else {
      expressionCacheStats.reused += 1;
    }
    for (const name of entry.usedNames) delete context.unusedAttrNames?.[name];
    for (const name of entry.usedValues) delete context.unusedAttrVals?.[name];
    const { copies } = entry;
    return cloneTree(entry.tree, (node) => (copies.has(node) ? values[copies.get(node) as string] : undefined));
  };
  return Object.assign(cached, { uncached: parse });
}

/** Parses with copies of the values and fresh "unused" sets; undefined when the parse fails. */
function parseOnce(parse: Parse, input: string, context: ParseContext): Kept | undefined {
  const copies = new Map<object, string>();
  const attrVals: Record<string, AttributeValue> = {};
  for (const [name, value] of Object.entries(context.attrVals ?? {})) {
    const copy = { ...value };
    copies.set(copy, name);
    attrVals[name] = copy;
  }
  const unusedAttrNames = Object.fromEntries(Object.keys(context.attrNames ?? {}).map((name) => [name, true]));
  const unusedAttrVals = Object.fromEntries(Object.keys(attrVals).map((name) => [name, true]));
  let tree: unknown;
  try {
    tree = parse(input, { context: { ...context, attrVals: context.attrVals === undefined ? undefined : attrVals, unusedAttrNames, unusedAttrVals } });
  } catch {
    return undefined;
  }
  if (typeof tree !== "object" || tree === null) return undefined;
  return {
    tree: cloneTree(tree, () => undefined, copies),
    copies,
    usedNames: Object.keys(context.attrNames ?? {}).filter((name) => !(name in unusedAttrNames)),
    usedValues: Object.keys(attrVals).filter((name) => !(name in unusedAttrVals)),
  };
}

/**
 * A deep copy of a parse tree (arrays, plain and prototype-less objects), with `replace`'s answer
 * wherever it gives one; objects in `keep` stay as they are (the value copies of a kept tree).
 */
function cloneTree(node: unknown, replace: (node: object) => unknown, keep?: ReadonlyMap<object, string>): unknown {
  if (typeof node !== "object" || node === null) return node;
  const replaced = replace(node);
  if (replaced !== undefined) return replaced;
  if (keep?.has(node) === true) return node;
  if (Array.isArray(node)) return node.map((item) => cloneTree(item, replace, keep));
  const copy = Object.create(Object.getPrototypeOf(node) as object | null) as Record<string, unknown>;
  for (const [name, value] of Object.entries(node)) copy[name] = cloneTree(value, replace, keep);
  return copy;
}

/** The attribute value's type, as dynalite's operand checks see it. */
function typeOf(value: AttributeValue): string | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  return TYPES.find((type) => value[type] !== undefined && value[type] !== null) ?? null;
}
