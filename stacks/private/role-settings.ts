import type { IConstruct } from "constructs";
import { Fn, Token, type IAspect } from "../cdktf.js";
import { isEmptyString } from "./conditions.js";
import { IamInstanceProfile, IamRole } from "../aws.js";

/** Module-wide settings of every role (inputs `permissions_boundary_arn`, `iam_role_path`). */
export interface RoleSettings {
  /** "" for none; may be a Terraform expression. */
  readonly permissionsBoundaryArn: string;
  /** `/` or `/a/b/`; may be a Terraform expression. */
  readonly path: string;
}

/**
 * Sets the permissions boundary and the path on every IAM role (and the path on every instance profile)
 * under the construct it is added to, so a role added later cannot miss them. An aspect rather than a prop
 * of each construct: eight constructs create roles, and a forgotten one would fail only in the SCP'd account.
 */
export class RoleSettingsAspect implements IAspect {
  constructor(private readonly settings: RoleSettings) {}

  visit(node: IConstruct): void {
    const { permissionsBoundaryArn, path } = this.settings;
    if (node instanceof IamRole) {
      if (Token.isUnresolved(permissionsBoundaryArn)) {
        // null leaves the attribute unset when the input is empty.
        node.permissionsBoundary = Fn.conditional(isEmptyString(permissionsBoundaryArn), null, permissionsBoundaryArn) as string;
      } else if (permissionsBoundaryArn !== "") {
        node.permissionsBoundary = permissionsBoundaryArn;
      }
      node.path = path;
    } else if (node instanceof IamInstanceProfile) {
      node.path = path;
    }
  }
}

/**
 * The ARN part between `role/` and the name: "" for the path `/`, `a/b/` for `/a/b/` (aws:PrincipalArn and
 * key policies compare role ARNs with the path in them).
 */
export function rolePathInArn(path: string): string {
  return Token.isUnresolved(path) ? Fn.trimprefix(path, "/") : path.slice(1);
}
