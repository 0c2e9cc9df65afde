import { beforeAll, describe, expect, it } from "vitest";
import type { SelfRunnersProps } from "../../../stacks/self-runners.js";
import { fakeDistDir, resourceOf, type SynthesizedStack, synthSelfRunners } from "../../helpers/synth.js";

// The optional re-run App (issue 18, finding 6): only the reconcile function learns of it and may read its key.

let distDir: string;

beforeAll(() => {
  distDir = fakeDistDir();
});

const synthRunners = (overrides: Partial<SelfRunnersProps> = {}): SynthesizedStack => synthSelfRunners(distDir, overrides);

const variablesOf = (synth: SynthesizedStack, fn: string) => (resourceOf(synth, "aws_lambda_function", fn).environment as { variables: Record<string, string> }).variables;

describe("the re-run App", () => {
  it("gives the reconcile function its id and key parameter, and lets only that function read the key", () => {
    const synth = synthRunners({ rerunGitHubAppId: "777001", rerunGitHubAppPrivateKeySsmParameterName: "/ops/rerun-app-key" });
    expect(variablesOf(synth, "reconcile")).toMatchObject({ RERUN_GITHUB_APP_ID: "777001", RERUN_GITHUB_APP_PRIVATE_KEY_SSM_PARAMETER_NAME: "/ops/rerun-app-key" });
    const grant = resourceOf(synth, "aws_iam_role_policy", "read-rerun-app-key");
    expect(grant.count).toBe(1);
    expect(String(grant.policy)).toMatch(/"Action" = \["ssm:GetParameter"\], "Resource" = "arn:[^"]*:parameter\/ops\/rerun-app-key"/);
    expect(String(grant.role)).toContain("reconcile");
    for (const fn of ["webhook", "scale-up", "spot-interruption"]) expect(variablesOf(synth, fn).RERUN_GITHUB_APP_ID).toBeUndefined();
  });

  it("grants nothing and leaves re-runs to the runner App when none is configured", () => {
    const synth = synthRunners();
    expect(resourceOf(synth, "aws_iam_role_policy", "read-rerun-app-key").count).toBe(0);
    expect(variablesOf(synth, "reconcile").RERUN_GITHUB_APP_ID).toBe("");
  });

  it("refuses an id without a key parameter, saying what is allowed", () => {
    expect(() => synthRunners({ rerunGitHubAppId: "777001" })).toThrow(/rerunGitHubAppPrivateKeySsmParameterName.*set exactly when rerun_github_app_id is set/);
  });
});
