/**
 * IAM settings of every role the kit creates (issue 12, item 4), a group of the input table
 * (./inputs.ts): enterprise service control policies often refuse role creation without a permissions
 * boundary or outside a given path. Applied to each role by stacks/private/role-settings.ts.
 */
import { emptyOr, matching } from "./rules.js";
import type { InputGroup } from "./input-spec.js";

/** An IAM path: `/`, or `/`-separated names that begin and end with `/` (IAM's own limit is 512 characters). */
export const IAM_ROLE_PATH = matching("^/([A-Za-z0-9+=,.@_-]+/){0,25}$", "an IAM path that begins and ends with / (such as / or /ci/runners/), names of letters, digits and +=,.@_-");

/** A managed policy ARN (customer managed or AWS managed). */
export const IAM_POLICY_ARN = matching("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/[A-Za-z0-9+=,.@_/-]{1,512}$", "an IAM managed policy ARN of the form arn:aws:iam::<account>:policy/<name>");

export const IAM: InputGroup = {
  title: "IAM",
  inputs: [
    {
      name: "permissions_boundary_arn", type: "string", default: "",
      description: "Managed policy set as the permissions boundary of every IAM role the kit creates (functions, runners, NAT instances, NAT failover, API Gateway logging, CloudTrail delivery). Empty: no boundary.",
      rules: [emptyOr(IAM_POLICY_ARN)],
    },
    {
      name: "iam_role_path", type: "string", default: "/",
      description: "Path of every IAM role and instance profile the kit creates; the kit's policies that name its roles by ARN include it.",
      rules: [IAM_ROLE_PATH],
    },
  ],
};
