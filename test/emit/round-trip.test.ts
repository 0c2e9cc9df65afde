/**
 * Round trip through Terraform itself: strings generated with fast-check (from an alphabet of the
 * characters that matter: `$`, `%`, braces, quotes, backslashes, line breaks, heredoc markers) are
 * printed as literals (variable defaults, object keys) and as templates (locals, with and without an
 * interpolation), then `terraform apply` of a provider-less module evaluates them and the outputs
 * must equal the strings. The printed module must also be left unchanged by `terraform fmt` apart
 * from layout, and validate.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { attribute, block, literal, printFile, raw, template, type Block } from "../../stacks/emit/hcl.js";
import { expectSuccess, runTerraform, tempDir } from "../helpers/terraform.js";

const ALPHABET = ["$", "%", "{", "}", '"', "\\", "\n", "\r", "\t", "~", "a", " ", "EOT", "<<", "\u0001", "é", "😀"];
const FIXED = ["", "${x}", "$${x}", "%{ if true }", "%%{", "$$${", "a\n", "EOT\n", "\n\n", "x\\n", "\\", '"', "}\n${"];
const STRINGS = [...FIXED, ...fc.sample(fc.array(fc.constantFrom(...ALPHABET), { maxLength: 12 }).map((parts) => parts.join("")), { numRuns: 80, seed: 10 })];

/** Splits between code points (never inside a surrogate pair). */
function halves(text: string): [string, string] {
  const points = Array.from(text);
  const half = Math.floor(points.length / 2);
  return [points.slice(0, half).join(""), points.slice(half).join("")];
}

/** Template source whose value is `text`. */
const escapeTemplate = (text: string) => text.replace(/([$%])\{/g, "$1$1{");
/** The same for text right before an interpolation: final `$`s would make `$${`, which HCL reads as an escape. */
const escapeBefore = (text: string) => escapeTemplate(text).replace(/([$%]+)$/, '${"$1"}');

function moduleFor(strings: readonly string[]): Block[] {
  const blocks: Block[] = [];
  const locals = [attribute("k", literal("K"))];
  const values: string[] = [];
  strings.forEach((text, i) => {
    const [head, tail] = halves(text);
    blocks.push(block("variable", [`v${i}`], [attribute("type", raw("string")), attribute("default", literal(text))]));
    blocks.push(
      block("variable", [`k${i}`], [attribute("type", raw("map(number)")), attribute("default", { kind: "object", entries: [[text, literal(1)]], literalKeys: true })]),
    );
    locals.push(attribute(`t${i}`, template(escapeTemplate(text))));
    locals.push(attribute(`u${i}`, template(`${escapeBefore(head)}\${local.k}${escapeTemplate(tail)}`)));
    locals.push(attribute(`o${i}`, { kind: "object", entries: [[escapeTemplate(text), literal(1)]] }));
    values.push(`[var.v${i}, local.t${i}, local.u${i}, keys(var.k${i})[0], keys(local.o${i})[0]]`);
  });
  blocks.push(block("locals", [], locals));
  blocks.push(block("output", ["values"], [attribute("value", raw(`[${values.join(", ")}]`))]));
  return blocks;
}

describe("printed strings read back through terraform", () => {
  const scratch = tempDir("round-trip");
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it("keep their exact value as literals and as templates", async () => {
    // Object keys must be unique, so duplicates are dropped.
    const strings = [...new Set(STRINGS)];
    const printed = printFile(moduleFor(strings));
    fs.writeFileSync(path.join(scratch, "main.tf"), printed);

    const fmt = expectSuccess(await runTerraform(["fmt", "-list=false", "."], scratch, { providers: false }), "fmt", scratch);
    expect(fmt.code).toBe(0);
    // fmt only re-indents and aligns: the text without layout whitespace is the same.
    const layoutless = (text: string) => text.replace(/^[ \t]+/gm, "").replace(/[ \t]+=/g, " =");
    expect(layoutless(fs.readFileSync(path.join(scratch, "main.tf"), "utf8"))).toBe(layoutless(printed));

    expectSuccess(await runTerraform(["init", "-backend=false"], scratch, { providers: false }), "init", scratch);
    expectSuccess(await runTerraform(["validate"], scratch, { providers: false }), "validate", scratch);
    expectSuccess(await runTerraform(["apply", "-auto-approve"], scratch, { providers: false }), "apply", scratch);
    const output = expectSuccess(await runTerraform(["output", "-json", "values"], scratch, { providers: false }), "output", scratch);
    const values = JSON.parse(output.stdout) as string[][];
    strings.forEach((text, i) => {
      const [head, tail] = halves(text);
      expect(values[i], JSON.stringify(text)).toEqual([text, text, `${head}K${tail}`, text, text]);
    });
  }, 300_000);
});
