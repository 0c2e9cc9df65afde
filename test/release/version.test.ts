import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ReleaseRefused, changelogSection, checkReleasable, isSemver } from "../../scripts/release/version.js";
import { REPO_ROOT } from "../helpers/paths.js";

const CHANGELOG = ["# Changelog", "", "## [Unreleased]", "", "- next", "", "## [1.2.0] - 2027-01-31", "", "### Fixed", "- a fix", "", "## [1.1.0] - 2026-12-24", "", ""].join("\n");

describe("semantic versions", () => {
  it.each(["0.1.0", "1.0.0", "10.20.30", "1.0.0-rc.1", "1.0.0-alpha.beta+exp.sha.5114f85", "2.0.0+build.7"])("accepts %s", (v) => {
    expect(isSemver(v)).toBe(true);
  });

  it.each(["1.2", "v1.2.3", "01.2.3", "1.2.3-", "1.2.3-01", "1.2.3.4", "", "latest"])("refuses %j", (v) => {
    expect(isSemver(v)).toBe(false);
  });
});

describe("the changelog rule", () => {
  it("reads the notes of one version up to the next section", () => {
    expect(changelogSection(CHANGELOG, "1.2.0")).toBe("### Fixed\n- a fix");
  });

  it("returns the notes when the version is releasable", () => {
    expect(checkReleasable("1.2.0", CHANGELOG)).toContain("a fix");
  });

  it("fails when the version has no section, naming the heading to add", () => {
    expect(() => checkReleasable("1.3.0", CHANGELOG)).toThrow(/no "## \[1\.3\.0\] - YYYY-MM-DD" section/);
  });

  it("fails when the section is empty", () => {
    expect(() => checkReleasable("1.1.0", CHANGELOG)).toThrow(/section for 1\.1\.0 is empty/);
  });

  it("fails when the version is not semantic or missing", () => {
    expect(() => checkReleasable("v1.2.0", CHANGELOG)).toThrow(ReleaseRefused);
    expect(() => checkReleasable(undefined, CHANGELOG)).toThrow(/missing --version/);
  });

  it("does not take a version's prefix for the version (1.2.0 is not 1.2.0-rc.1)", () => {
    expect(changelogSection(CHANGELOG, "1.2.0-rc.1")).toBeUndefined();
  });

  it("keeps CHANGELOG.md in Keep a Changelog's shape: Unreleased first, then semantic versions with dates, newest first", () => {
    const changelog = readFileSync(join(REPO_ROOT, "CHANGELOG.md"), "utf8");
    const headings = [...changelog.matchAll(/^## (.*)$/gm)].map((m) => m[1]!);
    expect(headings[0]).toBe("[Unreleased]");
    const released = headings.slice(1).map((h) => /^\[([^\]]+)\] - (\d{4}-\d{2}-\d{2})$/.exec(h));
    expect(released.every((m) => m !== null && isSemver(m[1]!)), headings.join(" | ")).toBe(true);
    const dates = released.map((m) => m![2]!);
    expect([...dates].sort().reverse()).toEqual(dates);
  });

  it("finds 0.1.0 in the repository's CHANGELOG.md, under an Unreleased section", () => {
    const changelog = readFileSync(join(REPO_ROOT, "CHANGELOG.md"), "utf8");
    expect(changelog).toMatch(/^## \[Unreleased\]$/m);
    expect(checkReleasable("0.1.0", changelog)).toMatch(/### Added/);
  });
});
