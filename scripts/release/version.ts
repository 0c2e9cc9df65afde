/**
 * Which versions may be released: a semantic version (semver.org 2.0.0) that has its own section in
 * CHANGELOG.md. Written by hand because `semver` is not among our dependencies and the rule is the
 * one regular expression semver.org publishes.
 */

// semver.org's suggested expression (numbered groups), anchored; no leading "v".
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** Raised when a release is refused; the message says why and what to do. */
export class ReleaseRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReleaseRefused";
  }
}

export function isSemver(version: string): boolean {
  return SEMVER.test(version);
}

/**
 * The notes of `version` in a Keep a Changelog file: the lines under `## [X.Y.Z]` (optionally
 * followed by ` - date`) up to the next `## ` heading; undefined when there is no such section.
 */
export function changelogSection(changelog: string, version: string): string | undefined {
  const lines = changelog.split("\n");
  const escaped = version.replace(/[.+]/g, "\\$&");
  const start = lines.findIndex((line) => new RegExp(`^## \\[${escaped}\\](\\s+-\\s+\\d{4}-\\d{2}-\\d{2})?\\s*$`).test(line));
  if (start < 0) return undefined;
  const end = lines.findIndex((line, i) => i > start && line.startsWith("## "));
  return lines
    .slice(start + 1, end < 0 ? undefined : end)
    .join("\n")
    .trim();
}

/** Throws {@link ReleaseRefused} unless `version` is semantic and CHANGELOG.md has a non-empty section for it. */
export function checkReleasable(version: string | undefined, changelog: string): string {
  if (!version) throw new ReleaseRefused("missing --version X.Y.Z");
  if (!isSemver(version)) {
    throw new ReleaseRefused(`--version ${version} is not a semantic version (X.Y.Z, optionally -pre.release or +build, no leading "v"; https://semver.org)`);
  }
  const notes = changelogSection(changelog, version);
  if (notes === undefined) {
    throw new ReleaseRefused(`CHANGELOG.md has no "## [${version}] - YYYY-MM-DD" section: move the Unreleased entries under it first (docs/releasing.md)`);
  }
  if (notes === "") throw new ReleaseRefused(`CHANGELOG.md's section for ${version} is empty: say what changed`);
  return notes;
}
