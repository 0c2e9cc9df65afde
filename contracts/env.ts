/**
 * The vocabulary of function environment contracts: each variable is declared once (name, type,
 * whether it is required, default, one line of documentation) and the three sides derive from it:
 * stacks/ renders it (stacks/private/environment.ts), lambdas/ parses it (`parseEnv` in
 * lambdas/shared/config.ts), docs/contracts.md lists it (contracts/docs.ts).
 * Plain data and types: this folder imports nothing outside itself (.dependency-cruiser.cjs).
 */

/** The shape of a value inside a JSON document variable (POOLS, ROUTE_TABLE_IDS, ...). */
export type JsonShape =
  /** A non-empty string. */
  | { readonly kind: "string" }
  /** Any string, "" included. */
  | { readonly kind: "text" }
  | { readonly kind: "integer"; readonly min: number }
  | { readonly kind: "boolean" }
  /** A non-empty array of non-empty strings. */
  | { readonly kind: "strings" }
  | { readonly kind: "list"; readonly item: JsonShape }
  | { readonly kind: "object"; readonly fields: JsonFields }
  /** An object with arbitrary keys (read in sorted key order) and values of one shape. */
  | { readonly kind: "map"; readonly value: JsonShape };

/** Where a field of a per-pool document comes from when the stack renders it. */
export type FieldSource =
  /** An attribute of the `pools` Terraform input (snake_case), `val.<attribute>` in the for-expression. */
  | { readonly pool: string }
  /** An attribute of a per-pool resource the stack names, `<resource>[key].<attribute>`. */
  | { readonly resource: string; readonly attribute: string };

export interface JsonField {
  readonly shape: JsonShape;
  readonly doc: string;
  /** Absent or null is allowed; the parsed value is `default`, or undefined without one. */
  readonly optional?: boolean;
  readonly default?: unknown;
  readonly source?: FieldSource;
}

export type JsonFields = Readonly<Record<string, JsonField>>;

/** The type of a variable's raw string. */
export type EnvType =
  | { readonly kind: "string" }
  /** A positive integer with an inclusive range. */
  | { readonly kind: "integer"; readonly min: number; readonly max?: number }
  /** `true` or `false`. */
  | { readonly kind: "boolean" }
  | { readonly kind: "enum"; readonly values: readonly string[] }
  /** An absolute URL; trailing slashes are dropped. */
  | { readonly kind: "url" }
  | { readonly kind: "json"; readonly shape: JsonShape };

export interface EnvVariable {
  /** UPPER_SNAKE; where it carries a Terraform input, the UPPER_SNAKE of that input's name. */
  readonly name: string;
  readonly type: EnvType;
  /** Required variables have no default: a Terraform input's default lives in the input table. */
  readonly required: boolean;
  /** Only for internal tunables that no Terraform input sets. */
  readonly default?: unknown;
  readonly doc: string;
  /** A valid raw value, for tests and the docs. */
  readonly example: string;
}

/** One function's environment: camelCase key -> variable. */
export type EnvContract = Readonly<Record<string, EnvVariable>>;

// ---- builders (they keep literal types, so parsed values and render inputs are typed) ---------

export const string = { kind: "string" } as const;
export const url = { kind: "url" } as const;
export const boolean = { kind: "boolean" } as const;
export function integer<const Min extends number>(min: Min, max?: number): { readonly kind: "integer"; readonly min: Min; readonly max?: number } {
  return max === undefined ? { kind: "integer", min } : { kind: "integer", min, max };
}
export function oneOf<const V extends readonly string[]>(values: V): { readonly kind: "enum"; readonly values: V } {
  return { kind: "enum", values };
}
export function json<const S extends JsonShape>(shape: S): { readonly kind: "json"; readonly shape: S } {
  return { kind: "json", shape };
}

/** A variable the function cannot run without. */
export function required<const T extends EnvType>(name: string, type: T, doc: string, example: string) {
  return { name, type, required: true, doc, example } as const;
}

/** A variable that may be unset or empty: the parsed value is undefined then. */
export function optional<const T extends EnvType>(name: string, type: T, doc: string, example: string) {
  return { name, type, required: false, doc, example } as const;
}

