import { describe, expect, it } from "vitest";
import { printFile, block } from "../../stacks/emit/hcl.js";
import { resourceBody, type JsonObject } from "../../stacks/emit/json-syntax.js";
import type { BlockSchema } from "../../stacks/emit/provider-schema.js";

// A slice of hashicorp/aws's aws_launch_template: `ebs` nests in `block_device_mappings`; `tags` is a map attribute.
const LAUNCH_TEMPLATE: BlockSchema = {
  blocks: {
    block_device_mappings: { blocks: { ebs: { blocks: {} } } },
    tag_specifications: { blocks: {} },
    metadata_options: { blocks: {} },
  },
};

function print(body: JsonObject, schema: BlockSchema = LAUNCH_TEMPLATE): string {
  return printFile([block("resource", ["aws_launch_template", "t"], resourceBody(body, schema, "aws_launch_template.t"))]);
}

describe("resourceBody", () => {
  it("writes nested blocks as blocks and object-valued attributes as objects, as the schema says", () => {
    const hcl = print({
      block_device_mappings: [{ device_name: "/dev/xvda", ebs: { volume_size: 40 } }],
      tags: { Name: "runner" },
    });
    expect(hcl).toContain("block_device_mappings {\n    device_name = \"/dev/xvda\"\n\n    ebs {\n      volume_size = 40\n    }\n  }");
    expect(hcl).toContain('tags = {\nName = "runner"\n}');
  });

  it("writes one block per element of a list, none for an empty list or null", () => {
    const hcl = print({ tag_specifications: [{ resource_type: "volume" }, { resource_type: "instance" }], metadata_options: null, block_device_mappings: [] });
    expect(hcl.match(/tag_specifications \{/g)).toHaveLength(2);
    expect(hcl).not.toContain("metadata_options");
    expect(hcl).not.toContain("block_device_mappings");
  });

  it("writes count and for_each first, then arguments, nested blocks, lifecycle and depends_on", () => {
    const hcl = print({
      depends_on: ["${aws_sqs_queue.dlq}", "aws_iam_role.r"],
      lifecycle: { ignore_changes: ["user_data"], create_before_destroy: true },
      metadata_options: { http_tokens: "required" },
      name: "${var.prefix}-x",
      for_each: "${var.pools}",
      "//": { metadata: { path: "s/x" } },
    });
    const order = ["for_each = var.pools", 'name = "${var.prefix}-x"', "metadata_options {", "lifecycle {", "depends_on = [aws_sqs_queue.dlq, aws_iam_role.r]"];
    expect(order.map((line) => hcl.indexOf(line))).toEqual([...order.map((line) => hcl.indexOf(line))].sort((a, b) => a - b));
    expect(order.every((line) => hcl.includes(line))).toBe(true);
    expect(hcl).toContain("ignore_changes = [user_data]");
    expect(hcl).not.toContain("//");
  });

  it("writes lifecycle conditions as blocks and references unquoted", () => {
    const hcl = print({
      lifecycle: {
        ignore_changes: "all",
        replace_triggered_by: ["${terraform_data.version}"],
        precondition: [{ condition: "${var.a > 1}", error_message: "a must be more than 1, got ${var.a}." }],
      },
    });
    expect(hcl).toContain("ignore_changes = all");
    expect(hcl).toContain("replace_triggered_by = [terraform_data.version]");
    expect(hcl).toContain('precondition {\n      condition = var.a > 1\n      error_message = "a must be more than 1, got ${var.a}."\n    }');
  });

  it("writes dynamic blocks whose content follows the named block's schema", () => {
    const hcl = print({
      dynamic: {
        block_device_mappings: {
          for_each: "${var.disks}",
          iterator: "disk",
          content: { device_name: "${disk.value.name}", ebs: { volume_size: "${disk.value.size}" } },
        },
        tag_specifications: { for_each: "${var.kinds}", iterator: "tag_specifications", content: { resource_type: "${tag_specifications.value}" } },
      },
    });
    expect(hcl).toContain('dynamic "block_device_mappings" {\n    for_each = var.disks\n    iterator = disk\n\n    content {\n      device_name = disk.value.name\n\n      ebs {\n        volume_size = disk.value.size\n      }\n    }\n  }');
    // An iterator named like the block is the default, so it is left out.
    expect(hcl).toContain('dynamic "tag_specifications" {\n    for_each = var.kinds\n\n    content {');
  });

  it.each<[string, JsonObject, RegExp]>([
    ["a provider is chosen", { provider: "aws.west" }, /cannot choose a provider configuration/],
    ["a nested block is a string", { metadata_options: "${var.x}" }, /metadata_options is a nested block/],
    ["a dynamic block is not in the schema", { dynamic: { nope: { for_each: "${x}", content: {} } } }, /no nested block "nope"/],
    ["a dynamic block has no content", { dynamic: { tag_specifications: { for_each: "${x}" } } }, /needs for_each and an object content/],
    ["a lifecycle setting is unknown", { lifecycle: { prevent_everything: true } }, /unknown lifecycle setting/],
    ["depends_on is not a list", { depends_on: "aws_sqs_queue.q" }, /expected a list of references/],
    ["a provisioner is given", { provisioner: [{ "local-exec": { command: "true" } }] }, /provisioner blocks cannot be written/],
  ])("fails when %s", (_name, body, message) => {
    expect(() => print(body)).toThrow(message);
  });
});
