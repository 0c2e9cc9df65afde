import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkVariant, MODULE_STACK_ENTRY, VARIANTS } from "../../scripts/check-compat.js";
import { REPO_ROOT } from "../helpers/paths.js";

// The 6.x bindings are @cdktf/provider-aws 21 (npm alias @cdktf/provider-aws-v6); tsconfig.provider-aws-6.json
// maps the deep imports of stacks/aws.ts onto it, for tsc and for tsx. 5.x is checked by the terraform tier.
const REMOVED_IN_6 = join(REPO_ROOT, "test", "providers", "fixtures", "removed-in-6.ts");

describe("hashicorp/aws 6.x: the constructs against the 6.x bindings", () => {
  it("type-checks, and synthesizes the same resources and arguments as with 5.x, reading only attributes 6.x has and does not deprecate", async () => {
    // Act
    const { problems, summary } = await checkVariant(VARIANTS.aws6, MODULE_STACK_ENTRY);

    // Assert
    expect(problems).toEqual([]);
    const [, resources, references] = /hashicorp\/aws 6\.\d+\.\d+ vs 5\.100\.0: (\d+) resources compared, (\d+) attribute references/.exec(summary) ?? [];
    expect(Number(resources)).toBeGreaterThan(100);
    expect(Number(references)).toBeGreaterThan(30);
  });

  it("fails when a construct sets or reads what 6.x removed (a deliberate break in a fixture)", async () => {
    // Act: the fixture is valid with the 5.x bindings (npm run typecheck covers it).
    const { problems } = await checkVariant(VARIANTS.aws6, REMOVED_IN_6, [REMOVED_IN_6]);

    // Assert: the type check, the synth comparison and the attribute lookup each find their part.
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/type check[\s\S]*TS2353: .*'stageName' does not exist[\s\S]*TS2339: Property 'invokeUrl' does not exist/);
    expect(problems.slice(1)).toEqual([
      expect.stringMatching(/^synth with 6\.\d+\.\d+ bindings differs from 5\.100\.0: \.output\.url\.value: "\$\{aws_api_gateway_deployment\.deployment\.invoke_url\}" -> undefined$/),
      expect.stringMatching(/^synth with 6\.\d+\.\d+ bindings differs from 5\.100\.0: \.resource\.aws_api_gateway_deployment\.deployment\.stage_name: "prod" -> undefined$/),
      expect.stringMatching(/^aws_api_gateway_deployment\.execution_arn is read but hashicorp\/aws 6\.\d+\.\d+ has no such attribute$/),
    ]);
  });
});
