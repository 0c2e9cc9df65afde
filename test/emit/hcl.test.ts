import { describe, expect, it } from "vitest";
import { attribute, block, comment, literal, printExpression, printFile, printLiteral, raw, template, type Expression } from "../../stacks/emit/hcl.js";

describe("printLiteral", () => {
  it.each([
    ["null", null, "null"],
    ["false", false, "false"],
    ["zero", 0, "0"],
    ["a numeric string (stays a string)", "5", '"5"'],
    ["an interpolation (escaped, stays text)", "a ${b} c", '"a $${b} c"'],
    ["a directive (escaped, stays text)", "%{ if x }", '"%%{ if x }"'],
    ["dollars and percents without a brace", "$5 and 100%", '"$5 and 100%"'],
    ["quotes, backslashes and line breaks", 'a"b\\c\nd\te', '"a\\"b\\\\c\\nd\\te"'],
  ])("writes %s", (_name, value, hcl) => {
    expect(printLiteral(value)).toBe(hcl);
  });

  it("fails on a number HCL cannot write", () => {
    expect(() => printLiteral(Number.NaN)).toThrow(/cannot write the number/);
  });
});

describe("printExpression", () => {
  it.each<[string, Expression, string]>([
    ["a template holding one interpolation (the bare expression)", template("${var.pools}"), "var.pools"],
    ["a template with text around an interpolation (quoted, kept verbatim)", template('x-${each.key}."q"'), '"x-${each.key}.\\"q\\""'],
    ["a template's escaped interpolation (kept escaped)", template("arn:$${aws:username}"), '"arn:$${aws:username}"'],
    ["a multi-line template ending in a newline (a heredoc)", template("line ${var.a}\nline \\ 2\n"), "<<EOT\nline ${var.a}\nline \\ 2\nEOT"],
    ["a heredoc whose content holds the marker", template("EOT\nx\n"), "<<EOT1\nEOT\nx\nEOT1"],
    ["a multi-line template without a final newline (quoted)", template("a\nb"), '"a\\nb"'],
    ["raw syntax", raw("list(string)"), "list(string)"],
    ["an empty tuple", { kind: "tuple", items: [] }, "[]"],
    ["a tuple of scalars (one line)", { kind: "tuple", items: [literal("a"), literal(1), raw("var.x")] }, '["a", 1, var.x]'],
    ["a tuple holding a heredoc (comma after the marker line)", { kind: "tuple", items: [template("x\n")] }, "[\n<<EOT\nx\nEOT\n,\n]"],
    ["an empty object", { kind: "object", entries: [] }, "{}"],
    [
      "an object (plain keys bare, others quoted)",
      { kind: "object", entries: [["myKey", literal(1)], ["self-runners:pool", template("${each.key}")], ["for", literal(2)], ["1st", literal(3)]] },
      '{\nmyKey = 1\n"self-runners:pool" = each.key\n"for" = 2\n"1st" = 3\n}',
    ],
    ["an object with literal keys (escaped)", { kind: "object", entries: [["${x}", literal(1)]], literalKeys: true }, '{\n"$${x}" = 1\n}'],
    ["an object with template keys (kept)", { kind: "object", entries: [["${x}", literal(1)]] }, '{\n"${x}" = 1\n}'],
  ])("writes %s", (_name, expression, hcl) => {
    expect(printExpression(expression)).toBe(hcl);
  });
});

describe("printFile", () => {
  it("separates top-level blocks by a blank line and keeps a banner on the block it introduces", () => {
    const text = printFile([
      comment("---------- Networking ----------"),
      block("variable", ["vpc_id"], [attribute("type", raw("string"))]),
      block("data", ["aws_region", "current"], []),
    ]);
    expect(text).toBe('# ---------- Networking ----------\nvariable "vpc_id" {\n  type = string\n}\n\ndata "aws_region" "current" {}\n');
  });

  it("puts a blank line before nested blocks", () => {
    const text = printFile([
      block("resource", ["aws_launch_template", "runner"], [
        attribute("name", literal("r")),
        block("metadata_options", [], [attribute("http_tokens", literal("required"))]),
        block("tag_specifications", [], [attribute("resource_type", literal("volume"))]),
      ]),
    ]);
    expect(text).toBe(
      [
        'resource "aws_launch_template" "runner" {',
        '  name = "r"',
        "",
        "  metadata_options {",
        '    http_tokens = "required"',
        "  }",
        "",
        "  tag_specifications {",
        '    resource_type = "volume"',
        "  }",
        "}",
        "",
      ].join("\n"),
    );
  });

  it("writes nothing for no items", () => {
    expect(printFile([])).toBe("");
  });

  it.each([
    ["an attribute name", [attribute("not valid", literal(1))]],
    ["a block type", [block("a.b", [], [])]],
  ])("fails when %s is not an HCL name", (_name, items) => {
    expect(() => printFile(items)).toThrow(/not a valid HCL attribute or block name/);
  });
});
