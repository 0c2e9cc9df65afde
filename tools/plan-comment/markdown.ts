/** Markdown that no user text can break: inline text as HTML entities, code in fences longer than any backtick run inside. */

const ENTITY: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
};

/**
 * Text for inline Markdown or HTML (a summary, a list item): HTML-special characters become entities and
 * Markdown punctuation becomes numeric references, so a resource key like `a*b` or `` ` `` renders as typed
 * (underscores stay: inside words, as in addresses, GitHub never reads them as emphasis; brackets stay
 * readable for instance keys, and the escaped `(` is what turns `[text](url)` into plain text).
 */
export function inline(text: string): string {
  return text.replace(/[&<>"`*(|~\\]/g, (char) => ENTITY[char] ?? `&#${char.charCodeAt(0)};`).replace(/\r?\n/g, " ");
}

/** Inline code for a name or address. */
export function code(text: string): string {
  return `<code>${inline(text)}</code>`;
}

/** A fenced block that `content` cannot close: the fence is longer than the longest backtick run inside. */
export function fenced(content: string, language = ""): string {
  const longest = Math.max(0, ...[...content.matchAll(/`+/g)].map((match) => match[0].length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}${language}\n${content}\n${fence}`;
}

/** A collapsible section; `summary` must already be inline-safe. */
export function details(summary: string, body: string, open = false): string {
  return `<details${open ? " open" : ""}><summary>${summary}</summary>\n\n${body}\n\n</details>`;
}

/** Prefixes every line with `> ` (a GitHub alert or quote). */
export function quote(text: string): string {
  return text
    .split("\n")
    .map((line) => (line === "" ? ">" : `> ${line}`))
    .join("\n");
}
