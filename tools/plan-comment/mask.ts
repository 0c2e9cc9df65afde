/**
 * Masking: values Terraform marks sensitive (`before_sensitive` / `after_sensitive` mirror a value and
 * hold `true` where it is sensitive) never reach the comment, and neither does any text matching a
 * user pattern (`--mask REGEX`). A sensitive string is also hidden wherever else it appears.
 */

export const SENSITIVE = "(sensitive value)";
export const MASKED = "***";

/** Replaces every match of the patterns, and every known secret, with {@link MASKED}. */
export class Masker {
  private readonly secrets = new Set<string>();

  constructor(private readonly patterns: readonly RegExp[] = []) {}

  /** Compiles `--mask` arguments; throws naming the pattern that is not a valid regular expression. */
  static fromPatterns(sources: readonly string[]): Masker {
    return new Masker(
      sources.map((source) => {
        try {
          return new RegExp(source, "g");
        } catch (error) {
          throw new Error(`--mask ${JSON.stringify(source)} is not a valid regular expression: ${(error as Error).message}`);
        }
      }),
    );
  }

  /** Remembers the sensitive leaves of `value` so they are hidden wherever they appear. */
  learn(value: unknown, sensitive: unknown): void {
    if (sensitive === true) {
      for (const leaf of leaves(value)) if (leaf.length >= 4) this.secrets.add(leaf);
      return;
    }
    if (typeof sensitive !== "object" || sensitive === null || typeof value !== "object" || value === null) return;
    for (const [key, child] of Object.entries(sensitive)) this.learn((value as Record<string, unknown>)[key], child);
  }

  mask(text: string): string {
    let masked = text;
    // Longest first, so a secret that contains another is hidden whole.
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) {
      masked = masked.replaceAll(secret, MASKED);
      const quoted = JSON.stringify(secret).slice(1, -1);
      if (quoted !== secret) masked = masked.replaceAll(quoted, MASKED);
    }
    for (const pattern of this.patterns) masked = masked.replace(pattern, MASKED);
    return masked;
  }
}

// Only strings: a sensitive `false` or `3` hidden everywhere would blank half the comment.
function leaves(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (typeof value === "object" && value !== null) return Object.values(value).flatMap(leaves);
  return [];
}

/** One attribute at a dotted path (`input.labels[2]`), rendered as Terraform would show it. */
export interface Attribute {
  readonly path: string;
  /** What the comment shows (masked, shortened). */
  readonly value: string;
  /** The value itself, to tell a changed secret from an unchanged one; never shown. */
  readonly raw: string;
}

const MAX_VALUE_CHARS = 1_000;

/**
 * The leaves of a resource's value as path/value pairs: sensitive leaves read {@link SENSITIVE},
 * unknown ones `(known after apply)`. Long strings are shortened (the full value is in the run log).
 */
export function flatten(value: unknown, sensitive: unknown, unknown: unknown = false, prefix = ""): Attribute[] {
  const path = prefix || "(value)";
  if (sensitive === true) return [{ path, value: SENSITIVE, raw: JSON.stringify(value) ?? "null" }];
  if (unknown === true) return [{ path, value: "(known after apply)", raw: "(known after apply)" }];
  const child = (tree: unknown, key: string | number): unknown =>
    typeof tree === "object" && tree !== null ? (tree as Record<string, unknown>)[key as string] : false;
  if (Array.isArray(value)) {
    const length = Math.max(value.length, Array.isArray(unknown) ? unknown.length : 0);
    if (length === 0) return [{ path, value: "[]", raw: "[]" }];
    return Array.from({ length }, (_, index) =>
      flatten(value[index] ?? null, child(sensitive, index), child(unknown, index), `${prefix}[${index}]`),
    ).flat();
  }
  if (typeof value === "object" && value !== null) {
    const keys = [...new Set([...Object.keys(value), ...(typeof unknown === "object" && unknown !== null && !Array.isArray(unknown) ? Object.keys(unknown) : [])])].sort();
    if (keys.length === 0) return [{ path, value: "{}", raw: "{}" }];
    return keys.flatMap((key) => {
      const keyPath = prefix === "" ? key : /^[A-Za-z_][\w-]*$/.test(key) ? `${prefix}.${key}` : `${prefix}[${JSON.stringify(key)}]`;
      return flatten((value as Record<string, unknown>)[key] ?? null, child(sensitive, key), child(unknown, key), keyPath);
    });
  }
  return [{ path, value: show(value), raw: JSON.stringify(value) ?? "null" }];
}

function show(value: unknown): string {
  if (value === null || value === undefined) return "null";
  const text = JSON.stringify(value);
  if (text.length <= MAX_VALUE_CHARS) return text;
  return `${text.slice(0, MAX_VALUE_CHARS)}… (${text.length - MAX_VALUE_CHARS} more characters)`;
}
