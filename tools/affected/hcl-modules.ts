/**
 * The `source` of every `module` block in a Terraform file. No HCL parser is installed in this
 * repository, so this reads just enough HCL by hand: comments and strings are skipped, braces are
 * counted, and only the block's own top-level `source = "..."` attribute is taken.
 */
export function moduleSources(hcl: string): string[] {
  const text = stripComments(hcl);
  const sources: string[] = [];
  const opener = /(^|\n)\s*module\s+"[^"]*"\s*\{/g;
  for (let match = opener.exec(text); match !== null; match = opener.exec(text)) {
    const body = blockBody(text, match.index + match[0].length);
    const source = /(?:^|\n)\s*source\s*=\s*"([^"]*)"/.exec(topLevel(body));
    if (source) sources.push(source[1]!);
  }
  return sources;
}

/** A local module source (Terraform treats only `./` and `../` prefixes as local paths). */
export function isLocalSource(source: string): boolean {
  return source.startsWith("./") || source.startsWith("../");
}

/** Removes `#`, `//` and block comments, keeping strings (which may contain those characters) intact. */
function stripComments(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; ) {
    const char = text[i]!;
    if (char === '"') {
      const end = stringEnd(text, i);
      out += text.slice(i, end);
      i = end;
    } else if (char === "#" || (char === "/" && text[i + 1] === "/")) {
      while (i < text.length && text[i] !== "\n") i += 1;
    } else if (char === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 2;
    } else {
      out += char;
      i += 1;
    }
  }
  return out;
}

/** The index just past the closing quote of the string opening at `start`. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"' && text[i] !== "\n") i += text[i] === "\\" ? 2 : 1;
  return i + 1;
}

/** The text from `start` to the brace closing the block opened just before it. */
function blockBody(text: string, start: number): string {
  let depth = 1;
  for (let i = start; i < text.length; i += 1) {
    const char = text[i]!;
    if (char === '"') i = stringEnd(text, i) - 1;
    else if (char === "{") depth += 1;
    else if (char === "}" && --depth === 0) return text.slice(start, i);
  }
  return text.slice(start);
}

/** The block body with nested blocks and objects blanked out, so only its own attributes remain. */
function topLevel(body: string): string {
  let depth = 0;
  let out = "";
  for (let i = 0; i < body.length; i += 1) {
    const char = body[i]!;
    if (char === '"') {
      const end = stringEnd(body, i);
      if (depth === 0) out += body.slice(i, end);
      i = end - 1;
    } else if (char === "{") depth += 1;
    else if (char === "}") depth -= 1;
    else if (depth === 0 || char === "\n") out += char;
  }
  return out;
}
