import { describe, expect, it } from "vitest";
import { escapeLiteral, heredoc, quoteTemplate, renderString, splitTemplate, unwrapInterpolation } from "../../stacks/emit/template.js";

describe("splitTemplate", () => {
  it.each([
    ["plain text", [{ kind: "literal", text: "plain text" }]],
    ["x-${each.key}.fifo", [{ kind: "literal", text: "x-" }, { kind: "interpolation", text: "${each.key}", inner: "each.key" }, { kind: "literal", text: ".fifo" }]],
    ["$${aws:username}", [{ kind: "literal", text: "$${aws:username}" }]],
    ["%%{not a directive}", [{ kind: "literal", text: "%%{not a directive}" }]],
    ["a%{ if x }b%{ endif }", [
      { kind: "literal", text: "a" },
      { kind: "directive", text: "%{ if x }", inner: " if x " },
      { kind: "literal", text: "b" },
      { kind: "directive", text: "%{ endif }", inner: " endif " },
    ]],
    ["${{ for k, v in x : k => v }}", [{ kind: "interpolation", text: "${{ for k, v in x : k => v }}", inner: "{ for k, v in x : k => v }" }]],
    ['${lookup(m, "}")}', [{ kind: "interpolation", text: '${lookup(m, "}")}', inner: 'lookup(m, "}")' }]],
    ['${format("%s \\" }", x)}', [{ kind: "interpolation", text: '${format("%s \\" }", x)}', inner: 'format("%s \\" }", x)' }]],
    ['${jsonencode({ "a" = "${var.b}-}" })}', [{ kind: "interpolation", text: '${jsonencode({ "a" = "${var.b}-}" })}', inner: 'jsonencode({ "a" = "${var.b}-}" })' }]],
    ["${trimspace(<<EOT\n}\nEOT\n)}", [{ kind: "interpolation", text: "${trimspace(<<EOT\n}\nEOT\n)}", inner: "trimspace(<<EOT\n}\nEOT\n)" }]],
    ["cost: $5 and 100%", [{ kind: "literal", text: "cost: $5 and 100%" }]],
  ])("splits %j", (source, parts) => {
    expect(splitTemplate(source)).toEqual(parts);
  });

  it.each(["${var.x", 'x ${f("}) y', "%{ if x "])("fails when %j is unterminated", (source) => {
    expect(() => splitTemplate(source)).toThrow(/unterminated/);
  });
});

describe("unwrapInterpolation", () => {
  it.each([
    ["${var.pools}", "var.pools"],
    ["${ var.pools }", "var.pools"],
    ["${~ var.pools ~}", "var.pools"],
    ['${jsonencode({"a" = "b"})}', 'jsonencode({"a" = "b"})'],
    ["${{ for k, v in x : k => v }}", "{ for k, v in x : k => v }"],
    ['${var.enabled ? "a" : "b"}', 'var.enabled ? "a" : "b"'],
    ['${jsonencode({"R" = "arn:aws:s3:::b/$${aws:username}"})}', 'jsonencode({"R" = "arn:aws:s3:::b/$${aws:username}"})'],
    ["${a ?\nb : c}", "(\na ?\nb : c\n)"],
  ])("unwraps %j", (source, expression) => {
    expect(unwrapInterpolation(source)).toBe(expression);
  });

  it.each([
    ["plain"],
    ["x-${each.key}"],
    ["${a}${b}"],
    ["${a}-"],
    ["$${not.an.interpolation}"],
    ["%{ if a }x%{ endif }"],
    [""],
  ])("leaves %j as a template", (source) => {
    expect(unwrapInterpolation(source)).toBeUndefined();
  });

  it("fails when the interpolation is empty", () => {
    expect(() => unwrapInterpolation("${ }")).toThrow(/empty interpolation/);
  });
});

describe("escapeLiteral", () => {
  it.each([
    ["plain", "plain"],
    ['say "hi"', 'say \\"hi\\"'],
    ["^\\d+$", "^\\\\d+$"],
    ["a\nb\tc\rd", "a\\nb\\tc\\rd"],
    ["bell\u0007", "bell\\u0007"],
    ["$${kept}", "$${kept}"],
    ["ünïcödé ✓", "ünïcödé ✓"],
  ])("escapes %j", (text, escaped) => {
    expect(escapeLiteral(text)).toBe(escaped);
  });
});

describe("quoteTemplate", () => {
  it.each([
    ["", '""'],
    ["x-${each.key}", '"x-${each.key}"'],
    ['say "hi" to ${var.name}', '"say \\"hi\\" to ${var.name}"'],
    ['${format("%q", "a\\"b")}\\', '"${format("%q", "a\\"b")}\\\\"'],
    ["arn:aws:s3:::b/$${aws:username}/*", '"arn:aws:s3:::b/$${aws:username}/*"'],
    ["%{ if var.on }yes%{ else }no%{ endif }", '"%{ if var.on }yes%{ else }no%{ endif }"'],
  ])("quotes %j", (source, hcl) => {
    expect(quoteTemplate(source)).toBe(hcl);
  });
});

describe("renderString", () => {
  it.each([
    ["${var.pools}", "var.pools"],
    ["placeholder", '"placeholder"'],
    ["5", '"5"'],
    ["[not a list", '"[not a list"'],
    ["line1\nline2", '"line1\\nline2"'],
    ["#!/bin/bash\necho \"${var.x}\" \\\n", '<<EOT\n#!/bin/bash\necho "${var.x}" \\\nEOT'],
    // HCL refuses a lone carriage return or other control characters in a heredoc, so these stay quoted.
    ["a\r\nb\n", '"a\\r\\nb\\n"'],
    ["a\u0001\n", '"a\\u0001\\n"'],
  ])("renders %j", (source, hcl) => {
    expect(renderString(source)).toBe(hcl);
  });
});

describe("heredoc", () => {
  it("picks a marker that no line uses", () => {
    expect(heredoc("EOT\nEOT1\n")).toBe("<<EOT2\nEOT\nEOT1\nEOT2");
  });

  it("fails when the content does not end with a newline", () => {
    expect(() => heredoc("no newline")).toThrow(/ending with a newline/);
  });
});
