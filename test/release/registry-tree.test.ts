import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { rewriteModuleSource, rewriteRepositoryLinks } from "../../scripts/release/registry-tree.js";
import { REPO_ROOT } from "../helpers/paths.js";

// examples/terraform/environments: two roots that must call the same module source (and, in a release's
// registry tree, the same version) while differing in size. terraform validate of both runs in
// test/terraform/module.test.ts and, on the registry tree, in test/release/release.test.ts.

const read = (env: string) => readFileSync(join(REPO_ROOT, "examples", "terraform", "environments", env, "main.tf"), "utf8");
/** The source and version lines of the `module "runners"` block. */
const moduleSource = (hcl: string) => {
  const block = /^module "runners" \{\n([\s\S]*?)^\}/m.exec(hcl)?.[1] ?? "";
  return [...block.matchAll(/^\s*(source|version)\s*=\s*"([^"]+)"/gm)].map((m) => `${m[1]}=${m[2]}`);
};
const number = (hcl: string, name: string) => Number(new RegExp(`^\\s*${name}\\s*=\\s*(\\d+)`, "m").exec(hcl)?.[1]);

describe("examples/terraform/environments", () => {
  const [dev, prod] = [read("dev"), read("prod")];

  it("calls one module source from dev and prod, and one registry version after a release's rewrite", () => {
    expect(moduleSource(dev)).toEqual(["source=../../../../modules-out/terraform-aws-self-runners"]);
    expect(moduleSource(prod)).toEqual(moduleSource(dev));
    const released = (hcl: string) => moduleSource(rewriteModuleSource(hcl, "acme", "1.2.0", "main.tf"));
    expect(released(dev)).toEqual(["source=acme/self-runners/aws", "version=1.2.0"]);
    expect(released(prod)).toEqual(released(dev));
  });

  it("sizes prod larger than dev and keeps its logs longer", () => {
    expect(number(prod, "max_runners_total")).toBeGreaterThan(number(dev, "max_runners_total"));
    expect(number(prod, "log_retention_days")).toBeGreaterThan(number(dev, "log_retention_days"));
    expect(prod).toMatch(/prefix\s*=\s*"runners-prod"/);
    expect(dev).toMatch(/prefix\s*=\s*"runners-dev"/);
  });
});

describe("rewriting the module source", () => {
  it("fails when a file has no local module source to rewrite", () => {
    expect(() => rewriteModuleSource('module "x" {\n  source = "terraform-aws-modules/vpc/aws"\n}\n', "acme", "1.0.0", "x.tf")).toThrow(/x\.tf: no source/);
  });
});

describe("the tree README's links into the repository", () => {
  const readme = "emitted from the [self-runners](../../README.md) constructs; see [security](../../docs/security.md#keys).";

  it("point at the source repository at the released commit", () => {
    expect(rewriteRepositoryLinks(readme, { url: "https://github.com/acme/self-runners", commit: "c0ffee" })).toBe(
      "emitted from the [self-runners](https://github.com/acme/self-runners/blob/c0ffee/README.md) constructs; see [security](https://github.com/acme/self-runners/blob/c0ffee/docs/security.md#keys).",
    );
  });

  it("become plain text when the repository's address is unknown", () => {
    expect(rewriteRepositoryLinks(readme, undefined)).toBe("emitted from the self-runners constructs; see security.");
  });
});
