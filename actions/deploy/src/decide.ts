/** Pure decisions of the deploy Action: whether to apply, and the Terraform command lines. */

export type ApplyMode = "auto" | "true" | "false";

/** Every failure of the deploy Action; reported as an error annotation and a failed step. */
export class DeployError extends Error {}

/** An input, or the machine (terraform missing), is not what the Action needs. */
export class DeployInputError extends DeployError {}

/** A Terraform command exited with an error. */
export class TerraformFailedError extends DeployError {}

export function parseApplyMode(text: string): ApplyMode {
  const mode = (text || "auto").toLowerCase();
  if (mode !== "auto" && mode !== "true" && mode !== "false") throw new DeployInputError(`apply must be auto, true or false, got "${text}"`);
  return mode;
}

export interface ApplyContext {
  readonly mode: ApplyMode;
  /** GITHUB_REF, e.g. refs/heads/main or refs/pull/7/merge. */
  readonly ref: string;
  /** The repository's default branch from the event payload; undefined when the event does not carry it. */
  readonly defaultBranch: string | undefined;
  readonly environment: string;
  /** Whether the environment has protection rules (reviewers, wait timer, branch policy); undefined when not asked. */
  readonly environmentProtected: boolean | undefined;
}

export interface ApplyDecision {
  readonly apply: boolean;
  readonly why: string;
}

/**
 * `auto` applies only where a change has passed review: on the default branch, or in an environment
 * whose protection rules GitHub enforced before the job started. The Action cannot see the job's
 * environment, so it trusts the `environment` input to name it.
 */
export function decideApply(context: ApplyContext): ApplyDecision {
  if (context.mode === "true") return { apply: true, why: "apply is true" };
  if (context.mode === "false") return { apply: false, why: "apply is false" };
  if (context.defaultBranch !== undefined && context.ref === `refs/heads/${context.defaultBranch}`) return { apply: true, why: `${context.ref} is the default branch` };
  if (context.environment !== "" && context.environmentProtected === true) return { apply: true, why: `environment ${context.environment} is protected` };
  const branch = context.defaultBranch === undefined ? "the default branch is unknown (the event carries no repository)" : `${context.ref || "the ref"} is not refs/heads/${context.defaultBranch}`;
  const environment = context.environment === "" ? "no environment is given" : `environment ${context.environment} has no protection rules`;
  return { apply: false, why: `plan only: ${branch} and ${environment}` };
}

export interface TerraformInputs {
  readonly varFile: string;
  readonly backendConfig: readonly string[];
  readonly planFile: string;
}

/** Argument lists of each Terraform command the Action runs. */
export function terraformCommands(inputs: TerraformInputs) {
  return {
    init: ["init", "-input=false", ...inputs.backendConfig.map((line) => `-backend-config=${line}`)],
    // -detailed-exitcode: 0 no changes, 1 error, 2 changes present.
    plan: ["plan", "-input=false", "-detailed-exitcode", `-out=${inputs.planFile}`, ...(inputs.varFile ? [`-var-file=${inputs.varFile}`] : [])],
    // A saved plan applies exactly what was planned and reviewed, without a prompt.
    apply: ["apply", "-input=false", "-auto-approve", inputs.planFile],
    output: ["output", "-json"],
  };
}

/** The value of one output from `terraform output -json`, if it is a string. */
export function outputValue(outputJson: string, name: string): string | undefined {
  try {
    const outputs = JSON.parse(outputJson) as Record<string, { value?: unknown } | undefined>;
    const value = outputs[name]?.value;
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}
