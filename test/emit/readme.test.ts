import { describe, expect, it } from "vitest";
import { renderReadme } from "../../stacks/emit/readme.js";

const input = {
  moduleName: "terraform-aws-example",
  description: "Does things.",
  usageExample: 'module "x" {\n  source = "./x"\n}',
  requirements: [["terraform", ">= 1.6.0"], ["aws", ">= 5.100.0, < 6.0.0"]] as const,
  variables: [
    { name: "zeta", type: "string", description: "Last | first", hasDefault: false, sensitive: false, nullable: true },
    { name: "api_key", type: "string", description: "Key.", hasDefault: true, default: "s3cret", sensitive: true, nullable: true },
    { name: "pools", type: "map(object({\n  labels = list(string)\n}))", description: "Pools.\nBy name.", hasDefault: true, default: { a: { labels: ["x"] } }, sensitive: false, nullable: false },
  ],
  outputs: [{ name: "queue_urls", description: "URLs.", sensitive: false }],
};

describe("renderReadme", () => {
  const readme = renderReadme(input);

  it("lists inputs by name with type, default and whether they are required", () => {
    expect(readme).toContain('| <a name="input_api_key"></a> [api\\_key](#input\\_api\\_key) | Key. _Sensitive._ | `string` | (sensitive) | no |');
    expect(readme).toContain(
      '| <a name="input_pools"></a> [pools](#input\\_pools) | Pools.<br>By name. _Must not be null._ | `map(object({ labels = list(string) }))` | `{ a = { labels = ["x"] } }` | no |',
    );
    expect(readme).toContain('| <a name="input_zeta"></a> [zeta](#input\\_zeta) | Last \\| first | `string` | n/a | yes |');
    expect(readme.indexOf("input_api_key")).toBeLessThan(readme.indexOf("input_pools"));
    expect(readme.indexOf("input_pools")).toBeLessThan(readme.indexOf("input_zeta"));
  });

  it("has usage, requirements and outputs sections", () => {
    expect(readme).toMatch(/^# terraform-aws-example\n\nDoes things\.\n\n## Usage\n\n```hcl\nmodule "x" \{/);
    expect(readme).toContain('| <a name="requirement_aws"></a> [aws](#requirement\\_aws) | >= 5.100.0, < 6.0.0 |');
    expect(readme).toContain('| <a name="output_queue_urls"></a> [queue\\_urls](#output\\_queue\\_urls) | URLs. |');
  });

  it("is deterministic", () => {
    expect(renderReadme({ ...input, variables: [...input.variables].reverse() })).toBe(readme);
  });
});
