/**
 * A reader for the block-style YAML subset GitHub workflows are written in: mappings, sequences
 * (including `- key: value` items), `|` block scalars, plain and quoted scalars, full-line comments.
 * No YAML library is installed in this repository, so examples are checked with this; anything outside
 * the subset (flow collections, anchors, tabs, `>` folding) is refused rather than misread.
 */

interface Line {
  readonly indent: number;
  readonly text: string;
  readonly number: number;
}

export class YamlSubsetError extends Error {}

export function parseYamlSubset(source: string): unknown {
  const lines: Line[] = [];
  source.split("\n").forEach((raw, index) => {
    if (/^\s*\t/.test(raw)) throw new YamlSubsetError(`line ${index + 1}: tab indentation`);
    lines.push({ indent: raw.length - raw.trimStart().length, text: raw.trimEnd().trimStart(), number: index + 1 });
  });
  const reader = new Reader(lines);
  const value = reader.block(0);
  reader.skipBlank();
  if (!reader.done()) throw new YamlSubsetError(`line ${reader.peek()!.number}: unexpected indentation`);
  return value;
}

class Reader {
  private at = 0;
  constructor(private readonly lines: Line[]) {}

  done(): boolean {
    return this.at >= this.lines.length;
  }

  peek(): Line | undefined {
    return this.lines[this.at];
  }

  /** Skips blank lines and full-line comments. */
  skipBlank(): void {
    while (!this.done() && (this.peek()!.text === "" || this.peek()!.text.startsWith("#"))) this.at += 1;
  }

  /** The mapping or sequence whose lines start at exactly `indent`. */
  block(indent: number): unknown {
    this.skipBlank();
    const first = this.peek();
    if (first === undefined || first.indent < indent) return null;
    if (first.indent !== indent) throw new YamlSubsetError(`line ${first.number}: expected indentation ${indent}`);
    return first.text.startsWith("- ") || first.text === "-" ? this.sequence(indent) : this.mapping(indent, {});
  }

  private sequence(indent: number): unknown[] {
    const items: unknown[] = [];
    for (;;) {
      this.skipBlank();
      const line = this.peek();
      if (line === undefined || line.indent !== indent || !(line.text.startsWith("- ") || line.text === "-")) return items;
      const rest = line.text === "-" ? "" : line.text.slice(2);
      if (rest === "") {
        this.at += 1;
        items.push(this.block(indent + 2));
      } else if (/^[^"'\s][^:]*:( |$)/.test(rest)) {
        // `- key: value` opens a mapping whose further keys sit two columns deeper.
        this.lines[this.at] = { indent: indent + 2, text: rest, number: line.number };
        items.push(this.mapping(indent + 2, {}));
      } else {
        this.at += 1;
        items.push(scalar(rest, line.number));
      }
    }
  }

  private mapping(indent: number, out: Record<string, unknown>): Record<string, unknown> {
    for (;;) {
      this.skipBlank();
      const line = this.peek();
      if (line === undefined || line.indent < indent) return out;
      if (line.indent > indent) throw new YamlSubsetError(`line ${line.number}: unexpected indentation`);
      const match = /^([^"'\s#][^:]*|"[^"]*"|'[^']*'):(?: (.*))?$/.exec(line.text);
      if (match === null) return out;
      const key = unquote(match[1]!);
      if (key in out) throw new YamlSubsetError(`line ${line.number}: duplicate key ${key}`);
      const rest = (match[2] ?? "").trim();
      this.at += 1;
      if (rest === "|" || rest === "|-") out[key] = this.blockScalar(indent, rest === "|-");
      else if (rest === "" ) {
        this.skipBlank();
        const next = this.peek();
        // A sequence may sit at the same indentation as its key.
        if (next !== undefined && next.indent === indent && next.text.startsWith("- ")) out[key] = this.sequence(indent);
        else out[key] = this.block(next !== undefined && next.indent > indent ? next.indent : indent + 1);
      } else out[key] = scalar(rest, line.number);
    }
  }

  /** Lines deeper than the key, with the common indentation removed. */
  private blockScalar(keyIndent: number, strip: boolean): string {
    const taken: Line[] = [];
    while (!this.done() && (this.peek()!.text === "" || this.peek()!.indent > keyIndent)) taken.push(this.lines[this.at++]!);
    while (taken.length > 0 && taken[taken.length - 1]!.text === "") taken.pop();
    const indent = Math.min(...taken.filter((l) => l.text !== "").map((l) => l.indent));
    const text = taken.map((l) => (l.text === "" ? "" : " ".repeat(l.indent - indent) + l.text)).join("\n");
    return strip ? text : `${text}\n`;
  }
}

function unquote(key: string): string {
  return /^(".*"|'.*')$/.test(key) ? key.slice(1, -1) : key;
}

function scalar(text: string, number: number): unknown {
  if (/^[[{&*!|>]/.test(text)) throw new YamlSubsetError(`line ${number}: outside the supported subset: ${text}`);
  if (text.startsWith('"')) return JSON.parse(text) as string;
  if (text.startsWith("'")) return text.slice(1, -1).replace(/''/g, "'");
  const plain = text.replace(/\s+#.*$/, "");
  if (plain === "true" || plain === "false") return plain === "true";
  if (/^-?\d+$/.test(plain)) return Number(plain);
  return plain;
}
