import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/paths.js";

// Every relative link in the README and docs/ must point to a file that exists and, for `#anchor`,
// to a heading of that file. External links (http, mailto) are not fetched: the tests run offline.

const DOCS = ["README.md", ...readdirSync(join(REPO_ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** Markdown text without fenced code blocks, so examples inside them are not read as links or headings. */
function withoutCodeBlocks(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
}

/**
 * GitHub's anchor for a heading: lower case, punctuation removed, each space a hyphen, a suffix
 * -1, -2... for repeats. Written here because no slugger is among the dependencies (github-slugger
 * does the same).
 */
function headingAnchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, text] of withoutCodeBlocks(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const rendered = text!.replace(/\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/`/g, "");
    const base = rendered.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "").replace(/ /g, "-");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  for (const [, name] of markdown.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) anchors.add(name!);
  return anchors;
}

/** Targets of inline links `[text](target)` outside code blocks and code spans. */
function linkTargets(markdown: string): string[] {
  const text = withoutCodeBlocks(markdown).replace(/`[^`\n]*`/g, "");
  return [...text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!);
}

interface Link {
  readonly from: string;
  readonly target: string;
}

function relativeLinks(): Link[] {
  return DOCS.flatMap((from) =>
    linkTargets(readFileSync(join(REPO_ROOT, from), "utf8"))
      .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target))
      .map((target) => ({ from, target })),
  );
}

/** Why a link is broken, or undefined when it resolves. */
function problem(link: Link): string | undefined {
  const [pathPart, anchor] = link.target.split("#", 2) as [string, string | undefined];
  const file = pathPart === "" ? join(REPO_ROOT, link.from) : join(REPO_ROOT, dirname(link.from), decodeURI(pathPart));
  if (!existsSync(file)) return `${relative(REPO_ROOT, file)} does not exist`;
  if (anchor === undefined) return undefined;
  if (statSync(file).isDirectory() || !file.endsWith(".md")) return `#${anchor} points into ${relative(REPO_ROOT, file)}, which has no headings`;
  const anchors = headingAnchors(readFileSync(file, "utf8"));
  return anchors.has(anchor) ? undefined : `${relative(REPO_ROOT, file)} has no heading #${anchor}`;
}

describe("links in README.md and docs/", () => {
  it("derives GitHub's heading anchors", () => {
    const anchors = headingAnchors(
      ["# Cost: NAT Gateway vs. NAT instances", "## Queue message (webhook -> scale-up)", "### `terraform` tests", "## Tiers", "## Tiers", "```", "# not a heading", "```"].join("\n"),
    );
    expect([...anchors]).toEqual(["cost-nat-gateway-vs-nat-instances", "queue-message-webhook---scale-up", "terraform-tests", "tiers", "tiers-1"]);
  });

  it("reports a missing file and a missing heading", () => {
    expect(problem({ from: "README.md", target: "docs/no-such-page.md" })).toBe("docs/no-such-page.md does not exist");
    expect(problem({ from: "README.md", target: "docs/testing.md#no-such-heading" })).toBe("docs/testing.md has no heading #no-such-heading");
  });

  it("points every relative link to an existing file and heading", () => {
    const links = relativeLinks();
    // The README links to every docs page, several of them by heading.
    expect(links.filter((l) => l.from === "README.md" && l.target.startsWith("docs/")).length).toBeGreaterThanOrEqual(DOCS.length - 1);
    expect(links.some((l) => l.target.includes("#"))).toBe(true);
    const broken = links.flatMap((link) => {
      const why = problem(link);
      return why === undefined ? [] : [`${link.from}: (${link.target}) ${why}`];
    });
    expect(broken).toEqual([]);
  });
});
