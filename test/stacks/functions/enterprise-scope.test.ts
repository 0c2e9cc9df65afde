import { beforeAll, describe, expect, it } from "vitest";
import type { SelfRunnersProps } from "../../../stacks/self-runners.js";
import { fakeDistDir, resourceOf, resourcesOf, type SynthesizedStack, synthSelfRunners } from "../../helpers/synth.js";

// Enterprise runners (issue 12, item 7): the slug and the enterprise token's parameter reach the three
// runner-managing functions, and only those may read the token.

let distDir: string;

beforeAll(() => {
  distDir = fakeDistDir();
});

const synthRunners = (overrides: Partial<SelfRunnersProps> = {}): SynthesizedStack => synthSelfRunners(distDir, overrides);
const variablesOf = (synth: SynthesizedStack, fn: string) => (resourceOf(synth, "aws_lambda_function", fn).environment as { variables: Record<string, string> }).variables;
const enterpriseGrants = (synth: SynthesizedStack) => Object.entries(resourcesOf(synth, "aws_iam_role_policy")).filter(([id]) => id.includes("read-enterprise-token"));
const ENTERPRISE: Partial<SelfRunnersProps> = { runnerScope: "enterprise", enterpriseSlug: "octo-enterprise", enterpriseTokenSsmParameterName: "/ops/enterprise-token" };

describe("enterprise scope", () => {
  it("gives scale-up, reconcile and spot-interruption the slug and the token parameter, and lets only them read it", () => {
    const synth = synthRunners(ENTERPRISE);
    for (const fn of ["scale-up", "reconcile", "spot-interruption"]) {
      expect(variablesOf(synth, fn)).toMatchObject({ RUNNER_SCOPE: "enterprise", ENTERPRISE_SLUG: "octo-enterprise", ENTERPRISE_TOKEN_SSM_PARAMETER_NAME: "/ops/enterprise-token" });
    }
    const grants = enterpriseGrants(synth);
    expect(grants).toHaveLength(3);
    for (const fn of ["scale-up", "reconcile", "spot-interruption"]) expect(grants.filter(([, grant]) => String(grant.role).includes(`${fn}_`))).toHaveLength(1);
    for (const [, grant] of grants) {
      expect(grant.count).toBe(1);
      expect(String(grant.policy)).toMatch(/"Action" = \["ssm:GetParameter"\], "Resource" = "arn:[^"]*:parameter\/ops\/enterprise-token"/);
    }
    expect(variablesOf(synth, "webhook").ENTERPRISE_TOKEN_SSM_PARAMETER_NAME).toBeUndefined();
    expect(variablesOf(synth, "runner-binaries-syncer").ENTERPRISE_TOKEN_SSM_PARAMETER_NAME).toBeUndefined();
  });

  it("grants nothing in org scope", () => {
    const grants = enterpriseGrants(synthRunners({ runnerScope: "org" }));
    expect(grants).toHaveLength(3);
    expect(grants.every(([, grant]) => grant.count === 0)).toBe(true);
  });

  it("fails when enterprise scope has no slug, saying what is allowed", () => {
    expect(() => synthRunners({ ...ENTERPRISE, enterpriseSlug: "" })).toThrow(/enterpriseSlug.*set exactly when runner_scope is "enterprise"/);
  });

  it("fails when enterprise scope has no token parameter, saying what is allowed", () => {
    expect(() => synthRunners({ ...ENTERPRISE, enterpriseTokenSsmParameterName: "" })).toThrow(/enterpriseTokenSsmParameterName.*set exactly when runner_scope is "enterprise"/);
  });

  it("fails when a slug is given outside enterprise scope", () => {
    expect(() => synthRunners({ runnerScope: "org", enterpriseSlug: "octo-enterprise" })).toThrow(/enterpriseSlug/);
  });

  it("fails when the slug is malformed", () => {
    expect(() => synthRunners({ ...ENTERPRISE, enterpriseSlug: "octo enterprise/" })).toThrow(/enterpriseSlug.*letters, digits and hyphens/);
  });
});
