import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FUNCTION_CONTRACTS, GENERATED_BEGIN, GENERATED_END, renderEnvironmentDocs } from "../../contracts/docs.js";
import { upperSnake, type EnvContract } from "../../contracts/env.js";
import { POOL_FIELDS } from "../../contracts/pools.js";
import { parseEnv } from "../../lambdas/shared/index.js";
import { sampleEnv } from "../helpers/contracts.js";
import { REPO_ROOT } from "../helpers/paths.js";

// Any contract: the typed result of one given contract is checked by each handler's config.ts.
const parseAny = parseEnv as (contract: EnvContract, env: Record<string, string>) => Record<string, unknown>;

describe.each(FUNCTION_CONTRACTS)("the $name environment contract", ({ contract }) => {
  const variables = Object.entries(contract);

  it("names each variable as the UPPER_SNAKE of its key, once", () => {
    for (const [key, variable] of variables) expect(variable.name, key).toBe(upperSnake(key));
    expect(new Set(variables.map(([, variable]) => variable.name)).size).toBe(variables.length);
  });

  it("gives defaults only to optional variables (a Terraform input's default lives in the input table)", () => {
    for (const [key, variable] of variables) if (variable.required) expect(variable.default, key).toBeUndefined();
  });

  it("parses its own examples, optional ones included", () => {
    // Arrange
    const examples = Object.fromEntries(variables.map(([, variable]) => [variable.name, variable.example]));

    // Act
    const parsed = parseAny(contract, sampleEnv(contract, examples));

    // Assert
    expect(Object.keys(parsed)).toEqual(variables.map(([key]) => key));
    for (const [key, variable] of variables) {
      expect(parsed[key], key).toBeDefined();
      expect(variable.doc.length, key).toBeGreaterThan(3);
    }
  });
});

describe("POOL_FIELDS", () => {
  it("says where every field comes from", () => {
    for (const [key, field] of Object.entries(POOL_FIELDS)) expect(field.source, key).toBeDefined();
  });
});

describe("docs/contracts.md", () => {
  it("holds the environment section generated from contracts/ (run `npm run docs:contracts` after changing a contract)", () => {
    // Arrange
    const markdown = readFileSync(join(REPO_ROOT, "docs", "contracts.md"), "utf8");

    // Act
    const committed = markdown.slice(markdown.indexOf(GENERATED_BEGIN), markdown.indexOf(GENERATED_END) + GENERATED_END.length);

    // Assert
    expect(committed).toBe(renderEnvironmentDocs());
  });
});
