import { describe, expect, it } from "vitest";
import { renderRawBlock, renderRawDynamic } from "../../stacks/emit/raw-blocks.js";
import { Placeholders, protectAttributes, protectEntry } from "../../stacks/emit/placeholders.js";

const str = (value: string) => ({ value, isBlock: false, type: "simple", storageClassType: "string" });

describe("renderRawBlock", () => {
  it("writes objects as nested blocks, lists of objects as repeated blocks and the rest as attributes", () => {
    const hcl = renderRawBlock("statement", {
      or_statement: { statement: [{ ip_set_reference_statement: { arn: "${aws_wafv2_ip_set.v4[0].arn}" } }, { label_match_statement: { scope: "LABEL", key: "a:b" } }] },
    });
    expect(hcl).toBe(
      [
        "statement {",
        "or_statement {",
        "statement {",
        "ip_set_reference_statement {",
        "arn = aws_wafv2_ip_set.v4[0].arn",
        "}",
        "}",
        "statement {",
        "label_match_statement {",
        'scope = "LABEL"',
        'key = "a:b"',
        "}",
        "}",
        "}",
        "}",
      ].join("\n"),
    );
  });

  it("writes empty objects as empty blocks and scalar lists as attributes", () => {
    expect(renderRawBlock("action_to_use", { count: {} })).toBe("action_to_use {\ncount {}\n}");
    expect(renderRawBlock("geo_match_statement", { country_codes: ["DE", "FR"] })).toBe('geo_match_statement {\ncountry_codes = ["DE", "FR"]\n}');
  });

  it("writes a dynamic key as dynamic blocks", () => {
    const hcl = renderRawBlock("rate_based_statement", {
      limit: 100,
      dynamic: { scope_down_statement: { for_each: "${var.on ? [\"x\"] : []}", content: { not_statement: {} } } },
    });
    expect(hcl).toBe('rate_based_statement {\nlimit = 100\ndynamic "scope_down_statement" {\nfor_each = var.on ? ["x"] : []\ncontent {\nnot_statement {}\n}\n}\n}');
  });

  it("fails when a block is not an object", () => {
    expect(() => renderRawBlock("statement", "x")).toThrow(/block statement must be an object/);
  });
});

describe("renderRawDynamic", () => {
  it("keeps an iterator name other than the block's", () => {
    expect(renderRawDynamic("rule", { for_each: "${var.rules}", iterator: "each", content: { name: "${each.value}" } })).toBe(
      'dynamic "rule" {\nfor_each = var.rules\niterator = each\ncontent {\nname = each.value\n}\n}',
    );
  });

  it("fails when for_each or content is missing", () => {
    expect(() => renderRawDynamic("rule", { content: {} })).toThrow(/needs for_each/);
    expect(() => renderRawDynamic("rule", { for_each: [] })).toThrow(/needs for_each/);
  });
});

describe("untyped content in resources", () => {
  it("renders an attribute typed `any` that holds blocks as blocks", () => {
    const table = new Placeholders();
    const wrapper = { value: { not_statement: { statement: { byte_match_statement: { search_string: "x" } } } }, isBlock: false, type: "simple", storageClassType: "any" };
    const placeholder = protectEntry("statement", wrapper, table) as string;
    expect(table.restore(`statement = "${placeholder}"`)).toBe('statement {\nnot_statement {\nstatement {\nbyte_match_statement {\nsearch_string = "x"\n}\n}\n}\n}');
  });

  it("leaves an attribute typed `any` that holds a reference to cdktf", () => {
    const wrapper = { value: "${var.x}", isBlock: false, type: "simple", storageClassType: "any" };
    expect(protectEntry("statement", wrapper, new Placeholders())).toMatchObject({ storageClassType: "any" });
  });

  it("renders dynamic blocks added as an override next to the static blocks", () => {
    const table = new Placeholders();
    const out = protectAttributes({ name: str("acl"), dynamic: { rule: { for_each: '${var.on ? ["on"] : []}', content: { name: "allowlist", action: { block: {} } } } } }, table);
    expect(Object.keys(out)).toEqual(["name", "__dynamic_rule"]);
    expect(table.restore(`__dynamic_rule = "${out.__dynamic_rule as string}"`)).toBe(
      'dynamic "rule" {\nfor_each = var.on ? ["on"] : []\ncontent {\nname = "allowlist"\naction {\nblock {}\n}\n}\n}',
    );
  });

  it("renders a cdktf iterator's dynamic block with its content as blocks", () => {
    const table = new Placeholders();
    const wrapper = { dynamic: { value: { for_each: "${var.rules}", iterator: "each", content: { statement: { label_match_statement: { key: "${each.value}" } } } } }, isBlock: true, type: "set", storageClassType: "RuleList" };
    const placeholder = protectEntry("rule", wrapper, table) as string;
    expect(table.restore(`rule = "${placeholder}"`)).toBe(
      'dynamic "rule" {\nfor_each = var.rules\niterator = each\ncontent {\nstatement {\nlabel_match_statement {\nkey = each.value\n}\n}\n}\n}',
    );
  });
});
