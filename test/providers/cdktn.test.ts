import { describe, expect, it } from "vitest";
import { checkVariant, MODULE_STACK_ENTRY, VARIANTS } from "../../scripts/check-compat.js";

// The CDK Terrain switch (stacks/cdktf.ts, stacks/aws.ts, the App import of stacks/emit/emit-module.ts),
// made by tsconfig.cdktn.json's paths. The emitted module is compared by `npm run check:cdktn`, which
// needs the built zips and terraform fmt; this cheaper part runs in the suite.
describe("CDK Terrain (cdktn + @cdktn/provider-aws)", () => {
  it("type-checks the constructs and synthesizes the same stack as cdktf with the 5.x bindings", async () => {
    // Act
    const { problems, summary } = await checkVariant(VARIANTS.cdktn, MODULE_STACK_ENTRY);

    // Assert
    expect(problems).toEqual([]);
    expect(summary).toMatch(/hashicorp\/aws 6\.\d+\.\d+ vs 5\.100\.0: \d{3} resources compared/);
  });
});
