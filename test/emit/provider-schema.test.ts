import { describe, expect, it } from "vitest";
import { DEFAULT_AWS_PROVIDER_VERSION } from "../../stacks/emit/emit-module.js";
import { awsProviderBlocks } from "../../stacks/emit/provider-schema.js";

describe("awsProviderBlocks", () => {
  it("tells nested blocks from attributes, as the provider's schema does", () => {
    const schema = awsProviderBlocks(DEFAULT_AWS_PROVIDER_VERSION);
    const launchTemplate = schema.resources.aws_launch_template;
    expect(Object.keys(launchTemplate.blocks)).toEqual(expect.arrayContaining(["block_device_mappings", "tag_specifications", "metadata_options"]));
    expect(Object.keys(launchTemplate.blocks.block_device_mappings.blocks)).toEqual(["ebs"]);
    // Maps and lists of objects declared as attributes are not blocks.
    expect(launchTemplate.blocks.tags).toBeUndefined();
    expect(schema.resources.aws_security_group.blocks.egress).toBeUndefined();
    expect(schema.dataSources.aws_region).toEqual({ blocks: expect.any(Object) });
    expect(schema.version).toMatch(/^5\.\d+\.\d+$/);
  }, 120_000);

  it("answers from the cache the second time", () => {
    const started = Date.now();
    expect(awsProviderBlocks(DEFAULT_AWS_PROVIDER_VERSION).resources.aws_sqs_queue).toBeDefined();
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