/** An internal tunable: no Terraform input sets it, so its default lives here. */
export function tunable<const T extends EnvType, const D extends string | number | boolean>(name: string, type: T, fallback: D, doc: string) {
  return { name, type, required: false, default: fallback, doc, example: typeof fallback === "string" ? fallback : JSON.stringify(fallback) } as const;
}

// ---- the typed values ----------------------------------------------------------------------------

export type ShapeValue<S> = S extends { kind: "string" | "text" }
  ? string
  : S extends { kind: "integer" }
    ? number
    : S extends { kind: "boolean" }
      ? boolean
      : S extends { kind: "strings" }
        ? readonly string[]
        : S extends { kind: "list"; item: infer I }
          ? ReadonlyArray<ShapeValue<I>>
          : S extends { kind: "object"; fields: infer F }
            ? FieldsValue<F>
            : S extends { kind: "map"; value: infer V }
              ? Readonly<Record<string, ShapeValue<V>>>
              : never;

type FieldValue<F> = F extends { optional: true }
  ? F extends { default: unknown }
    ? ShapeValue<F extends { shape: infer S } ? S : never>
    : ShapeValue<F extends { shape: infer S } ? S : never> | undefined
  : ShapeValue<F extends { shape: infer S } ? S : never>;

export type FieldsValue<F> = { readonly [K in keyof F]: FieldValue<F[K]> };

export type TypeValue<T> = T extends { kind: "string" | "url" }
  ? string
  : T extends { kind: "integer" }
    ? number
    : T extends { kind: "boolean" }
      ? boolean
      : T extends { kind: "enum"; values: readonly (infer V)[] }
        ? V
        : T extends { kind: "json"; shape: infer S }
          ? ShapeValue<S>
          : never;

type VariableValue<V> = V extends { required: true }
  ? TypeValue<V extends { type: infer T } ? T : never>
  : V extends { default: unknown }
    ? TypeValue<V extends { type: infer T } ? T : never>
    : TypeValue<V extends { type: infer T } ? T : never> | undefined;

/** What `parseEnv(contract, env)` returns. */
export type EnvValues<C> = { readonly [K in keyof C]: VariableValue<C[K]> };

type RequiredKeys<C> = { [K in keyof C]: C[K] extends { required: true } ? K : never }[keyof C];
type OptionalKeys<C> = Exclude<keyof C, RequiredKeys<C>>;

/**
 * What a construct hands in to render a contract: one raw string (a literal or a Terraform
 * expression) per key; a missing required key or an unknown key is a compile error.
 */
export type EnvInput<C> = { readonly [K in RequiredKeys<C>]: string } & { readonly [K in OptionalKeys<C>]?: string };

/** `maxRunners` -> `MAX_RUNNERS`: the one spelling rule between keys and names. */
export function upperSnake(camel: string): string {
  return camel.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

/** A readable description of a type, for error messages and the docs. */
export function describeType(type: EnvType): string {
  switch (type.kind) {
    case "string":
      return "string";
    case "url":
      return "URL";
    case "boolean":
      return "`true` or `false`";
    case "integer":
      return type.max === undefined ? `integer >= ${type.min}` : `integer ${type.min}-${type.max}`;
    case "enum":
      return type.values.map((v) => `\`${v}\``).join(" or ");
    case "json":
      return `JSON ${describeShape(type.shape)}`;
  }
}

export function describeShape(shape: JsonShape): string {
  switch (shape.kind) {
    case "string":
      return "string";
    case "text":
      return "string (may be empty)";
    case "integer":
      return `integer >= ${shape.min}`;
    case "boolean":
      return "boolean";
    case "strings":
      return "non-empty array of strings";
    case "list":
      return `array of ${describeShape(shape.item)}`;
    case "object":
      return `{${Object.entries(shape.fields)
        .map(([key, field]) => `${key}${field.optional ? "?" : ""}: ${describeShape(field.shape)}`)
        .join(", ")}}`;
    case "map":
      return `{"<key>": ${describeShape(shape.value)}}`;
  }
}
