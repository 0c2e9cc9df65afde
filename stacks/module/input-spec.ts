import { RULES } from "../errors.js";
import { hclString, inputRule, mapOf, matching, type InputRule } from "./rules.js";

/** One input of the kit: a Terraform variable of the module and the SelfRunners prop of the same words. */
export interface InputSpec {
  /** The Terraform variable, snake_case. The prop is {@link propName} of it. */
  readonly name: string;
  /** The Terraform type expression. */
  readonly type: string;
  /** The default of both the variable and the prop; absent: required. */
  readonly default?: unknown;
  readonly description: string;
  /** Rules of the value, rendered as the variable's validations and checked on the prop. */
  readonly rules?: readonly InputRule[];
  /** Validation blocks rendered by hand from rules kept elsewhere (the pools' rules live in pools.ts). */
  readonly validation?: () => ReadonlyArray<{ readonly condition: string; readonly errorMessage: string }>;
  /**
   * The old Terraform name of this input, renamed to follow the toggle grammar (`enable_*`/`create_*`).
   * The module keeps a variable of the old name (default null) that still works and wins when set, and a
   * `check` warns at plan that it is deprecated. CDKTF props know only the new name.
   */
  readonly replaces?: string;
}

/** The variable block of the deprecated name an input {@link InputSpec.replaces}. */
export function deprecatedVariable(input: InputSpec & { readonly replaces: string }): { readonly type: string; readonly description: string } {
  return {
    type: input.type,
    description: `Deprecated: use ${input.name}. Still honoured: when set (not null) it wins over ${input.name}, and the plan warns.`,
  };
}

/** Inputs under one banner of variables.tf, in a stable order. */
export interface InputGroup {
  readonly title: string;
  readonly inputs: readonly InputSpec[];
}

// Words whose camelCase keeps AWS's and GitHub's own spelling (aws-cdk does the same: enableCloudTrail),
// and how they read as the first word (githubAppId, as Octokit and most TypeScript code spell it).
const WORDS: Readonly<Record<string, string>> = { github: "GitHub", cloudtrail: "CloudTrail", cloudwatch: "CloudWatch" };
const FIRST_WORDS: Readonly<Record<string, string>> = { github: "github", cloudtrail: "cloudTrail", cloudwatch: "cloudWatch" };

/** The prop of a Terraform variable: `waf_github_hooks_allowlist` -> `wafGitHubHooksAllowlist`. */
export function propName(variable: string): string {
  return variable
    .split("_")
    .map((word, i) => (i === 0 ? (FIRST_WORDS[word] ?? word) : (WORDS[word] ?? word.charAt(0).toUpperCase() + word.slice(1))))
    .join("");
}

/** A rule from a RULES entry. */
export function pattern(rule: { readonly pattern: string; readonly allowed: string }): InputRule {
  return matching(rule.pattern, rule.allowed);
}

/** A map keyed by availability zone name. */
export function azMapOf(value: InputRule, what: string): InputRule {
  return mapOf(pattern(RULES.availabilityZone), value, `a map of ${RULES.availabilityZone.allowed} to ${what}: ${value.allowed}`);
}

/** Reserved concurrency: 0 would stop the function for good, so it is refused. */
export const RESERVED_CONCURRENCY = inputRule(
  "-1 (unreserved) or a whole number of at least 1 (0 would keep the function from ever running)",
  (v: number) => v === -1 || (Number.isInteger(v) && v >= 1),
  (r) => `${r} == -1 || (${r} >= 1 && floor(${r}) == ${r})`,
);

/** More GitHub Apps: numeric ids and SSM parameter names (props camelCase, the variable snake_case). */
export const ADDITIONAL_APPS_RULE = inputRule(
  `a list of apps with app_id ${RULES.githubAppId.allowed} and private_key_ssm_parameter_name ${RULES.ssmParameterName.allowed}`,
  (v: ReadonlyArray<{ appId: string; privateKeySsmParameterName: string }>) =>
    v.every((app) => pattern(RULES.githubAppId).check(app.appId) && pattern(RULES.ssmParameterName).check(app.privateKeySsmParameterName)),
  (r) => `alltrue([for app in ${r} : can(regex(${hclString(RULES.githubAppId.pattern)}, app.app_id)) && can(regex(${hclString(RULES.ssmParameterName.pattern)}, app.private_key_ssm_parameter_name))])`,
);

