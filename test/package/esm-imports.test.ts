import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/paths.js";

/** `line: specifier` for every import or re-export in `source` of a package subpath that names no file. */
function subpathsWithoutFile(source: string): string[] {
  return source.split("\n").flatMap((line, index) => {
    const specifier = /^\s*(?:import|export)\b.*\bfrom\s+"([^"]+)"/.exec(line)?.[1];
    // Relative imports, node: builtins and bare package names resolve under Node ESM as written.
    if (specifier === undefined || specifier.startsWith(".") || specifier.startsWith("node:")) return [];
    const subpath = specifier.split("/").slice(specifier.startsWith("@") ? 2 : 1).join("/");
    return subpath === "" || subpath.endsWith(".js") ? [] : [`${index + 1}: ${specifier}`];
  });
}

function sourcesOf(folder: string): Array<{ file: string; source: string }> {
  return readdirSync(join(REPO_ROOT, folder), { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts"))
    .map((file) => ({ file: `${folder}/${file}`, source: readFileSync(join(REPO_ROOT, folder, file), "utf8") }));
}

// The package runs as plain Node ESM (no bundler): a deep import into a package without an
// `exports` map, such as @cdktf/provider-aws/lib/<resource>, must name the file (<resource>/index.js).
// tsc -p tsconfig.package.json refuses it too, but only the slow pack test runs that.
describe("imports the npm package runs under Node ESM", () => {
  it("names the file of every package subpath in stacks/ and contracts/", () => {
    const found = [...sourcesOf("stacks"), ...sourcesOf("contracts")].flatMap(({ file, source }) => subpathsWithoutFile(source).map((hit) => `${file}:${hit}`));
    expect(found, "write the file, e.g. @cdktf/provider-aws/lib/sqs-queue/index.js").toEqual([]);
  });

  it("fails on a provider deep import without its file, not on packages, builtins or relative paths", () => {
    const source = [
      'import { Construct } from "constructs";',
      'import { join } from "node:path";',
      'import { Fn } from "./cdktf.js";',
      'export { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue/index.js";',
      'export { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";',
    ].join("\n");
    expect(subpathsWithoutFile(source)).toEqual(["5: @cdktf/provider-aws/lib/sns-topic"]);
  });
});
