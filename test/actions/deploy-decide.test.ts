import { describe, expect, it } from "vitest";
import { DeployInputError, decideApply, outputValue, parseApplyMode, terraformCommands, type ApplyContext } from "../../actions/deploy/src/decide.js";

const onMain: ApplyContext = { mode: "auto", ref: "refs/heads/main", defaultBranch: "main", environment: "", environmentProtected: undefined };

describe("decideApply", () => {
  it("applies with auto on the default branch only", () => {
    expect(decideApply(onMain)).toEqual({ apply: true, why: "refs/heads/main is the default branch" });
    expect(decideApply({ ...onMain, ref: "refs/heads/feature" }).apply).toBe(false);
    expect(decideApply({ ...onMain, ref: "refs/heads/main-old" }).apply).toBe(false);
    expect(decideApply({ ...onMain, ref: "refs/pull/7/merge" }).why).toBe("plan only: refs/pull/7/merge is not refs/heads/main and no environment is given");
  });

  it("applies with auto in a protected environment, not in an unprotected one", () => {
    const elsewhere = { ...onMain, ref: "refs/heads/release", environment: "prod" };
    expect(decideApply({ ...elsewhere, environmentProtected: true })).toEqual({ apply: true, why: "environment prod is protected" });
    expect(decideApply({ ...elsewhere, environmentProtected: false }).why).toBe("plan only: refs/heads/release is not refs/heads/main and environment prod has no protection rules");
  });

  it("plans only when the default branch is unknown and no protected environment is given", () => {
    expect(decideApply({ ...onMain, defaultBranch: undefined })).toEqual({
      apply: false,
      why: "plan only: the default branch is unknown (the event carries no repository) and no environment is given",
    });
  });

  it("follows true and false whatever the context", () => {
    expect(decideApply({ ...onMain, mode: "false" }).apply).toBe(false);
    expect(decideApply({ ...onMain, mode: "true", ref: "refs/pull/1/merge" }).apply).toBe(true);
  });
});

describe("parseApplyMode", () => {
  it("reads auto, true and false in any case, empty as auto", () => {
    expect(["", "AUTO", "True", "false"].map(parseApplyMode)).toEqual(["auto", "auto", "true", "false"]);
  });

  it("fails when the value is anything else", () => {
    expect(() => parseApplyMode("yes")).toThrow(DeployInputError);
  });
});

describe("terraformCommands and outputValue", () => {
  it("passes each backend setting and the variables file, and applies the saved plan", () => {
    const commands = terraformCommands({ varFile: "prod.tfvars", backendConfig: ["bucket=b", "backend.hcl"], planFile: "tfplan" });
    expect(commands.init).toEqual(["init", "-input=false", "-backend-config=bucket=b", "-backend-config=backend.hcl"]);
    expect(commands.plan).toEqual(["plan", "-input=false", "-detailed-exitcode", "-out=tfplan", "-var-file=prod.tfvars"]);
    expect(commands.apply).toEqual(["apply", "-input=false", "-auto-approve", "tfplan"]);
  });

  it("reads a string output and nothing else", () => {
    const json = JSON.stringify({ webhook_url: { value: "https://x" }, count: { value: 3 } });
    expect(outputValue(json, "webhook_url")).toBe("https://x");
    expect(outputValue(json, "count")).toBeUndefined();
    expect(outputValue(json, "missing")).toBeUndefined();
    expect(outputValue("not json", "webhook_url")).toBeUndefined();
  });
});
