import { describe, expect, it } from "vitest";
import { FUNCTION_CONTRACTS } from "../../../contracts/docs.js";
import { POOL_FIELDS } from "../../../contracts/pools.js";
import { Testing } from "../../../stacks/cdktf.js";
import { ModuleStack } from "../../../stacks/module-stack.js";
import { SelfRunners } from "../../../stacks/self-runners.js";
import { fakeDistDir, minimalProps, resourceOf, resourcesOf, synthJson, testStack } from "../../helpers/synth.js";

// Each handler function renders the same contract its handler parses (contracts/): the names it sets
// are exactly the contract's, every required one is set, and POOLS carries exactly the contract's fields.

const distDir = fakeDistDir();

function synthRunners(overrides: Parameters<typeof minimalProps>[1] = {}) {
  const { stack } = testStack();
  new SelfRunners(stack, "runners", minimalProps(distDir, overrides));
  return synthJson(stack);
}

const synth = synthRunners({ enableWaf: true, wafGitHubHooksAllowlist: true });
// The build cache's functions exist only with enable_build_cache (stacks/build-cache/, off by default):
// their environments are checked by that module's tests, not on this default synth.
const rendered = FUNCTION_CONTRACTS.filter(({ name }) => name !== "nat-failover" && name !== "build-cache" && name !== "build-cache-sweep");

describe.each(rendered)("the $name function's environment", ({ name, contract }) => {
  const id = name === "github-hooks-ipset" ? "github-hooks-ipset_function" : `runners_${name}_function`;
  const variables = (resourceOf(synth, "aws_lambda_function", id).environment as { variables: Record<string, string> }).variables;
  const names = Object.values(contract).map((variable) => variable.name);

  it("sets only names of its contract (and the Node.js runtime's NODE_OPTIONS)", () => {
    expect(Object.keys(variables).filter((key) => key !== "NODE_OPTIONS" && !names.includes(key))).toEqual([]);
  });

  it("sets every required variable of its contract", () => {
    const required = Object.values(contract).filter((variable) => variable.required).map((variable) => variable.name);
    expect(required.filter((key) => variables[key] === undefined)).toEqual([]);
  });

  it("generates POOLS from the contract's field list", () => {
    const pools = contract.pools;
    if (pools === undefined) return expect(variables.POOLS).toBeUndefined();
    const shape = pools.type.kind === "json" && pools.type.shape.kind === "map" && pools.type.shape.value.kind === "object" ? pools.type.shape.value.fields : {};
    const rendered = String(variables.POOLS);
    for (const [field, spec] of Object.entries(shape)) {
      const source = spec.source ?? {};
      expect(rendered).toMatch(new RegExp(`${field} = ${"pool" in source ? `val\\.${source.pool}` : `[\\w.-]+\\[key\\]\\.${(source as { attribute: string }).attribute}`}`));
    }
    const renderedFields = [...rendered.matchAll(/(\w+) = /g)].map((match) => match[1]);
    expect(renderedFields.filter((field) => field !== "key" && !(field in POOL_FIELDS))).toEqual([]);
    expect(renderedFields.filter((field) => field in POOL_FIELDS)).toEqual(Object.keys(shape));
  });
});

describe("handler functions keep their Terraform addresses (construct ids are addresses)", () => {
  it("names the module's function resources, triggers and grants as before the split into stacks/functions/", () => {
    // Arrange
    const module = synthJson(new ModuleStack(Testing.app(), "self-runners", { distDir }));
    const addresses = (type: string) => Object.keys(resourcesOf(module, type));

    // Assert
    expect(addresses("aws_lambda_function")).toEqual(expect.arrayContaining(["webhook_function", "scale_up_function", "reconcile_function", "spot_interruption_function"]));
    expect(addresses("aws_lambda_event_source_mapping")).toEqual(["scale_up_trigger"]);
    expect(addresses("aws_cloudwatch_event_rule")).toEqual(expect.arrayContaining(["reconcile_schedule_rule", "spot_interruption_rule_rule"]));
    expect(addresses("aws_iam_role_policy")).toEqual(
      expect.arrayContaining(["webhook_policy_read_webhook_secret", "scale_up_policy_read_github_app_key", "reconcile_policy_send_jobs", "encryption_grant_spot_interruption"]),
    );
  });
});
