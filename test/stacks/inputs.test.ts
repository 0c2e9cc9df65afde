import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { INPUTS, INPUT_GROUPS } from "../../stacks/module/inputs.js";
import { propName } from "../../stacks/module/input-spec.js";
import { MODULE_DIR } from "../../stacks/build-module.js";
import { REPO_ROOT } from "../helpers/paths.js";
import { SelfRunners } from "../../stacks/self-runners.js";
import { LAMBDA_ENVIRONMENT_LIMIT_BYTES, WEBHOOK_ENVIRONMENT_FIXED_BYTES, webhookEnvironmentBytes } from "../../stacks/module/cross-checks.js";
import { fakeDistDir, minimalProps, resourceOf, synthJson, testStack } from "../helpers/synth.js";

/** `readonly name?: ...` declarations of self-runners-props.ts and its groups in props/, with the `@default` of their JSDoc. */
function declaredProps(): Map<string, string | undefined> {
  const groups = readdirSync(join(REPO_ROOT, "stacks", "props")).map((file) => join("props", file));
  const source = ["self-runners-props.ts", ...groups].map((file) => readFileSync(join(REPO_ROOT, "stacks", file), "utf8")).join("\n");
  const props = new Map<string, string | undefined>();
  for (const match of source.matchAll(/\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*readonly (\w+)\??:/g)) {
    props.set(match[2], /@default (.*)/.exec(match[1])?.[1].trim());
  }
  return props;
}

/** The literal at the start of a `@default` text: a JSON value, or undefined for "- what happens instead". */
function leadingLiteral(text: string): unknown {
  const literal = /^("(?:[^"\\]|\\.)*"|\[[^\]]*\]|\{\}|-?[0-9]+(?:\.[0-9]+)?|true|false)/.exec(text)?.[1];
  return literal === undefined ? undefined : JSON.parse(literal);
}

describe("the input table (stacks/module/inputs.ts)", () => {
  const props = declaredProps();

  it("names each prop the camelCase of its Terraform variable", () => {
    expect(propName("job_wait_max_seconds")).toBe("jobWaitMaxSeconds");
    expect(propName("waf_github_hooks_allowlist")).toBe("wafGitHubHooksAllowlist");
    expect(propName("github_app_id")).toBe("githubAppId");
    expect(propName("cloudtrail_cloudwatch_logs")).toBe("cloudTrailCloudWatchLogs");
    expect(propName("nat_failover_existing_ec2_endpoint")).toBe("natFailoverExistingEc2Endpoint");
  });

  it("has a SelfRunners prop for every entry, whose @default is the table's default", () => {
    for (const input of INPUTS) {
      const prop = propName(input.name);
      expect(props.has(prop), `${input.name} -> ${prop}`).toBe(true);
      const documented = props.get(prop);
      if ("default" in input) {
        expect(documented, `@default of ${prop}`).toBeDefined();
        expect(leadingLiteral(documented ?? ""), `@default of ${prop}: ${documented}`).toEqual(input.default);
      } else {
        expect(documented, `${prop} is required, so it has no @default`).toBeUndefined();
      }
    }
  });

  it("has an entry for every SelfRunners prop but distDir (CDKTF only)", () => {
    const fromTable = new Set(INPUTS.map((input) => propName(input.name)));
    expect([...props.keys()].filter((prop) => !fromTable.has(prop))).toEqual(["distDir"]);
  });

  it("is the source of every variable of the emitted variables.tf, in its groups", () => {
    const text = readFileSync(join(REPO_ROOT, MODULE_DIR, "variables.tf"), "utf8");
    const emitted = [...text.matchAll(/^variable "(\w+)"/gm)].map((m) => m[1]);
    // Each input, and after an input renamed to the toggle grammar its deprecated old name.
    const names = INPUTS.flatMap((input) => (input.replaces === undefined ? [input.name] : [input.name, input.replaces]));
    expect(emitted.sort()).toEqual([...names].sort());
    expect(INPUT_GROUPS.flatMap((group) => group.variables)).toEqual(names);
    expect(new Set(INPUT_GROUPS.map((group) => group.title)).size).toBe(INPUT_GROUPS.length);
  });

  it("describes every input and types every rule's message", () => {
    for (const input of INPUTS) {
      expect(input.description, input.name).not.toBe("");
      for (const rule of input.rules ?? []) expect(rule.allowed, input.name).toMatch(/^\S/);
    }
  });
});

describe("the webhook environment bound (the pools-overflow precondition)", () => {
  it("allows for every byte of the webhook's environment that no input changes", () => {
    const { stack } = testStack();
    const runners = new SelfRunners(stack, "runners", minimalProps(fakeDistDir()));
    const env = (resourceOf(synthJson(stack), "aws_lambda_function", "webhook").environment as { variables: Record<string, string> }).variables;
    // Values from inputs (prefix, table and parameter names, body limit, pools) are counted by the bound itself.
    const fromInputs = (value: unknown) => String(value).includes("${") || String(value).startsWith("/") || value === "self-runners" || String(value) === "262144";
    const fixed = JSON.stringify(Object.fromEntries(Object.entries(env).map(([key, value]) => [key, fromInputs(value) ? "" : value])));
    expect(runners.webhook).toBeDefined();
    expect(Buffer.byteLength(fixed)).toBeLessThanOrEqual(WEBHOOK_ENVIRONMENT_FIXED_BYTES);
    expect(Buffer.byteLength(fixed)).toBeGreaterThan(WEBHOOK_ENVIRONMENT_FIXED_BYTES - 100);
  });

  it("grows with the pools and refuses past Lambda's 4 KB", () => {
    const bytes = (count: number) =>
      webhookEnvironmentBytes({
        prefix: "self-runners",
        pools: Object.fromEntries(Array.from({ length: count }, (_, i) => [`pool-${i}`, { labels: ["linux", "x64", `team-${i}`] }])),
        webhookSecretSsmParameterName: "",
        webhookPreviousSecretSsmParameterName: "",
        webhookMaxBodyBytes: 262144,
        allowedOwners: [],
        allowedRepositories: [],
        webhookMaxJobAgeSeconds: 3600,
      });
    expect(bytes(1)).toBeLessThan(1000);
    // Each pool's allowPublicRepositories flag (issue 18) costs about 30 bytes: 17 such pools fit, not 20.
    expect(bytes(17)).toBeLessThanOrEqual(LAMBDA_ENVIRONMENT_LIMIT_BYTES);
    expect(bytes(30)).toBeGreaterThan(LAMBDA_ENVIRONMENT_LIMIT_BYTES);
  });
});
