import { describe, expect, it } from "vitest";
import { Placeholders, protectAttributes, protectValue, renderCondition, renderLifecycle, stripMetadata } from "../../stacks/emit/placeholders.js";

const str = (value: string) => ({ value, isBlock: false, type: "simple", storageClassType: "string" });

describe("stripMetadata", () => {
  it("removes // at every level and keeps everything else", () => {
    const input = { "//": { metadata: { path: "s/q" } }, a: [{ "//": 1, b: 2 }], c: { d: { "//": "x", e: null } } };
    expect(stripMetadata(input)).toEqual({ a: [{ b: 2 }], c: { d: { e: null } } });
  });
});

describe("Placeholders", () => {
  it.each([
    ["template, quoted", "template", "${var.x}", (p: string) => `a = "${p}"`, "a = var.x"],
    ["template with quotes and ${, quoted", "template", 'say "hi" ${var.x}', (p: string) => `a = "${p}"`, 'a = "say \\"hi\\" ${var.x}"'],
    ["template, bare (cdktf meant an expression)", "template", "5", (p: string) => `a = ${p}`, "a = 5"],
    ["template with ${, bare", "template", "${a}-${b}", (p: string) => `a = ${p}`, 'a = "${a}-${b}"'],
    ["raw reference, quoted", "raw", "aws_sqs_queue.dlq", (p: string) => `[ "${p}" ]`, "[ aws_sqs_queue.dlq ]"],
    ["raw interpolation, quoted", "raw", "${aws_sqs_queue.dlq}", (p: string) => `[ "${p}" ]`, "[ aws_sqs_queue.dlq ]"],
    ["key, bare", "key", "self-runners:pool", (p: string) => `{ ${p} = 1 }`, '{ "self-runners:pool" = 1 }'],
  ] as const)("restores a %s", (_name, kind, source, write, expected) => {
    const table = new Placeholders();
    const placeholder = table.add(kind, source);
    expect(table.restore(write(placeholder))).toBe(expected);
  });

  it("restores a block written as an attribute", () => {
    const table = new Placeholders();
    const placeholder = table.addBlock("lifecycle {\nprevent_destroy = true\n}");
    expect(table.restore(`x = 1\nlifecycle = "${placeholder}"`)).toBe("x = 1\nlifecycle {\nprevent_destroy = true\n}");
  });

  it("fails when a string already holds the placeholder marker", () => {
    expect(() => new Placeholders().add("template", "__SRPH_0__")).toThrow(/placeholder/);
  });
});

describe("protectValue", () => {
  it("swaps wrapped values and map keys but keeps cdktf's wrapper metadata", () => {
    const table = new Placeholders();
    const wrapped = { value: { "self-runners:pool": "${each.key}", Name: "n" }, isBlock: false, type: "map", storageClassType: "stringMap" };
    const out = protectValue(wrapped, table) as typeof wrapped;
    expect(out.type).toBe("map");
    expect(out.storageClassType).toBe("stringMap");
    expect(Object.keys(out.value)).toEqual(["__SRPH_0__", "Name"]);
    expect(Object.values(out.value)).toEqual(["${__SRPH_1__}", "__SRPH_2__"]);
  });
});

describe("protectValue on scalar lists", () => {
  it.each([
    ["a string list", { value: ["arm64", "${var.arch}"], isBlock: false, type: "list", storageClassType: "stringList" }, '["arm64", var.arch]'],
    ["a number set", { value: [1, 2], isBlock: false, type: "set", storageClassType: "numberList" }, "[1, 2]"],
  ])("writes %s on one line", (_name, wrapper, hcl) => {
    const table = new Placeholders();
    const out = protectValue(wrapper, table) as { value: string };
    expect(table.restore(`a = "${out.value}"`)).toBe(`a = ${hcl}`);
  });

  it("leaves lists of blocks to cdktf", () => {
    const wrapper = { value: [{ a: str("x") }], isBlock: true, type: "list", storageClassType: "FooList" };
    const out = protectValue(wrapper, new Placeholders()) as { value: unknown[] };
    expect(Array.isArray(out.value)).toBe(true);
  });
});

describe("protectAttributes", () => {
  it("orders meta-arguments: count/for_each first, depends_on and lifecycle last", () => {
    const table = new Placeholders();
    const out = protectAttributes(
      { name: str("q"), depends_on: ["aws_sqs_queue.dlq"], lifecycle: { ignore_changes: ["value"] }, for_each: "${var.pools}", "//": {} },
      table,
    );
    expect(Object.keys(out)).toEqual(["for_each", "name", "depends_on", "lifecycle"]);
    expect(table.restore(`depends_on = "${out.depends_on as string}"`)).toBe("\ndepends_on = [aws_sqs_queue.dlq]");
    expect(table.restore(`for_each = "${out.for_each as string}"`)).toBe("for_each = var.pools\n");
  });

  it("fails when a resource picks a provider configuration", () => {
    expect(() => protectAttributes({ provider: "aws.east" }, new Placeholders())).toThrow(/cannot choose a provider/);
  });
});

describe("renderLifecycle", () => {
  it.each([
    ["ignore_changes references", { ignore_changes: ["value", "tags[\"x\"]"] }, 'lifecycle {\nignore_changes = [value, tags["x"]]\n}'],
    ["ignore_changes = all", { ignore_changes: "all" }, "lifecycle {\nignore_changes = all\n}"],
    ["flags", { create_before_destroy: true, prevent_destroy: false }, "lifecycle {\ncreate_before_destroy = true\nprevent_destroy = false\n}"],
    ["replace_triggered_by", { replace_triggered_by: ["${aws_sqs_queue.a.id}"] }, "lifecycle {\nreplace_triggered_by = [aws_sqs_queue.a.id]\n}"],
    [
      "pre- and postconditions as blocks",
      { precondition: [{ condition: "${var.n > 0}", error_message: "n must be positive" }], postcondition: [{ condition: "${self.arn != \"\"}", error_message: "no arn" }] },
      'lifecycle {\nprecondition {\ncondition = var.n > 0\nerror_message = "n must be positive"\n}\npostcondition {\ncondition = self.arn != ""\nerror_message = "no arn"\n}\n}',
    ],
  ])("renders %s", (_name, lifecycle, hcl) => {
    expect(renderLifecycle(lifecycle)).toBe(hcl);
  });
});

describe("renderCondition", () => {
  it("accepts cdktf's camelCase errorMessage", () => {
    expect(renderCondition("validation", { condition: "${length(var.x) > 0}", errorMessage: 'x must not be "" (empty)' })).toBe(
      'validation {\ncondition = length(var.x) > 0\nerror_message = "x must not be \\"\\" (empty)"\n}',
    );
  });
});
