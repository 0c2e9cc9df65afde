import { describe, expect, it } from "vitest";
import { renderInline, renderKey, renderValue } from "../../stacks/emit/hcl-value.js";

describe("renderValue", () => {
  it.each([
    ["null", null, "null"],
    ["false", false, "false"],
    ["zero", 0, "0"],
    ["an empty string", "", '""'],
    ["a numeric string (stays a string)", "5", '"5"'],
    ["a string starting with [", "[x", '"[x"'],
    ["backslashes and quotes", 'a"b\\c', '"a\\"b\\\\c"'],
    ["an interpolation-only string", "${var.x}", "var.x"],
    ["a scalar list", ["a", 1, true, null], '["a", 1, true, null]'],
    ["an empty list", [], "[]"],
    ["an empty object", {}, "{}"],
    ["an object (keys kept as written, quoted when needed)", { myKey: 1, "self-runners:pool": "p", "1st": 2, for: 3 }, '{\nmyKey = 1\n"self-runners:pool" = "p"\n"1st" = 2\n"for" = 3\n}'],
    ["a list of objects", [{ a: 1 }], "[\n{\na = 1\n},\n]"],
    ["a list holding a heredoc", ["x\n"], "[\n<<EOT\nx\nEOT\n,\n]"],
    ["undefined object members (dropped)", { a: undefined, b: 1 }, "{\nb = 1\n}"],
  ])("renders %s", (_name, value, hcl) => {
    expect(renderValue(value)).toBe(hcl);
  });

  it.each([
    ["Infinity", Number.POSITIVE_INFINITY],
    ["a function", () => 1],
    ["a class instance", new Date(0)],
  ])("fails when given %s", (_name, value) => {
    expect(() => renderValue(value)).toThrow(/cannot write/);
  });
});

describe("renderInline", () => {
  it.each([
    [{ linux: { labels: ["linux", "x64"], max_runners: 5 } }, '{ linux = { labels = ["linux", "x64"], max_runners = 5 } }'],
    [[], "[]"],
    ["multi\nline\n", '"multi\\nline\\n"'],
    [{}, "{}"],
  ])("renders %j on one line", (value, hcl) => {
    expect(renderInline(value)).toBe(hcl);
  });
});

describe("renderKey", () => {
  it.each([
    ["name", "name"],
    ["b-c", "b-c"],
    ["_x", "_x"],
    ["null", '"null"'],
    ["a.b", '"a.b"'],
    ['q"k', '"q\\"k"'],
    ["", '""'],
  ])("renders key %j", (key, hcl) => {
    expect(renderKey(key)).toBe(hcl);
  });
});
