import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MODULE_STACK_ENTRY, synthStack } from "../../scripts/check-compat.js";
import { schemaDeprecatedUses, type ProviderSchemas } from "../../scripts/compat/references.js";
import { DEFAULT_AWS_PROVIDER_VERSION } from "../../stacks/emit/emit-module.js";
import { runTerraformSync } from "../../stacks/emit/terraform-cli.js";
import { scratchDir } from "../helpers/paths.js";

/** The full hashicorp/aws schema the module's constraint selects from the mirror (5.100.0 offline). */
function awsSchemas(): ProviderSchemas {
  const dir = scratchDir("aws-schema");
  writeFileSync(join(dir, "versions.tf"), `terraform {\n  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n      version = ${JSON.stringify(DEFAULT_AWS_PROVIDER_VERSION)}\n    }\n  }\n}\n`);
  const init = runTerraformSync(["init", "-backend=false"], dir);
  if (init.code !== 0) throw new Error(init.stderr || init.stdout);
  const schema = runTerraformSync(["providers", "schema", "-json"], dir);
  if (schema.code !== 0) throw new Error(schema.stderr || schema.stdout);
  return (JSON.parse(schema.stdout) as { provider_schemas: Record<string, ProviderSchemas> }).provider_schemas["registry.terraform.io/hashicorp/aws"];
}

describe("hashicorp/aws 5.100: deprecations flagged by the provider's own schema", () => {
  it("sets no deprecated argument or block and reads no deprecated attribute", async () => {
    // Arrange
    const schemas = awsSchemas();
    const { stack } = await synthStack(MODULE_STACK_ENTRY, scratchDir("synth-5"));

    // Act
    const uses = schemaDeprecatedUses(stack as never, schemas);

    // Assert: the walk had something to look at.
    expect(Object.keys(schemas.resource_schemas).length).toBeGreaterThan(1000);
    expect(uses).toEqual([]);
  });

  it("fails when a stack sets a deprecated argument, block or dynamic block, or reads a deprecated attribute", () => {
    // Arrange
    const schemas: ProviderSchemas = {
      resource_schemas: {
        aws_iam_role: { block: { attributes: { name: {}, managed_policy_arns: { deprecated: true } }, block_types: { inline_policy: { block: { deprecated: true } } } } },
        aws_s3_bucket: { block: { attributes: { bucket: {} }, block_types: { logging: { block: { attributes: { target_bucket: {} }, deprecated: true } } } } },
      },
      data_source_schemas: { aws_region: { block: { attributes: { name: { deprecated: true }, id: {} } } } },
    };
    const stack = {
      resource: {
        aws_iam_role: { r: { name: "r", managed_policy_arns: [], inline_policy: [{}], count: 1 } },
        aws_s3_bucket: { b: { bucket: "b", dynamic: { logging: { for_each: [], content: { target_bucket: "t" } } } } },
      },
      output: { region: { value: "${data.aws_region.current.name}" }, id: { value: "${data.aws_region.current.id}" } },
    };

    // Act / Assert
    expect(schemaDeprecatedUses(stack, schemas)).toEqual([
      "aws_iam_role.inline_policy",
      "aws_iam_role.managed_policy_arns",
      "aws_s3_bucket.logging",
      "data.aws_region.name (read)",
    ]);
  });
});
